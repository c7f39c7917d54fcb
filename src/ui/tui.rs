//! The full-screen reviewer: one card per screen on the alternate screen, redrawn in place
//! and on resize, scrolling when a card is taller than the terminal. Keys follow Anki:
//! Space or Enter reveals and rates Good, 1-4 rate with their intervals shown, options go
//! by letter, number or arrows, `u` / Ctrl+Z undo, `q` / Esc quit, `h` / F1 list the keys.
//!
//! Drawing (`draw_*`) and key handling (`*_key`) are plain functions of the screen state,
//! so the screen tests run them on ratatui's test backend; `TuiUi` only adds the terminal.

use std::io;

use anyhow::Result;
use ratatui::DefaultTerminal;
use ratatui::Frame;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::markdown::{Look, render, render_inline, url_line};
use super::{
    AfterVerdict, EndChoice, Feedback, Question, Reply, Response, Summary, Ui, leech_text, letter,
    summary_lines,
};
use crate::deck::Kind;
use crate::session::Rating;

/// The learner's input on the question side of a card.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    Recall {
        revealed: bool,
    },
    /// `cursor` and `ticked` are display positions.
    Choice {
        cursor: usize,
        ticked: Vec<bool>,
    },
    /// `confirm_empty`: Enter was pressed once on an empty answer.
    Typed {
        text: String,
        confirm_empty: bool,
    },
    /// `arrangement[i]` is the display position of the item now in place i.
    Order {
        arrangement: Vec<usize>,
        cursor: usize,
        held: bool,
    },
}

/// Everything the question screen shows besides the card.
#[derive(Clone, Debug, PartialEq)]
pub struct AskState {
    pub input: Input,
    pub hint: bool,
    pub warn: Option<String>,
    pub scroll: u16,
    pub help: bool,
}

impl AskState {
    pub fn new(q: &Question) -> AskState {
        let n = q.order.len();
        let input = match q.card.kind {
            Kind::Recall => Input::Recall { revealed: false },
            Kind::Choice => Input::Choice {
                cursor: 0,
                ticked: vec![false; n],
            },
            Kind::Typed => Input::Typed {
                text: String::new(),
                confirm_empty: false,
            },
            Kind::Order => Input::Order {
                arrangement: (0..n).collect(),
                cursor: 0,
                held: false,
            },
        };
        AskState {
            input,
            hint: false,
            warn: None,
            scroll: 0,
            help: false,
        }
    }
}

/// The verdict screen's own state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VerdictState {
    pub scroll: u16,
    pub help: bool,
}

fn pressed(key: &KeyEvent, code: KeyCode) -> bool {
    key.code == code && !key.modifiers.contains(KeyModifiers::CONTROL)
}

fn ctrl(key: &KeyEvent, c: char) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char(c)
}

fn response(reply: Reply, raw: String, st: &AskState) -> Response {
    Response {
        reply,
        raw,
        used_hint: st.hint,
        easy: false,
    }
}

/// The index (0-based) an option letter or number names, if the card has that many.
fn option_key(c: char, n: usize) -> Option<usize> {
    let i = match c {
        'a'..='z' => c as usize - 'a' as usize,
        '1'..='9' => c as usize - '1' as usize,
        _ => return None,
    };
    (i < n).then_some(i)
}

/// Scroll keys shared by every screen; true when the key was one.
fn scroll_key(key: &KeyEvent, scroll: &mut u16, arrows: bool) -> bool {
    match key.code {
        KeyCode::PageDown => *scroll = scroll.saturating_add(10),
        KeyCode::PageUp => *scroll = scroll.saturating_sub(10),
        KeyCode::Down if arrows => *scroll = scroll.saturating_add(1),
        KeyCode::Up if arrows => *scroll = scroll.saturating_sub(1),
        KeyCode::Home if arrows => *scroll = 0,
        _ => return false,
    }
    true
}

