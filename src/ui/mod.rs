//! The review session's terminal edge. The session engine speaks to a `Ui`; the plain line
//! mode (scripts, tests, screen readers) and the interactive mode (keys, markdown) are two
//! implementations of it.

pub mod interactive;
pub mod plain;

use anyhow::Result;

use crate::deck::{Card, Kind, Misconception};

/// One card as shown: `order[display position]` is the option or item index in the card.
pub struct Question<'a> {
    pub position: usize,
    pub total: usize,
    pub card: &'a Card,
    pub topic_title: &'a str,
    pub order: Vec<usize>,
    pub cram: bool,
}

impl Question<'_> {
    pub fn multiple(&self) -> bool {
        self.card.kind == Kind::Choice && self.card.correct_options().len() > 1
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// Recall cards: the learner's own rating.
    Rated(u8),
    /// Choice: option indices in the card.
    Choice(Vec<usize>),
    Typed(String),
    /// Order: item indices in the card, in the order given.
    Order(Vec<usize>),
    /// Two unreadable answers in a row, or an explicit "don't know".
    DontKnow,
    Quit,
}

#[derive(Clone, Debug)]
pub struct Response {
    pub reply: Reply,
    /// What the learner typed, for the review log.
    pub raw: String,
    pub used_hint: bool,
    /// Plain mode: the answer ended with `+`, "this was easy".
    pub easy: bool,
}

/// What the learner should see after answering.
pub struct Feedback<'a> {
    pub correct: bool,
    pub rating: u8,
    pub note: Option<String>,
    /// Misconceptions this answer revealed.
    pub revealed: Vec<&'a Misconception>,
    /// `why` texts of the wrong options chosen.
    pub option_notes: Vec<String>,
    pub next_due: String,
    pub leech_warning: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    Continue,
    /// Upgrade a right answer to Easy, then continue.
    Easy,
    Quit,
}

pub struct Summary {
    pub answered: usize,
    pub cards: usize,
    pub correct: usize,
    pub seconds: u64,
    pub due_tomorrow: usize,
    pub due_week: usize,
    pub cram: bool,
    pub nothing_due: bool,
    pub new_left_today: u32,
}

pub trait Ui {
    fn ask(&mut self, q: &Question) -> Result<Response>;
    /// Shown before the answer is saved; interactive mode lets the learner mark it Easy.
    fn verdict(&mut self, q: &Question, fb: &Feedback) -> Result<Next>;
    /// Shown once the answer is committed to the database.
    fn saved(&mut self, q: &Question, fb: &Feedback) -> Result<()>;
    fn summary(&mut self, s: &Summary) -> Result<()>;
}

pub fn rating_name(r: u8) -> &'static str {
    match r {
        1 => "again",
        2 => "hard",
        3 => "good",
        _ => "easy",
    }
}

pub fn letter(i: usize) -> char {
    (b'a' + (i as u8 % 26)) as char
}

pub fn format_duration(secs: u64) -> String {
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, (secs % 3600) / 60),
    }
}

pub fn summary_lines(s: &Summary) -> Vec<String> {
    let mut lines = Vec::new();
    if s.answered == 0 {
        if s.nothing_due {
            lines.push("Nothing is due right now. Come back tomorrow, or practise with `ecsdrill review --cram`.".into());
        } else {
            lines.push("Session ended before any answer.".into());
        }
    } else {
        let pct = (s.correct as f64 * 100.0 / s.answered as f64).round();
        lines.push(format!(
            "Session done: {} answers on {} cards, {}% right, {}.",
            s.answered,
            s.cards,
            pct,
            format_duration(s.seconds)
        ));
    }
    if s.cram {
        lines.push("Cram session: the schedule was not changed.".into());
    }
    lines.push(format!(
        "Due by tomorrow: {} · within 7 days: {}",
        s.due_tomorrow, s.due_week
    ));
    if s.new_left_today > 0 && !s.cram {
        lines.push(format!("{} new cards left for today.", s.new_left_today));
    }
    lines
}

pub fn leech_text() -> &'static str {
    "leech: you keep forgetting this card. Read its source again and restate the idea in your own words; `ecsdrill stats` lists leeches."
}

/// Markdown for printing outside a review: styled for a colour terminal (wrapped to it),
/// else plain text with whole lines (scripts and screen readers).
pub fn markdown_text(text: &str, color: bool) -> String {
    if color {
        let width = (console::Term::stdout().size().1 as usize).clamp(40, 100);
        termimad::MadSkin::default()
            .text(text.trim(), Some(width))
            .to_string()
    } else {
        termimad::MadSkin::no_style()
            .text(text.trim(), Some(2000))
            .to_string()
            .lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
    }
}
