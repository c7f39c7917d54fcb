//! The review session's terminal edge. The session engine speaks to a `Ui`; the plain line
//! mode (scripts, tests, screen readers) and the full-screen reviewer (`tui`) are two
//! views of the same session.

pub mod markdown;
pub mod plain;
pub mod tui;
#[cfg(test)]
mod tui_tests;

use anyhow::Result;

use crate::deck::{Card, Kind, Misconception};
use crate::session::{Counts, Rating, SessionMode};

/// One card as shown: `order[display position]` is the option or item index in the card.
#[derive(Clone)]
pub struct Question<'a> {
    pub card: &'a Card,
    pub topic_title: &'a str,
    pub order: Vec<usize>,
    pub mode: SessionMode,
    pub counts: Counts,
    /// The interval each rating would give, Again to Easy ("10m", "3d"); empty in cram.
    pub intervals: Vec<String>,
    /// What just happened ("saved: good · next review tomorrow", "undone: ..."), if anything.
    pub notice: Option<String>,
}

impl Question<'_> {
    pub fn multiple(&self) -> bool {
        self.card.kind == Kind::Choice && self.card.correct_options().len() > 1
    }

    pub fn cram(&self) -> bool {
        self.mode == SessionMode::Cram
    }

    /// The card's number among the session's cards (a card coming back keeps its number).
    pub fn position(&self) -> usize {
        self.counts.started.max(1)
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
    /// Take back the last answer of this session.
    Undo,
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

/// What the learner sees once the answer is saved.
pub struct Feedback<'a> {
    pub correct: bool,
    pub rating: Rating,
    /// Right but slow, or right after the hint: saved as Hard, can be raised.
    pub slow: bool,
    pub hinted: bool,
    /// The learner said "I was right".
    pub overridden: bool,
    pub note: Option<String>,
    /// Misconceptions this answer revealed.
    pub revealed: Vec<Misconception>,
    /// `why` texts of the wrong options chosen.
    pub option_notes: Vec<String>,
    /// The learner's reply, to show beside the expected answer.
    pub reply: &'a Reply,
    pub next_due: String,
    pub leech_warning: bool,
}

/// What the learner does on the verdict screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterVerdict {
    Next,
    /// Save this answer with another rating (Easy after a right answer, Good or Easy
    /// after a slow one).
    Rerate(Rating),
    /// "I was right": saved as Good and marked as overridden.
    IWasRight,
    Undo,
    Quit,
}

/// At the end screen: stop, or bring the learning steps still waiting forward.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndChoice {
    Quit,
    Continue,
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
    /// Learning steps of this session still to come today: how many, and when the first is due.
    pub steps_left: usize,
    pub next_step: Option<String>,
    /// The session ran out of cards for now but learning steps wait: the view may offer
    /// to bring them forward.
    pub offer_continue: bool,
    /// The session ran out of cards (rather than the learner quitting).
    pub finished: bool,
    /// Incident drills to do today, and the minutes they should take.
    pub drills_today: (usize, u32),
}

pub trait Ui {
    fn ask(&mut self, q: &Question) -> Result<Response>;
    /// Shown once the answer is committed; the learner may re-rate, undo or go on.
    fn verdict(&mut self, q: &Question, fb: &Feedback) -> Result<AfterVerdict>;
    /// The end of the session; `Continue` only when `s.steps_left > 0` and the view offers it.
    fn summary(&mut self, s: &Summary) -> Result<EndChoice>;
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
    if s.steps_left > 0
        && !s.cram
        && let Some(when) = &s.next_step
    {
        lines.push(format!(
            "{} learning card{} come{} back {when}.",
            s.steps_left,
            if s.steps_left == 1 { "" } else { "s" },
            if s.steps_left == 1 { "s" } else { "" }
        ));
    }
    lines.push(format!(
        "Due by tomorrow: {} · within 7 days: {}",
        s.due_tomorrow, s.due_week
    ));
    if s.new_left_today > 0 && !s.cram {
        lines.push(format!("{} new cards left for today.", s.new_left_today));
    }
    if let (n @ 1.., minutes) = s.drills_today {
        lines.push(format!(
            "{n} drill{} due (about {minutes} min): `ecsdrill drill`",
            if n == 1 { "" } else { "s" }
        ));
    }
    lines
}

pub fn leech_text() -> &'static str {
    "leech: you keep forgetting this card. Read its source again and restate the idea in your own words; `ecsdrill stats` lists leeches."
}

/// Markdown for printing outside the full-screen reviewer, through the same renderer:
/// styled and wrapped to a colour terminal, else plain text with whole paragraphs (scripts
/// and screen readers get one line per paragraph, not the deck file's line breaks).
pub fn markdown_text(text: &str, color: bool) -> String {
    let look = markdown::Look { color };
    let width = if color {
        console::Term::stdout().size().1.clamp(40, 100)
    } else {
        u16::MAX
    };
    markdown::render(text, width, look)
        .iter()
        .map(|line| {
            line.spans
                .iter()
                .map(|span| styled(span, color))
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One span as ANSI text (colour terminals) or its bare content.
fn styled(span: &ratatui::text::Span, color: bool) -> String {
    use ratatui::style::{Color, Modifier};
    let text = span.content.as_ref();
    if !color {
        return text.to_string();
    }
    let mut s = console::style(text);
    if span.style.fg == Some(Color::Cyan) {
        s = s.cyan();
    }
    let m = span.style.add_modifier;
    if m.contains(Modifier::BOLD) {
        s = s.bold();
    }
    if m.contains(Modifier::ITALIC) {
        s = s.italic();
    }
    if m.contains(Modifier::UNDERLINED) {
        s = s.underlined();
    }
    if m.contains(Modifier::REVERSED) {
        s = s.reverse();
    }
    s.to_string()
}