/// Handles one key on the question side; Some when the card is answered (or left).
pub fn ask_key(q: &Question, st: &mut AskState, key: KeyEvent) -> Option<Response> {
    let quit = || {
        Some(Response {
            reply: Reply::Quit,
            raw: String::new(),
            used_hint: false,
            easy: false,
        })
    };
    if ctrl(&key, 'c') || key.code == KeyCode::Esc {
        return quit();
    }
    if st.help {
        st.help = false;
        return None;
    }
    if key.code == KeyCode::F(1) {
        st.help = true;
        return None;
    }
    if ctrl(&key, 'z') {
        return Some(response(Reply::Undo, String::new(), st));
    }
    let typed = matches!(st.input, Input::Typed { .. });
    let arrows = matches!(st.input, Input::Recall { .. });
    if scroll_key(&key, &mut st.scroll, arrows) {
        return None;
    }
    let n = q.order.len();
    let has_hint = q.card.hint.is_some();
    st.warn = None;
    // Letters that are not option letters (and any letter outside a typed answer).
    if !typed
        && let KeyCode::Char(c) = key.code
        && (option_key(c, n).is_none() || matches!(st.input, Input::Recall { .. }))
    {
        match c {
            'q' => return quit(),
            'u' => return Some(response(Reply::Undo, String::new(), st)),
            'h' => {
                st.help = true;
                return None;
            }
            '?' if has_hint => {
                st.hint = true;
                return None;
            }
            _ => {}
        }
    }
    let multiple = q.multiple();
    match &mut st.input {
        Input::Recall { revealed } => {
            if !*revealed {
                if pressed(&key, KeyCode::Enter) || pressed(&key, KeyCode::Char(' ')) {
                    *revealed = true;
                    st.scroll = 0;
                }
                return None;
            }
            let rating = match key.code {
                KeyCode::Enter | KeyCode::Char(' ') => Some(3),
                KeyCode::Char(c @ '1'..='4') => c.to_digit(10).map(|d| d as u8),
                _ => None,
            };
            rating.map(|r| response(Reply::Rated(r), String::new(), st))
        }
        Input::Choice { cursor, ticked } => {
            match key.code {
                KeyCode::Up => *cursor = cursor.saturating_sub(1),
                KeyCode::Down | KeyCode::Tab => *cursor = (*cursor + 1).min(n.saturating_sub(1)),
                KeyCode::Char(' ') if multiple => ticked[*cursor] = !ticked[*cursor],
                KeyCode::Char(c) => {
                    if let Some(i) = option_key(c, n) {
                        *cursor = i;
                        if multiple {
                            ticked[i] = !ticked[i];
                        }
                    }
                }
                KeyCode::Enter if multiple => {
                    let picked: Vec<usize> = (0..n).filter(|&p| ticked[p]).collect();
                    if picked.is_empty() {
                        st.warn = Some(
                            "Nothing is ticked: tick the right options with Space or their letters, then Enter."
                                .into(),
                        );
                        return None;
                    }
                    let raw = picked
                        .iter()
                        .map(|&p| letter(p).to_string())
                        .collect::<Vec<_>>()
                        .join(",");
                    let reply = Reply::Choice(picked.iter().map(|&p| q.order[p]).collect());
                    return Some(response(reply, raw, st));
                }
                KeyCode::Enter => {
                    let reply = Reply::Choice(vec![q.order[*cursor]]);
                    return Some(response(reply, letter(*cursor).to_string(), st));
                }
                _ => {}
            }
            None
        }
        Input::Typed {
            text,
            confirm_empty,
        } => {
            match key.code {
                KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => text.clear(),
                KeyCode::Char('?') if text.is_empty() && has_hint => st.hint = true,
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    text.push(c);
                    *confirm_empty = false;
                }
                KeyCode::Backspace => {
                    text.pop();
                }
                KeyCode::Enter if text.trim().is_empty() => {
                    if *confirm_empty {
                        return Some(response(Reply::DontKnow, String::new(), st));
                    }
                    *confirm_empty = true;
                    st.warn = Some(
                        "Empty answer: press Enter again to say you don't know (it counts as Again)."
                            .into(),
                    );
                }
                KeyCode::Enter => {
                    let t = text.trim().to_string();
                    return Some(response(Reply::Typed(t.clone()), t, st));
                }
                _ => {}
            }
            None
        }
        Input::Order {
            arrangement,
            cursor,
            held,
        } => {
            match key.code {
                KeyCode::Up if *cursor > 0 => {
                    if *held {
                        arrangement.swap(*cursor, *cursor - 1);
                    }
                    *cursor -= 1;
                }
                KeyCode::Down if *cursor + 1 < n => {
                    if *held {
                        arrangement.swap(*cursor, *cursor + 1);
                    }
                    *cursor += 1;
                }
                KeyCode::Char(' ') => *held = !*held,
                KeyCode::Char(c) => {
                    if let Some(i) = option_key(c, n).filter(|_| c.is_ascii_digit()) {
                        *cursor = i;
                        *held = false;
                    }
                }
                KeyCode::Enter => {
                    let raw = arrangement
                        .iter()
                        .map(|p| (p + 1).to_string())
                        .collect::<Vec<_>>()
                        .join(" ");
                    let reply = Reply::Order(arrangement.iter().map(|&p| q.order[p]).collect());
                    return Some(response(reply, raw, st));
                }
                _ => {}
            }
            None
        }
    }
}

/// Which re-ratings the verdict screen offers for this answer.
fn rerates(fb: &Feedback) -> Vec<Rating> {
    match (fb.correct, fb.rating) {
        (true, Rating::Hard) if fb.slow || fb.hinted => vec![Rating::Good, Rating::Easy],
        (true, Rating::Good) => vec![Rating::Easy],
        _ => Vec::new(),
    }
}

/// Handles one key on the verdict screen; Some when the learner leaves it.
pub fn verdict_key(fb: &Feedback, st: &mut VerdictState, key: KeyEvent) -> Option<AfterVerdict> {
    if ctrl(&key, 'c') || key.code == KeyCode::Esc {
        return Some(AfterVerdict::Quit);
    }
    if st.help {
        st.help = false;
        return None;
    }
    if scroll_key(&key, &mut st.scroll, true) {
        return None;
    }
    if ctrl(&key, 'z') {
        return Some(AfterVerdict::Undo);
    }
    match key.code {
        KeyCode::Enter | KeyCode::Char(' ') => Some(AfterVerdict::Next),
        KeyCode::Char('q') => Some(AfterVerdict::Quit),
        KeyCode::Char('u') => Some(AfterVerdict::Undo),
        KeyCode::Char('o') if !fb.correct => Some(AfterVerdict::IWasRight),
        KeyCode::Char(c @ '1'..='4') => {
            let r = Rating::from_u8(c.to_digit(10).unwrap_or(0) as u8)?;
            rerates(fb).contains(&r).then_some(AfterVerdict::Rerate(r))
        }
        KeyCode::Char('h') | KeyCode::F(1) => {
            st.help = true;
            None
        }
        _ => None,
    }
}

// ---- Drawing ----

struct Palette {
    look: Look,
}

impl Palette {
    fn fg(&self, c: Color) -> Style {
        if self.look.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }
    fn dim(&self) -> Style {
        if self.look.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }
    fn right(&self) -> Style {
        self.fg(Color::Green).add_modifier(Modifier::BOLD)
    }
    fn wrong(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    fn heading(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    fn cursor(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    fn warn(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
}

const MARGIN: u16 = 1;

fn header_line(q: &Question, p: &Palette, width: u16) -> Line<'static> {
    let c = q.counts;
    let mode = if q.cram() { " · cram" } else { "" };
    let left = format!(
        " {}/{} · {} · {}{mode}",
        q.position(),
        c.total,
        q.topic_title,
        q.card.kind.as_str()
    );
    let right: Vec<Span<'static>> = vec![
        Span::styled(format!("New {}", c.new), p.fg(Color::Blue)),
        Span::raw(" · "),
        Span::styled(format!("Learning {}", c.learning), p.fg(Color::Red)),
        Span::raw(" · "),
        Span::styled(format!("Review {}", c.review), p.fg(Color::Green)),
        Span::raw(" "),
    ];
    let right_w: usize = right.iter().map(|s| s.content.width()).sum();
    let width = usize::from(width);
    let room = width.saturating_sub(right_w + 1);
    let left = truncate(&left, room);
    let gap = width.saturating_sub(left.width() + right_w);
    let mut spans = vec![Span::styled(left, p.heading()), Span::raw(" ".repeat(gap))];
    spans.extend(right);
    Line::from(spans)
}

fn truncate(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    let mut out = String::new();
    for ch in s.chars() {
        if out.width() + 2 > width {
            break;
        }
        out.push(ch);
    }
    out.push('…');
    out
}

/// What surrounds a screen's body: the header, an optional notice line, the keys.
struct Chrome {
    header: Line<'static>,
    notice: Option<Line<'static>>,
    footer: String,
}

/// Lays out a screen: header, optional notice, the scrolled body, the footer of keys.
/// Returns the scroll offset actually used (clamped, and moved to show `focus`).
fn frame_screen(
    f: &mut Frame,
    chrome: Chrome,
    body: Vec<Line<'static>>,
    focus: Option<usize>,
    scroll: u16,
    p: &Palette,
) -> u16 {
    let Chrome {
        header,
        notice,
        footer,
    } = chrome;
    let footer = footer.as_str();
    let area = f.area();
    let notice_h = u16::from(notice.is_some());
    // The keys go on as many lines as they need: a cut rating line would hide intervals.
    let more_room = "↓ more: PgDn · ".width();
    let width = usize::from(area.width);
    // Room for the scroll mark only when the body may not fit.
    let fits = body.len() + 4 + usize::from(notice_h) <= usize::from(area.height);
    let first = width.saturating_sub(2 + if fits { 0 } else { more_room });
    let key_lines = pack_keys(footer, first, width.saturating_sub(2));
    let [head_a, notice_a, _, body_a, foot_a] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(notice_h),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(key_lines.len() as u16),
    ])
    .areas(area);
    f.render_widget(Paragraph::new(header), head_a);
    if let Some(n) = notice {
        f.render_widget(Paragraph::new(n), notice_a);
    }
    let body_a = body_area(body_a);
    let total = body.len() as u16;
    let max_scroll = total.saturating_sub(body_a.height);
    let mut scroll = scroll.min(max_scroll);
    if let Some(focus) = focus.map(|f| f as u16) {
        if focus < scroll {
            scroll = focus;
        } else if focus >= scroll + body_a.height {
            scroll = (focus + 1).saturating_sub(body_a.height).min(max_scroll);
        }
    }
    f.render_widget(Paragraph::new(body).scroll((scroll, 0)), body_a);
    let more = if scroll < max_scroll {
        "↓ more: PgDn · "
    } else if scroll > 0 {
        "↑ PgUp · "
    } else {
        ""
    };
    let lines: Vec<Line> = key_lines
        .iter()
        .enumerate()
        .map(|(i, keys)| {
            let text = if i == 0 {
                format!(" {more}{keys}")
            } else {
                format!(" {keys}")
            };
            let text = truncate(&text, usize::from(foot_a.width));
            let pad = usize::from(foot_a.width).saturating_sub(text.width());
            Line::from(Span::styled(
                format!("{text}{}", " ".repeat(pad)),
                p.dim().add_modifier(Modifier::REVERSED),
            ))
        })
        .collect();
    f.render_widget(Paragraph::new(lines), foot_a);
    scroll
}

/// Key hints joined by " · ", packed greedily into lines: the first at most `first`
/// columns (room is kept there for the scroll mark), the others at most `rest`.
fn pack_keys(keys: &str, first: usize, rest: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for item in keys.split(" · ") {
        // Appending to the first line, or to a later one.
        let room = if lines.len() == 1 { first } else { rest };
        match lines.last_mut() {
            Some(line) if line.width() + 3 + item.width() <= room => {
                line.push_str(" · ");
                line.push_str(item);
            }
            _ => lines.push(item.to_string()),
        }
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

fn body_area(a: Rect) -> Rect {
    Rect {
        x: a.x + MARGIN,
        y: a.y,
        width: a.width.saturating_sub(2 * MARGIN),
        height: a.height,
    }
}

/// The width the body text is laid out for.
pub fn body_width(area_width: u16) -> u16 {
    area_width.saturating_sub(2 * MARGIN).max(10)
}

fn notice_line(text: &str, p: &Palette) -> Line<'static> {
    Line::from(Span::styled(format!(" {text}"), p.dim()))
}

fn push_blank(lines: &mut Vec<Line<'static>>) {
    if lines.last().is_some_and(|l| l.width() > 0) {
        lines.push(Line::default());
    }
}

fn hint_lines(q: &Question, width: u16, p: &Palette, look: Look) -> Vec<Line<'static>> {
    let Some(h) = &q.card.hint else {
        return Vec::new();
    };
    let mut out = vec![Line::from(Span::styled("Hint", p.warn()))];
    out.extend(render(h, width, look));
    out
}

fn rating_keys(q: &Question) -> String {
    Rating::ALL
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let name = match r {
                Rating::Again => "Again",
                Rating::Hard => "Hard",
                Rating::Good => "Good",
                Rating::Easy => "Easy",
            };
            match q.intervals.get(i).filter(|s| !s.is_empty()) {
                Some(ivl) => format!("{} {name} {ivl}", i + 1),
                None => format!("{} {name}", i + 1),
            }
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn explanation_lines(q: &Question, width: u16, p: &Palette, look: Look) -> Vec<Line<'static>> {
    let mut out = vec![Line::from(Span::styled("Why", p.heading()))];
    out.extend(render(&q.card.explanation, width, look));
    if !q.card.sources.is_empty() {
        out.push(Line::default());
        out.push(Line::from(Span::styled("Sources", p.heading())));
        for s in &q.card.sources {
            out.push(url_line("", s, width, look));
        }
    }
    if let Some(d) = &q.card.as_of {
        out.push(Line::from(Span::styled(format!("checked {d}"), p.dim())));
    }
    out
}

/// The question screen.
pub fn draw_ask(f: &mut Frame, q: &Question, st: &mut AskState, look: Look, notice: Option<&str>) {
    let p = Palette { look };
    let width = body_width(f.area().width);
    let mut body = render(&q.card.prompt, width, look);
    let mut focus = None;
    if st.hint {
        push_blank(&mut body);
        body.extend(hint_lines(q, width, &p, look));
    }
    push_blank(&mut body);
    let card = q.card;
    let footer: String = match &st.input {
        Input::Recall { revealed: false } => "Space/Enter show answer".into(),
        Input::Recall { revealed: true } => {
            body.push(Line::from(Span::styled("Answer", p.right())));
            body.extend(render(
                card.answer.as_deref().unwrap_or_default(),
                width,
                look,
            ));
            push_blank(&mut body);
            body.extend(explanation_lines(q, width, &p, look));
            format!("{} · Space/Enter Good", rating_keys(q))
        }
        Input::Choice { cursor, ticked } => {
            let multiple = q.multiple();
            if multiple && !card.prompt.to_lowercase().contains("all that apply") {
                body.push(Line::from(Span::styled(
                    "Choose all that apply.",
                    p.heading(),
                )));
            }
            for (pos, &idx) in q.order.iter().enumerate() {
                let here = pos == *cursor;
                let mut prefix = vec![Span::styled(if here { "❯ " } else { "  " }, p.cursor())];
                if multiple {
                    prefix.push(Span::raw(if ticked[pos] { "[x] " } else { "[ ] " }));
                }
                prefix.push(Span::styled(
                    format!("{}) ", letter(pos)),
                    if here { p.cursor() } else { Style::new() },
                ));
                if here {
                    focus = Some(body.len());
                }
                let mut lines = render_inline(&card.options[idx].text, prefix, width, look);
                if here {
                    focus = Some(body.len() + lines.len() - 1);
                    for l in &mut lines {
                        l.style = l.style.add_modifier(Modifier::BOLD);
                    }
                }
                body.extend(lines);
            }
            let n = q.order.len();
            if multiple {
                format!(
                    "a-{} or ↑↓ + Space tick · Enter answer",
                    letter(n.saturating_sub(1))
                )
            } else {
                format!(
                    "a-{} or ↑↓ choose · Enter answer",
                    letter(n.saturating_sub(1))
                )
            }
        }
        Input::Typed { text, .. } => {
            let prompt = "Your answer: ";
            let line = Line::from(vec![
                Span::styled(prompt, p.heading()),
                Span::styled(text.clone(), p.cursor()),
                // A block cursor that shows without colour too.
                Span::styled(" ", Style::new().add_modifier(Modifier::REVERSED)),
            ]);
            focus = Some(body.len());
            body.push(line);
            "type, then Enter · Ctrl+U clear".into()
        }
        Input::Order {
            arrangement,
            cursor,
            held,
        } => {
            body.push(Line::from(Span::styled(
                "Put in order, first at the top.",
                p.heading(),
            )));
            for (place, &pos) in arrangement.iter().enumerate() {
                let here = place == *cursor;
                let marker = match (here, *held) {
                    (true, true) => "↕ ",
                    (true, false) => "❯ ",
                    _ => "  ",
                };
                let prefix = vec![
                    Span::styled(marker, p.cursor()),
                    Span::styled(
                        format!("{}. ", place + 1),
                        if here { p.cursor() } else { Style::new() },
                    ),
                ];
                let mut lines = render_inline(&card.items[q.order[pos]], prefix, width, look);
                if here {
                    focus = Some(body.len() + lines.len() - 1);
                    for l in &mut lines {
                        l.style = if *held {
                            l.style.add_modifier(Modifier::REVERSED)
                        } else {
                            l.style.add_modifier(Modifier::BOLD)
                        };
                    }
                }
                body.extend(lines);
            }
            if *held {
                "↑↓ move the item · Space drop it · Enter answer".into()
            } else {
                "↑↓ or 1-9 go to an item · Space pick it up · Enter answer".into()
            }
        }
    };
    if let Some(w) = &st.warn {
        push_blank(&mut body);
        body.push(Line::from(Span::styled(w.clone(), p.warn())));
        focus = Some(body.len() - 1);
    }
    let typed = matches!(st.input, Input::Typed { .. });
    let mut keys = footer;
    if card.hint.is_some() && !st.hint {
        keys.push_str(" · ? hint");
    }
    if typed {
        keys.push_str(" · Ctrl+Z undo · Esc quit · F1 help");
    } else {
        keys.push_str(" · u undo · q quit · h help");
    }
    let header = header_line(q, &p, f.area().width);
    let notice = notice.map(|n| notice_line(n, &p));
    let chrome = Chrome {
        header,
        notice,
        footer: keys,
    };
    st.scroll = frame_screen(f, chrome, body, focus, st.scroll, &p);
    if st.help {
        draw_help(f, &p);
    }
}

/// The verdict screen.
pub fn draw_verdict(f: &mut Frame, q: &Question, fb: &Feedback, st: &mut VerdictState, look: Look) {
    let p = Palette { look };
    let width = body_width(f.area().width);
    let card = q.card;
    let saved = if q.cram() {
        format!("saved as {} (cram: schedule unchanged)", fb.rating.name())
    } else {
        format!(
            "saved as {} · next review {}",
            fb.rating.name(),
            fb.next_due
        )
    };
    let mut body: Vec<Line<'static>> = Vec::new();
    let (mark, text, style) = if fb.overridden {
        ("✓", "Counted as right (you said so)".to_string(), p.right())
    } else if fb.slow {
        ("✓", "Right, but slow".to_string(), p.warn())
    } else if fb.hinted {
        ("✓", "Right, after the hint".to_string(), p.warn())
    } else if fb.correct {
        ("✓", "Right".to_string(), p.right())
    } else {
        ("✗", "Wrong".to_string(), p.wrong())
    };
    body.push(Line::from(vec![
        Span::styled(format!("{mark} {text}"), style),
        Span::styled(format!(" · {saved}"), p.dim()),
    ]));
    if let Some(n) = &fb.note {
        body.extend(render_inline(n, vec![], width, look));
    }
    push_blank(&mut body);
    body.extend(render(&card.prompt, width, look));
    push_blank(&mut body);
    match (card.kind, fb.reply) {
        (Kind::Choice, reply) => {
            let picked: Vec<usize> = match reply {
                Reply::Choice(p) => p.clone(),
                _ => Vec::new(),
            };
            let multiple = q.multiple();
            for (pos, &idx) in q.order.iter().enumerate() {
                let opt = &card.options[idx];
                let chosen = picked.contains(&idx);
                let (mark, style, tail) = match (opt.correct, chosen, multiple) {
                    (true, true, _) => (
                        "✓",
                        p.right(),
                        if multiple {
                            "ticked, right"
                        } else {
                            "your answer"
                        },
                    ),
                    (true, false, true) => ("✗", p.wrong(), "missed: this one is right"),
                    (true, false, false) => ("✓", p.right(), "the answer"),
                    (false, true, true) => ("✗", p.wrong(), "ticked, but wrong"),
                    (false, true, false) => ("✗", p.wrong(), "your answer"),
                    (false, false, _) => (" ", Style::new(), ""),
                };
                let mut prefix = vec![Span::styled(format!("{mark} "), style)];
                if multiple {
                    prefix.push(Span::raw(if chosen { "[x] " } else { "[ ] " }));
                }
                prefix.push(Span::raw(format!("{}) ", letter(pos))));
                let mut text = opt.text.clone();
                if !tail.is_empty() {
                    text.push_str(&format!("  ← {tail}"));
                }
                let lines = render_inline(&text, prefix, width, look);
                body.extend(lines);
                if chosen
                    && !opt.correct
                    && let Some(why) = &opt.why
                {
                    let prefix = vec![Span::raw("      ")];
                    body.extend(render_inline(why, prefix, width, look));
                }
            }
        }
        (Kind::Typed, reply) => {
            let given = match reply {
                Reply::Typed(t) => t.clone(),
                _ => "(no answer)".into(),
            };
            let mine = vec![Span::styled("Your answer: ", p.heading())];
            body.extend(render_inline(&given, mine, width, look));
            let want = vec![Span::styled("Expected:    ", p.heading())];
            body.extend(render_inline(&card.answer_text(), want, width, look));
            if !card.accept.is_empty() {
                let also = vec![Span::styled("Also right:  ", p.heading())];
                body.extend(render_inline(&card.accept.join("; "), also, width, look));
            }
        }
        (Kind::Order, reply) => {
            body.push(Line::from(Span::styled("The right order:", p.heading())));
            let given: Vec<usize> = match reply {
                Reply::Order(o) => o.clone(),
                _ => Vec::new(),
            };
            for (i, item) in card.items.iter().enumerate() {
                let ok = given.get(i) == Some(&i);
                let prefix = vec![
                    Span::styled(
                        if ok { "✓ " } else { "✗ " },
                        if ok { p.right() } else { p.wrong() },
                    ),
                    Span::raw(format!("{}. ", i + 1)),
                ];
                body.extend(render_inline(item, prefix, width, look));
            }
            if !fb.correct && !given.is_empty() {
                push_blank(&mut body);
                body.push(Line::from(Span::styled("Your order:", p.heading())));
                for (i, &item) in given.iter().enumerate() {
                    let prefix = vec![Span::raw(format!("  {}. ", i + 1))];
                    body.extend(render_inline(&card.items[item], prefix, width, look));
                }
            }
        }
        (Kind::Recall, _) => {
            body.push(Line::from(Span::styled("Answer", p.right())));
            body.extend(render(
                card.answer.as_deref().unwrap_or_default(),
                width,
                look,
            ));
        }
    }
    for m in &fb.revealed {
        push_blank(&mut body);
        let prefix = vec![Span::styled(
            "Misconception: ",
            p.fg(Color::Magenta).add_modifier(Modifier::BOLD),
        )];
        body.extend(render_inline(
            &format!("\"{}\" is a common wrong belief.", m.wrong),
            prefix,
            width,
            look,
        ));
        let prefix = vec![Span::styled("In fact: ", p.heading())];
        body.extend(render_inline(&m.correct, prefix, width, look));
    }
    if fb.leech_warning {
        push_blank(&mut body);
        body.extend(render_inline(leech_text(), vec![], width, look));
    }
    push_blank(&mut body);
    body.extend(explanation_lines(q, width, &p, look));
    let mut keys = vec!["Space/Enter next".to_string()];
    let re = rerates(fb);
    for r in &re {
        keys.push(format!(
            "{} {}",
            r.as_u8(),
            match r {
                Rating::Good => "Good",
                Rating::Easy => "Easy",
                _ => "",
            }
        ));
    }
    if !fb.correct {
        keys.push("o I was right".into());
    }
    keys.push("u undo · q quit · h help".into());
    let header = header_line(q, &p, f.area().width);
    let chrome = Chrome {
        header,
        notice: None,
        footer: keys.join(" · "),
    };
    st.scroll = frame_screen(f, chrome, body, None, st.scroll, &p);
    if st.help {
        draw_help(f, &p);
    }
}

const HELP: &[(&str, &str)] = &[
    ("Space, Enter", "show the answer; on the answer side: Good"),
    ("1 2 3 4", "Again, Hard, Good, Easy (intervals shown)"),
    ("a b c / 1 2 3", "pick an option (choice cards)"),
    ("↑ ↓, Space", "move; tick an option, or pick up an item"),
    ("?", "hint, when the card has one"),
    ("3 4 (verdict)", "raise a slow or hinted answer from Hard"),
    ("o", "I was right: save a wrong verdict as Good"),
    ("u, Ctrl+Z", "undo the last answer"),
    ("PgUp PgDn", "scroll a long card"),
    ("q, Esc", "quit; every answer is already saved"),
    ("h, F1", "this list"),
];

fn draw_help(f: &mut Frame, p: &Palette) {
    let area = f.area();
    let w = area.width.saturating_sub(4).min(70);
    let h = (HELP.len() as u16 + 3).min(area.height);
    let popup = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    let lines: Vec<Line> = HELP
        .iter()
        .map(|(k, v)| {
            Line::from(vec![
                Span::styled(format!("{k:<16}"), p.heading()),
                Span::raw(*v),
            ])
        })
        .collect();
    f.render_widget(Clear, popup);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Keys (any key closes) "),
        ),
        popup,
    );
}

/// The end screen.
pub fn draw_summary(f: &mut Frame, s: &Summary, look: Look) {
    let p = Palette { look };
    let width = body_width(f.area().width);
    let mut body: Vec<Line<'static>> = Vec::new();
    for (i, line) in summary_lines(s).into_iter().enumerate() {
        let style = if i == 0 { p.heading() } else { Style::new() };
        let mut lines = render_inline(&line, vec![], width, look);
        for l in &mut lines {
            l.style = style;
        }
        body.extend(lines);
    }
    let keys = if s.offer_continue {
        "c review the waiting cards now · q/Enter quit"
    } else {
        "any key: quit"
    };
    let header = Line::from(Span::styled(" ecsdrill review · session over", p.heading()));
    let chrome = Chrome {
        header,
        notice: None,
        footer: keys.to_string(),
    };
    frame_screen(f, chrome, body, None, 0, &p);
}

pub fn summary_choice(s: &Summary, key: KeyEvent) -> Option<EndChoice> {
    if s.offer_continue && key.code == KeyCode::Char('c') && !ctrl(&key, 'c') {
        return Some(EndChoice::Continue);
    }
    Some(EndChoice::Quit)
}

/// Whether this terminal turns OSC 8 sequences into clickable links. Terminals that do not
/// know them may print them, so they are only sent where the terminal says who it is;
/// `ECSDRILL_HYPERLINKS=0` or `1` decides outright.
pub fn hyperlinks_supported(env: &dyn Fn(&str) -> Option<String>) -> bool {
    if let Some(v) = env("ECSDRILL_HYPERLINKS") {
        return v == "1";
    }
    if env("TMUX").is_some() || env("TERM").is_some_and(|t| t.starts_with("screen")) {
        return false;
    }
    let program = env("TERM_PROGRAM").unwrap_or_default();
    matches!(
        program.as_str(),
        "iTerm.app" | "WezTerm" | "vscode" | "ghostty" | "Hyper"
    ) || env("VTE_VERSION").and_then(|v| v.parse::<u32>().ok()) >= Some(5000)
        || env("WT_SESSION").is_some()
        || env("KITTY_WINDOW_ID").is_some()
        || env("KONSOLE_VERSION").is_some()
        || env("TERM").is_some_and(|t| t == "xterm-kitty" || t.starts_with("foot"))
}

/// Turns the source URLs on screen into OSC 8 links to the full address (a URL cut with
/// `…` still opens the whole page). The link is one cell holding the escape sequence and
/// the text as shown, with its width forced to that text's, so the diff and the cursor
/// stay in step with what the terminal draws.
pub(crate) fn link_sources(buf: &mut ratatui::buffer::Buffer, sources: &[String]) {
    use ratatui::buffer::CellDiffOption;
    let area = buf.area;
    for y in area.top()..area.bottom() {
        let row: String = (area.left()..area.right())
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        let start = row.width() - row.trim_start().width();
        let shown = row.trim();
        let prefix = shown.trim_end_matches('…');
        if !prefix.starts_with("http") {
            continue;
        }
        let Some(url) = sources.iter().find(|s| s.starts_with(prefix)) else {
            continue;
        };
        let Some(width) = std::num::NonZeroU16::new(shown.width() as u16) else {
            continue;
        };
        let cell = &mut buf[(area.left() + start as u16, y)];
        cell.set_symbol(&format!("\x1b]8;;{url}\x1b\\{shown}\x1b]8;;\x1b\\"));
        cell.set_diff_option(CellDiffOption::ForcedWidth(width));
    }
}

/// The real terminal around the screens above.
pub struct TuiUi {
    terminal: DefaultTerminal,
    look: Look,
    links: bool,
    /// "saved: ..." after the last answer, shown on the next card.
    notice: Option<String>,
    /// Printed on the normal screen once the reviewer closes, so the summary stays.
    farewell: Vec<String>,
}

impl TuiUi {
    pub fn new(color: bool) -> Result<TuiUi> {
        let mut terminal = ratatui::try_init()?;
        if terminal.size().is_ok_and(|s| s.width == 0 || s.height == 0) {
            // A pseudo-terminal that never got a size: lay out for the smallest supported one.
            terminal = ratatui::Terminal::with_options(
                ratatui::backend::CrosstermBackend::new(io::stdout()),
                ratatui::TerminalOptions {
                    viewport: ratatui::Viewport::Fixed(Rect::new(0, 0, 80, 24)),
                },
            )?;
        }
        Ok(TuiUi {
            terminal,
            look: Look { color },
            links: hyperlinks_supported(&|k| std::env::var(k).ok()),
            notice: None,
            farewell: Vec::new(),
        })
    }

    /// The next key press; None for a resize (the caller redraws).
    fn key(&mut self) -> Result<Option<KeyEvent>> {
        loop {
            match event::read() {
                Ok(Event::Key(k)) if k.kind == KeyEventKind::Press => return Ok(Some(k)),
                Ok(Event::Resize(..)) => return Ok(None),
                Ok(_) => continue,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl Drop for TuiUi {
    fn drop(&mut self) {
        let _ = self.terminal.show_cursor();
        let _ = ratatui::try_restore();
        for line in &self.farewell {
            println!("{line}");
        }
    }
}

impl Ui for TuiUi {
    fn ask(&mut self, q: &Question) -> Result<Response> {
        let mut st = AskState::new(q);
        let notice = q.notice.clone().or_else(|| self.notice.take());
        loop {
            let (look, links) = (self.look, self.links);
            self.terminal.draw(|f| {
                draw_ask(f, q, &mut st, look, notice.as_deref());
                if links {
                    link_sources(f.buffer_mut(), &q.card.sources);
                }
            })?;
            if let Some(k) = self.key()?
                && let Some(r) = ask_key(q, &mut st, k)
            {
                return Ok(r);
            }
        }
    }

    fn verdict(&mut self, q: &Question, fb: &Feedback) -> Result<AfterVerdict> {
        let saved = if q.cram() {
            format!("saved: {} (cram: schedule unchanged)", fb.rating.name())
        } else {
            format!("saved: {} · next review {}", fb.rating.name(), fb.next_due)
        };
        self.notice = Some(match fb.leech_warning {
            true => format!("{saved} · leech: see `ecsdrill stats`"),
            false => saved,
        });
        if q.card.kind == Kind::Recall {
            return Ok(AfterVerdict::Next);
        }
        let mut st = VerdictState::default();
        loop {
            let (look, links) = (self.look, self.links);
            self.terminal.draw(|f| {
                draw_verdict(f, q, fb, &mut st, look);
                if links {
                    link_sources(f.buffer_mut(), &q.card.sources);
                }
            })?;
            if let Some(k) = self.key()?
                && let Some(a) = verdict_key(fb, &mut st, k)
            {
                if a == AfterVerdict::Undo {
                    self.notice = None;
                }
                return Ok(a);
            }
        }
    }

    fn summary(&mut self, s: &Summary) -> Result<EndChoice> {
        self.farewell = summary_lines(s);
        if !s.finished {
            // The learner asked to stop: the summary waits on the normal screen.
            return Ok(EndChoice::Quit);
        }
        loop {
            let look = self.look;
            self.terminal.draw(|f| draw_summary(f, s, look))?;
            if let Some(k) = self.key()?
                && let Some(c) = summary_choice(s, k)
            {
                return Ok(c);
            }
        }
    }
}
