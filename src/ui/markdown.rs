//! Card markdown as terminal lines. Card texts live in YAML files with hard-wrapped source
//! lines; printed as they are, they break after a few words, and code gets re-wrapped until
//! it cannot be copied. Here prose is reflowed to the screen width (a single newline is a soft
//! break, as CommonMark says), code blocks stay verbatim with a mark where a line is cut, and
//! no line is ever wider than asked, so the reviewer can lay a card out without measuring it
//! again. Pure: text in, ratatui lines out.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

/// How text is styled: with colour, or (NO_COLOR) with modifiers only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Look {
    pub color: bool,
}

impl Look {
    fn inline_code(self) -> Style {
        if self.color {
            Style::new().fg(Color::Cyan)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }

    /// Without colour a code block is set apart by its indent alone: bold lines tire the eye.
    fn code_block(self) -> Style {
        if self.color {
            Style::new().fg(Color::Cyan)
        } else {
            Style::new()
        }
    }
}

const BULLETS: [&str; 3] = ["• ", "◦ ", "▪ "];
const QUOTE_BAR: &str = "│ ";
const CODE_INDENT: &str = "  ";
const TAB_STOP: usize = 4;
/// Ends a code line cut at the screen edge; reversed so it does not read as part of the code.
const CODE_CUT: &str = "→";
const ELLIPSIS: &str = "…";
const RULE: &str = "─";

/// Card markdown rendered to terminal lines of at most `width` display columns (a width of
/// 0 counts as 1).
pub fn render(text: &str, width: u16, look: Look) -> Vec<Line<'static>> {
    let events: Vec<Event> = Parser::new_ext(text, Options::ENABLE_TABLES).collect();
    let mut blocks = Blocks::new(usize::from(width.max(1)), look);
    blocks.run(&events);
    finish(blocks.lines, usize::from(width.max(1)))
}

/// One-line inline markdown (an option of a choice card, an order item), wrapped to `width`
/// with the first line prefixed by `first_prefix` and continuation lines indented by
/// `first_prefix`'s display width (hanging indent). Returns the lines.
pub fn render_inline(
    text: &str,
    first_prefix: Vec<Span<'static>>,
    width: u16,
    look: Look,
) -> Vec<Line<'static>> {
    let width = usize::from(width.max(1));
    let mut inline = Inline::new(look);
    for event in Parser::new_ext(&as_one_paragraph(text), Options::empty()) {
        inline.event(&event);
    }
    let indent = vec![Span::raw(" ".repeat(spans_width(&first_prefix)))];
    let mut lines = wrap(&inline.pieces, &first_prefix, &indent, width);
    if lines.is_empty() {
        lines.push(Line::from(first_prefix));
    }
    finish(lines, width)
}

/// A URL that must never be split mid-way: one line, cut with `…` at the end if wider than width.
/// The URL is underlined in either look.
pub fn url_line(label: &str, url: &str, width: u16, _look: Look) -> Line<'static> {
    let spans = vec![
        Span::raw(clean(label)),
        Span::styled(clean(url), Style::new().add_modifier(Modifier::UNDERLINED)),
    ];
    let mark = Span::raw(ELLIPSIS);
    let mut spans = cut(spans, usize::from(width.max(1)), Some(mark));
    trim_end(&mut spans);
    Line::from(spans)
}

/// Styled text inside a paragraph, or a hard line break.
#[derive(Clone, Debug)]
enum Piece {
    Text(String, Style),
    Break,
}

/// Collects the inline events of one block as styled pieces.
struct Inline {
    look: Look,
    styles: Vec<Style>,
    pieces: Vec<Piece>,
    /// Where each open link's text starts, and its URL (shown when the text is empty).
    links: Vec<(usize, String)>,
}

impl Inline {
    fn new(look: Look) -> Inline {
        Inline {
            look,
            styles: Vec::new(),
            pieces: Vec::new(),
            links: Vec::new(),
        }
    }

    fn style(&self) -> Style {
        self.styles
            .iter()
            .fold(Style::new(), |acc, s| acc.patch(*s))
    }

    fn push(&mut self, text: &str, style: Style) {
        self.pieces.push(Piece::Text(text.to_string(), style));
    }

    fn open(&mut self, modifier: Modifier) {
        self.styles.push(Style::new().add_modifier(modifier));
    }

    /// Takes an inline event; false if the event is not an inline one.
    fn event(&mut self, event: &Event) -> bool {
        match event {
            Event::Text(t)
            | Event::Html(t)
            | Event::InlineHtml(t)
            | Event::InlineMath(t)
            | Event::DisplayMath(t) => self.push(t, self.style()),
            Event::Code(t) => self.push(t, self.style().patch(self.look.inline_code())),
            Event::SoftBreak => self.push(" ", self.style()),
            Event::HardBreak => self.pieces.push(Piece::Break),
            Event::FootnoteReference(t) => self.push(&format!("[^{t}]"), self.style()),
            Event::TaskListMarker(done) => {
                self.push(if *done { "[x] " } else { "[ ] " }, self.style())
            }
            Event::Start(Tag::Strong) => self.open(Modifier::BOLD),
            Event::Start(Tag::Emphasis) => self.open(Modifier::ITALIC),
            Event::Start(Tag::Strikethrough) => self.open(Modifier::CROSSED_OUT),
            Event::Start(Tag::Image { .. } | Tag::Superscript | Tag::Subscript) => {
                self.styles.push(Style::new())
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                self.links.push((self.pieces.len(), dest_url.to_string()));
                self.open(Modifier::UNDERLINED);
            }
            Event::End(
                TagEnd::Strong
                | TagEnd::Emphasis
                | TagEnd::Strikethrough
                | TagEnd::Image
                | TagEnd::Superscript
                | TagEnd::Subscript,
            ) => {
                self.styles.pop();
            }
            Event::End(TagEnd::Link) => {
                let style = self.style();
                self.styles.pop();
                if let Some((start, url)) = self.links.pop() {
                    let has_text = self.pieces[start..]
                        .iter()
                        .any(|p| matches!(p, Piece::Text(t, _) if !t.trim().is_empty()));
                    if !has_text {
                        self.push(&url, style);
                    }
                }
            }
            _ => return false,
        }
        true
    }
}

/// What a block sits in; each adds to the prefix of its lines.
enum Container {
    Quote,
    List {
        /// The next item's number; `None` for a bullet list.
        next: Option<u64>,
        number_width: usize,
        loose: bool,
        items: usize,
    },
    Item {
        marker: String,
        shown: bool,
    },
}

/// Lays out block events (paragraphs, lists, quotes, code) as lines.
struct Blocks {
    width: usize,
    look: Look,
    lines: Vec<Line<'static>>,
    inline: Inline,
    containers: Vec<Container>,
    blank_pending: bool,
    /// The text of the code block being read.
    code: Option<String>,
    table_cell: usize,
}

impl Blocks {
    fn new(width: usize, look: Look) -> Blocks {
        Blocks {
            width,
            look,
            lines: Vec::new(),
            inline: Inline::new(look),
            containers: Vec::new(),
            blank_pending: false,
            code: None,
            table_cell: 0,
        }
    }

    fn run(&mut self, events: &[Event]) {
        for (at, event) in events.iter().enumerate() {
            if let (Some(code), Event::Text(t)) = (&mut self.code, event) {
                code.push_str(t);
                continue;
            }
            match event {
                Event::Start(Tag::Paragraph | Tag::HtmlBlock) => self.start_block(),
                Event::End(TagEnd::Paragraph | TagEnd::HtmlBlock) => self.end_block(),
                Event::Start(Tag::Heading { .. }) => {
                    self.start_block();
                    self.inline.open(Modifier::BOLD);
                }
                Event::End(TagEnd::Heading(_)) => {
                    self.end_block();
                    self.inline.styles.pop();
                }
                Event::Start(Tag::BlockQuote(_)) => {
                    self.start_block();
                    self.containers.push(Container::Quote);
                }
                Event::Start(Tag::CodeBlock(_)) => {
                    self.start_block();
                    self.code = Some(String::new());
                }
                Event::End(TagEnd::CodeBlock) => {
                    let code = self.code.take().unwrap_or_default();
                    self.code_block(&code);
                    self.blank_pending = true;
                }
                Event::Start(Tag::List(start)) => {
                    self.start_block();
                    let (items, loose) = scan_list(&events[at..]);
                    let last = start.map_or(0, |s| s.saturating_add(items.saturating_sub(1)));
                    self.containers.push(Container::List {
                        next: *start,
                        number_width: last.to_string().len(),
                        loose,
                        items: 0,
                    });
                }
                Event::Start(Tag::Item) => self.start_item(),
                Event::End(TagEnd::Item) => {
                    self.flush_inline();
                    self.containers.pop();
                }
                Event::End(TagEnd::BlockQuote(_) | TagEnd::List(_)) => {
                    self.end_block();
                    self.containers.pop();
                }
                Event::Rule => {
                    self.start_block();
                    let (first, _) = self.prefixes();
                    let room = self.room(&first);
                    self.emit(vec![line_of(first, vec![Span::raw(RULE.repeat(room))])]);
                    self.blank_pending = true;
                }
                Event::Start(Tag::Table(_)) => self.start_block(),
                Event::End(TagEnd::Table) => self.end_block(),
                Event::Start(Tag::TableHead) => {
                    self.table_cell = 0;
                    self.inline.open(Modifier::BOLD);
                }
                Event::End(TagEnd::TableHead) => {
                    self.flush_inline();
                    self.inline.styles.pop();
                }
                Event::Start(Tag::TableRow) => self.table_cell = 0,
                Event::End(TagEnd::TableRow) => self.flush_inline(),
                Event::Start(Tag::TableCell) => {
                    if self.table_cell > 0 {
                        self.inline.push(" | ", Style::new());
                    }
                    self.table_cell += 1;
                }
                other => {
                    self.inline.event(other);
                }
            }
        }
        self.flush_inline();
    }

    fn start_block(&mut self) {
        self.flush_inline();
        if self.blank_pending {
            let (_, rest) = self.prefixes();
            self.lines.push(Line::from(rest));
            self.blank_pending = false;
        }
    }

    fn end_block(&mut self) {
        self.flush_inline();
        self.blank_pending = true;
    }

    fn start_item(&mut self) {
        self.flush_inline();
        let depth = self
            .containers
            .iter()
            .filter(|c| matches!(c, Container::List { .. }))
            .count();
        let Some(Container::List {
            next,
            number_width,
            loose,
            items,
        }) = self.containers.last_mut()
        else {
            return;
        };
        let marker = match next {
            Some(n) => {
                let marker = format!("{n:>number_width$}. ");
                *n = n.saturating_add(1);
                marker
            }
            None => BULLETS[depth.saturating_sub(1) % BULLETS.len()].to_string(),
        };
        let blank = *loose && *items > 0;
        *items += 1;
        self.blank_pending = blank;
        if blank {
            self.start_block();
        }
        self.containers.push(Container::Item {
            marker,
            shown: false,
        });
    }

    /// The prefix of a block's first line (with list markers not yet shown) and of the others.
    fn prefixes(&self) -> (Vec<Span<'static>>, Vec<Span<'static>>) {
        let (mut first, mut rest) = (String::new(), String::new());
        for container in &self.containers {
            match container {
                Container::Quote => {
                    first.push_str(QUOTE_BAR);
                    rest.push_str(QUOTE_BAR);
                }
                Container::Item { marker, shown } => {
                    let pad = " ".repeat(marker.width());
                    first.push_str(if *shown { &pad } else { marker });
                    rest.push_str(&pad);
                }
                Container::List { .. } => {}
            }
        }
        (vec![Span::raw(first)], vec![Span::raw(rest)])
    }

    /// Columns left for text after `prefix`, at least one.
    fn room(&self, prefix: &[Span]) -> usize {
        self.width.saturating_sub(spans_width(prefix)).max(1)
    }

    fn emit(&mut self, lines: Vec<Line<'static>>) {
        if lines.is_empty() {
            return;
        }
        self.lines.extend(lines);
        for container in &mut self.containers {
            if let Container::Item { shown, .. } = container {
                *shown = true;
            }
        }
    }

    fn flush_inline(&mut self) {
        if self.inline.pieces.is_empty() {
            return;
        }
        let pieces = std::mem::take(&mut self.inline.pieces);
        self.inline.links.clear();
        let (first, rest) = self.prefixes();
        let lines = wrap(&pieces, &first, &rest, self.width);
        self.emit(lines);
    }

    /// Code verbatim, one line per source line, cut with a mark at the screen edge.
    fn code_block(&mut self, code: &str) {
        let code = code.strip_suffix('\n').unwrap_or(code);
        if code.is_empty() {
            return;
        }
        let (first, rest) = self.prefixes();
        let style = self.look.code_block();
        let mark = Span::styled(CODE_CUT, Style::new().add_modifier(Modifier::REVERSED));
        let lines = code
            .split('\n')
            .enumerate()
            .map(|(i, source)| {
                let mut prefix = if i == 0 { first.clone() } else { rest.clone() };
                prefix.push(Span::raw(CODE_INDENT));
                let room = self.room(&prefix);
                let text = vec![Span::styled(expand_tabs(source), style)];
                line_of(prefix, cut(text, room, Some(mark.clone())))
            })
            .collect();
        self.emit(lines);
    }
}

/// The number of items of the list starting at `events[0]`, and whether it is loose (its
/// items hold paragraphs, so they are set apart by blank lines).
fn scan_list(events: &[Event]) -> (u64, bool) {
    let (mut depth, mut items, mut loose) = (0usize, 0u64, false);
    for event in events {
        match event {
            Event::Start(tag) => {
                depth += 1;
                match (depth, tag) {
                    (2, Tag::Item) => items += 1,
                    (3, Tag::Paragraph) => loose = true,
                    _ => {}
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
    }
    (items, loose)
}

/// Joins a one-line text and escapes what would make it a block (a list, heading, quote or
/// fence) rather than a line of inline markdown.
fn as_one_paragraph(text: &str) -> String {
    let joined = text
        .split([' ', '\t', '\n', '\r'])
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let first = joined.chars().next();
    let lone_marker = matches!(joined.chars().nth(1), None | Some(' '));
    let thematic_break = |c: char| joined.chars().all(|x| x == c || x == ' ');
    let digits = joined.chars().take_while(char::is_ascii_digit).count();
    let escape_at = match first {
        Some('#' | '>') => Some(0),
        Some('`' | '~') if joined.starts_with("```") || joined.starts_with("~~~") => Some(0),
        Some(c @ ('-' | '+' | '*' | '_')) if lone_marker || thematic_break(c) => Some(0),
        Some('<') if !joined.contains("://") => Some(0),
        Some(c) if c.is_ascii_digit() => {
            let after = &joined[digits..];
            let marker = after.starts_with(['.', ')']);
            (marker && matches!(after.chars().nth(1), None | Some(' '))).then_some(digits)
        }
        _ => None,
    };
    match escape_at {
        Some(at) => format!("{}\\{}", &joined[..at], &joined[at..]),
        None => joined,
    }
}

/// Runs of styled text with no break between them.
type Word = Vec<(String, Style)>;

/// A word, a gap, or a hard break.
enum Token {
    Word(Word),
    Space(Style),
    Break,
}

/// Whitespace a line may break at; no-break spaces stay inside their word.
fn breaks(c: char) -> bool {
    c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{2007}' | '\u{202f}')
}

/// Words, gaps and breaks; control characters (which would move the cursor) are dropped.
fn tokens(pieces: &[Piece]) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = Word::new();
    let add = |word: &mut Word, part: &str, style: Style| match word.last_mut() {
        Some((run, s)) if *s == style => run.push_str(part),
        _ => word.push((part.to_string(), style)),
    };
    for piece in pieces {
        let (text, style) = match piece {
            Piece::Text(text, style) => (text.as_str(), *style),
            Piece::Break => {
                if !word.is_empty() {
                    tokens.push(Token::Word(std::mem::take(&mut word)));
                }
                tokens.push(Token::Break);
                continue;
            }
        };
        let mut part_start = 0;
        for (at, c) in text.char_indices() {
            let gap = breaks(c);
            if !gap && !c.is_control() {
                continue;
            }
            if part_start < at {
                add(&mut word, &text[part_start..at], style);
            }
            part_start = at + c.len_utf8();
            if gap {
                if !word.is_empty() {
                    tokens.push(Token::Word(std::mem::take(&mut word)));
                }
                if !matches!(tokens.last(), Some(Token::Space(_))) {
                    tokens.push(Token::Space(style));
                }
            }
        }
        if part_start < text.len() {
            add(&mut word, &text[part_start..], style);
        }
    }
    if !word.is_empty() {
        tokens.push(Token::Word(word));
    }
    tokens
}

fn runs_width(runs: &[(String, Style)]) -> usize {
    runs.iter().map(|(t, _)| text_width(t)).sum()
}

/// Word-wraps `pieces` to `width` columns: the first line after `first`, the others after
/// `rest`. A word wider than a whole line is split; nothing else is.
fn wrap(
    pieces: &[Piece],
    first: &[Span<'static>],
    rest: &[Span<'static>],
    width: usize,
) -> Vec<Line<'static>> {
    let room_of = |prefix: &[Span]| width.saturating_sub(spans_width(prefix)).max(1);
    let (first_room, rest_room) = (room_of(first), room_of(rest));
    let mut rows: Vec<Word> = Vec::new();
    let mut row = Word::new();
    let mut row_width = 0;
    let mut gap: Option<Style> = None;
    for token in tokens(pieces) {
        match token {
            Token::Space(style) => {
                if !row.is_empty() && gap.is_none() {
                    gap = Some(style);
                }
            }
            Token::Break => {
                rows.push(std::mem::take(&mut row));
                row_width = 0;
                gap = None;
            }
            Token::Word(mut word) => {
                let mut word_width = runs_width(&word);
                let gap_style = gap.take().unwrap_or_default();
                if !row.is_empty() {
                    let room = if rows.is_empty() {
                        first_room
                    } else {
                        rest_room
                    };
                    if row_width + 1 + word_width <= room {
                        row.push((" ".to_string(), gap_style));
                        row.extend(word);
                        row_width += 1 + word_width;
                        continue;
                    }
                    rows.push(std::mem::take(&mut row));
                }
                loop {
                    let room = if rows.is_empty() {
                        first_room
                    } else {
                        rest_room
                    };
                    if word_width <= room {
                        row = word;
                        row_width = word_width;
                        break;
                    }
                    let (head, tail) = split_runs(word, room);
                    rows.push(head);
                    word = tail;
                    word_width = runs_width(&word);
                }
            }
        }
    }
    if !row.is_empty() {
        rows.push(row);
    }
    rows.into_iter()
        .enumerate()
        .map(|(i, runs)| {
            let prefix = if i == 0 { first } else { rest };
            line_of(prefix.to_vec(), merge(runs))
        })
        .collect()
}

/// Splits a word so that its head fits `room` columns; the head gets at least one character.
fn split_runs(word: Word, room: usize) -> (Word, Word) {
    let (mut head, mut tail) = (Vec::new(), Vec::new());
    let mut used = 0;
    for (text, style) in word {
        if !tail.is_empty() {
            tail.push((text, style));
            continue;
        }
        let (mut taken, mut taken_width) = take_width(&text, room - used.min(room));
        if head.is_empty() && taken.is_empty() {
            taken = text.chars().next().map(String::from).unwrap_or_default();
            taken_width = taken.width();
        }
        let left = text[taken.len()..].to_string();
        used += taken_width;
        if !taken.is_empty() {
            head.push((taken, style));
        }
        if !left.is_empty() {
            tail.push((left, style));
        }
    }
    (head, tail)
}

/// Adjacent runs of one style as one span.
fn merge(runs: Word) -> Vec<Span<'static>> {
    let mut merged = Word::new();
    for (text, style) in runs {
        match merged.last_mut() {
            Some((last, s)) if *s == style => last.push_str(&text),
            _ => merged.push((text, style)),
        }
    }
    merged
        .into_iter()
        .map(|(text, style)| Span::styled(text, style))
        .collect()
}

fn line_of(mut prefix: Vec<Span<'static>>, content: Vec<Span<'static>>) -> Line<'static> {
    prefix.extend(content);
    Line::from(prefix)
}

fn spans_width(spans: &[Span]) -> usize {
    spans.iter().map(|s| text_width(&s.content)).sum()
}

/// Display width; printable ASCII (control characters are removed earlier) is one column a byte.
fn text_width(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        text.width()
    }
}

/// The longest start of `text` at most `width` columns wide, and its width.
fn take_width(text: &str, width: usize) -> (String, usize) {
    let mut head = String::new();
    for c in text.chars() {
        head.push(c);
        if head.width() > width {
            head.pop();
            break;
        }
    }
    let head_width = head.width();
    (head, head_width)
}

/// Cuts spans to `width` columns. When something is cut, `mark` (if it fits) takes the last
/// column.
fn cut(spans: Vec<Span<'static>>, width: usize, mark: Option<Span<'static>>) -> Vec<Span<'static>> {
    if spans_width(&spans) <= width {
        return spans;
    }
    let mark = mark.filter(|m| m.width() <= width);
    let keep = width - mark.as_ref().map_or(0, Span::width);
    let mut out = Vec::new();
    let mut used = 0;
    for span in spans {
        let (head, head_width) = take_width(&span.content, keep - used);
        let whole = head.len() == span.content.len();
        used += head_width;
        if !head.is_empty() {
            out.push(Span::styled(head, span.style));
        }
        if !whole {
            break;
        }
    }
    if let Some(mark) = mark {
        if used < keep {
            out.push(Span::raw(" ".repeat(keep - used)));
        }
        out.push(mark);
    }
    out
}

/// Tabs to spaces (the terminal would jump to its own tab stops) and no control characters.
fn expand_tabs(source: &str) -> String {
    let mut out = String::new();
    for c in source.chars() {
        if c == '\t' {
            let spaces = TAB_STOP - out.width() % TAB_STOP;
            out.push_str(&" ".repeat(spaces));
        } else if !c.is_control() {
            out.push(c);
        }
    }
    out
}

/// Text without control characters, which would move the terminal's cursor.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if breaks(c) { ' ' } else { c })
        .filter(|c| !c.is_control())
        .collect()
}

fn trim_end(spans: &mut Vec<Span<'static>>) {
    while let Some(last) = spans.last_mut() {
        let trimmed = last.content.trim_end_matches(' ');
        if trimmed.is_empty() {
            spans.pop();
        } else {
            if trimmed.len() < last.content.len() {
                last.content = trimmed.to_string().into();
            }
            break;
        }
    }
}

/// The last pass: no line wider than `width`, no trailing spaces, no blank lines at the ends.
fn finish(lines: Vec<Line<'static>>, width: usize) -> Vec<Line<'static>> {
    let mut out: Vec<Line<'static>> = lines
        .into_iter()
        .map(|line| {
            let mut spans = cut(line.spans, width, Some(Span::raw(ELLIPSIS)));
            trim_end(&mut spans);
            Line::from(spans)
        })
        .collect();
    while out.last().is_some_and(|l| l.spans.is_empty()) {
        out.pop();
    }
    let leading = out.iter().take_while(|l| l.spans.is_empty()).count();
    out.drain(..leading);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deck::{LoadOptions, load_catalog};

    const COLOR: Look = Look { color: true };
    const PLAIN: Look = Look { color: false };

    fn strings(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn a_single_newline_is_a_soft_break() {
        let text = "The service is turned off and\nnothing running costs money.\n";
        let out = strings(&render(text, 80, COLOR));
        assert_eq!(
            out,
            ["The service is turned off and nothing running costs money."]
        );
    }

    #[test]
    fn prose_wraps_at_words_and_hard_breaks_hold() {
        let out = strings(&render("alpha beta gamma delta epsilon", 12, COLOR));
        assert_eq!(out, ["alpha beta", "gamma delta", "epsilon"]);
        let out = strings(&render("one  \ntwo\\\nthree", 40, COLOR));
        assert_eq!(out, ["one", "two", "three"]);
    }

    #[test]
    fn paragraphs_are_parted_by_one_blank_line() {
        let out = strings(&render("First one.\n\n\n\nSecond\none.\n", 40, COLOR));
        assert_eq!(out, ["First one.", "", "Second one."]);
    }

    #[test]
    fn a_word_wider_than_the_line_is_split_and_nothing_else() {
        let out = strings(&render("see abcdefghijklmnopqrstuvwxyz now", 10, COLOR));
        assert_eq!(out, ["see", "abcdefghij", "klmnopqrst", "uvwxyz now"]);
    }

    #[test]
    fn no_word_is_lost() {
        let text = "When a service's tasks keep stopping, ECS backs off: it waits longer\n\
                    between attempts, up to about 15 minutes, and the deployment circuit breaker\n\
                    may roll back. Nothing here is a hard limit you can raise in Service Quotas.";
        for width in 10..=120 {
            let out = strings(&render(text, width, COLOR)).join(" ");
            assert_eq!(words(&out), words(text), "width {width}");
        }
    }

    #[test]
    fn styles_carry_across_a_wrap() {
        let lines = render("plain **bold words that wrap around** plain", 16, COLOR);
        let bold: Vec<String> = lines
            .iter()
            .flat_map(|l| &l.spans)
            .filter(|s| s.style.add_modifier.contains(Modifier::BOLD))
            .map(|s| s.content.to_string())
            .collect();
        assert_eq!(words(&bold.join(" ")), words("bold words that wrap around"));
        assert!(bold.len() >= 2, "{bold:?}");
    }

    #[test]
    fn inline_code_has_no_backticks_and_a_style() {
        for look in [COLOR, PLAIN] {
            let lines = render("Run `aws ecs list-tasks` now.", 80, look);
            assert_eq!(strings(&lines), ["Run aws ecs list-tasks now."]);
            let code = lines[0]
                .spans
                .iter()
                .find(|s| s.content == "aws ecs list-tasks")
                .expect("one span for the code");
            assert_ne!(code.style, Style::new());
        }
    }

    #[test]
    fn strong_emphasis_links_and_headings() {
        let lines = render(
            "# Title\n\n**b** *i* [the guide](https://example.com) <https://x.io>",
            80,
            COLOR,
        );
        assert_eq!(strings(&lines), ["Title", "", "b i the guide https://x.io"]);
        let style_of = |text: &str| {
            lines
                .iter()
                .flat_map(|l| &l.spans)
                .find(|s| s.content == text)
                .unwrap()
                .style
        };
        assert!(style_of("Title").add_modifier.contains(Modifier::BOLD));
        assert!(style_of("b").add_modifier.contains(Modifier::BOLD));
        assert!(style_of("i").add_modifier.contains(Modifier::ITALIC));
        assert!(
            style_of("the guide")
                .add_modifier
                .contains(Modifier::UNDERLINED)
        );
    }

    #[test]
    fn lists_have_markers_and_hanging_indents() {
        let text = "Launch types:\n\n\
                    - **FARGATE**: AWS runs the compute for you\n\
                    - **EC2**: your own instances\n  - nested item here\n\n\
                    1. first step\n2. second step that is long\n";
        let out = strings(&render(text, 24, COLOR));
        assert_eq!(
            out,
            [
                "Launch types:",
                "",
                "• FARGATE: AWS runs the",
                "  compute for you",
                "• EC2: your own",
                "  instances",
                "  ◦ nested item here",
                "",
                "1. first step",
                "2. second step that is",
                "   long",
            ]
        );
    }

    #[test]
    fn loose_lists_keep_their_blank_lines_and_numbers_align() {
        let text = (1..=10)
            .map(|n| format!("{n}. step\n\n"))
            .collect::<String>();
        let out = strings(&render(&text, 40, COLOR));
        assert_eq!(out[0], " 1. step");
        assert_eq!(out[1], "");
        assert_eq!(out[18], "10. step");
        assert_eq!(out.len(), 19);
    }

    #[test]
    fn block_quotes_have_a_bar() {
        let out = strings(&render("> quoted words\n> go on\n>\n> again", 40, COLOR));
        assert_eq!(out, ["│ quoted words go on", "│", "│ again"]);
    }

    #[test]
    fn code_blocks_are_verbatim_and_cut_with_a_mark() {
        let text =
            "Run:\n\n```\naws ecs list-tasks --cluster prod\n\n  --query 'tasks[0]'\n```\nDone.";
        let out = strings(&render(text, 20, COLOR));
        assert_eq!(
            out,
            [
                "Run:",
                "",
                "  aws ecs list-task→",
                "",
                "    --query 'tasks[→",
                "",
                "Done.",
            ]
        );
        let wide = strings(&render(text, 80, COLOR));
        assert_eq!(wide[2], "  aws ecs list-tasks --cluster prod");
        assert_eq!(wide[4], "    --query 'tasks[0]'");
        let indented = strings(&render("text\n\n    a  b\n    c\n", 40, COLOR));
        assert_eq!(indented, ["text", "", "  a  b", "  c"]);
    }

    #[test]
    fn the_cut_mark_sits_in_the_last_column() {
        let out = strings(&render("```\n日本語日本語日本語\n```", 8, COLOR));
        assert_eq!(out, ["  日本 →"]);
        assert_eq!(out[0].width(), 8);
    }

    #[test]
    fn tables_are_rows_of_cells() {
        let out = strings(&render("| a | b |\n|---|---|\n| 1 | 2 |\n", 40, COLOR));
        assert_eq!(out, ["a | b", "1 | 2"]);
    }

    #[test]
    fn inline_text_hangs_under_its_prefix() {
        let prefix = vec![Span::raw("❯ b) ")];
        let lines = render_inline(
            "Fargate runs `containers` on\nhosts AWS manages",
            prefix,
            20,
            COLOR,
        );
        assert_eq!(
            strings(&lines),
            [
                "❯ b) Fargate runs",
                "     containers on",
                "     hosts AWS",
                "     manages"
            ]
        );
    }

    #[test]
    fn inline_text_is_never_a_block() {
        let cases = [
            ("- minus", "- minus"),
            ("1. first", "1. first"),
            ("# of tasks", "# of tasks"),
            ("> 5 tasks", "> 5 tasks"),
            ("*both* ways", "both ways"),
            ("2 tasks", "2 tasks"),
            ("<https://x.io> link", "https://x.io link"),
            ("```", "```"),
            ("`code` first", "code first"),
            ("_em_ first", "em first"),
            ("---", "---"),
            ("    indented", "indented"),
            ("", ""),
        ];
        for (text, want) in cases {
            let out = strings(&render_inline(text, vec![Span::raw("❯ ")], 40, COLOR));
            assert_eq!(out, [format!("❯ {want}").trim_end()], "{text:?}");
        }
    }

    #[test]
    fn urls_are_never_split() {
        let url = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/launch_types.html";
        let line = url_line("Source: ", url, 120, COLOR);
        assert_eq!(strings(&[line]), [format!("Source: {url}")]);
        let line = url_line("Source: ", url, 40, COLOR);
        let text = &strings(std::slice::from_ref(&line))[0];
        assert_eq!(line.width(), 40);
        assert!(text.starts_with("Source: https://docs.aws"));
        assert!(text.ends_with('…'));
        for width in 0..=100 {
            assert!(url_line("Source: ", url, width, PLAIN).width() <= usize::from(width.max(1)));
        }
    }

    #[test]
    fn no_color_look_sets_no_colour() {
        let text = "# H\n\n`code` **b** *i* [l](https://x.io)\n\n> q\n\n- item\n\n```\ncode line that is long enough to be cut\n```";
        let mut lines = render(text, 30, PLAIN);
        lines.extend(render_inline(
            "`x` and **y**",
            vec![Span::raw("a) ")],
            30,
            PLAIN,
        ));
        lines.push(url_line("see ", "https://x.io/very/long/path", 12, PLAIN));
        for span in lines.iter().flat_map(|l| &l.spans) {
            assert_eq!((span.style.fg, span.style.bg), (None, None), "{span:?}");
        }
    }

    #[test]
    fn tiny_and_odd_widths_never_panic() {
        let text = "> - 日本語 **bold** `code`\n>   ```\n>   x\ty\n>   ```\n\n1. a\n   1. b";
        for width in 0..12 {
            for line in render(text, width, COLOR) {
                assert!(line.width() <= usize::from(width.max(1)));
            }
            let prefix = vec![Span::raw("12345678901234")];
            for line in render_inline(text, prefix, width, COLOR) {
                assert!(line.width() <= usize::from(width.max(1)));
            }
        }
    }

    /// The built-in texts as the reviewer shows them: prompts and explanations, the other
    /// markdown texts, and the one-line texts (options and order items).
    struct DeckTexts {
        prose: Vec<String>,
        other: Vec<String>,
        inline: Vec<String>,
    }

    fn deck_texts() -> DeckTexts {
        let catalog = load_catalog(&LoadOptions::default()).expect("the shipped decks load");
        let (mut prose, mut other, mut inline) = (Vec::new(), Vec::new(), Vec::new());
        for card in &catalog.cards {
            prose.push(card.prompt.clone());
            prose.push(card.explanation.clone());
            other.extend(card.answer.clone());
            other.extend(card.hint.clone());
            for option in &card.options {
                inline.push(option.text.clone());
                other.extend(option.why.clone());
            }
            inline.extend(card.items.iter().cloned());
        }
        for m in &catalog.misconceptions {
            other.push(m.wrong.clone());
            other.push(m.correct.clone());
        }
        other.extend(catalog.topics.iter().map(|t| t.summary.clone()));
        DeckTexts {
            prose,
            other,
            inline,
        }
    }

    fn assert_fits(lines: &[Line], width: u16, text: &str) {
        let out = strings(lines);
        for line in &out {
            assert!(line.width() <= usize::from(width), "{width}: {line:?}");
            assert_eq!(line.trim_end(), line, "trailing space in {text:?}");
        }
        assert!(out.last().is_some_and(|l| !l.is_empty()), "{text:?}");
    }

    /// The text without spaces, bars and cut marks: what a reader must get at every width.
    fn visible(lines: &[Line]) -> String {
        strings(lines)
            .concat()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '│')
            .collect()
    }

    #[test]
    fn built_in_prompts_and_explanations_fit_every_width_and_lose_nothing() {
        let texts = deck_texts().prose;
        assert!(texts.len() > 500);
        let has_code = |t: &str| t.contains("```") || t.contains("\n    ");
        let unwrapped: Vec<String> = texts
            .iter()
            .map(|t| visible(&render(t, u16::MAX, COLOR)))
            .collect();
        for width in 20..=140 {
            for (text, whole) in texts.iter().zip(&unwrapped) {
                let lines = render(text, width, COLOR);
                assert_fits(&lines, width, text);
                if !has_code(text) {
                    assert_eq!(&visible(&lines), whole, "{width}: {text:?}");
                }
            }
        }
    }

    #[test]
    fn other_built_in_texts_fit() {
        let texts = deck_texts();
        assert!(texts.other.len() > 300 && texts.inline.len() > 300);
        for width in (20..=140).step_by(6).chain([80, 100, 120]) {
            for text in &texts.other {
                assert_fits(&render(text, width, PLAIN), width, text);
            }
            for text in &texts.inline {
                let prefix = vec![Span::raw("❯ [x] c) ")];
                assert_fits(&render_inline(text, prefix, width, COLOR), width, text);
            }
        }
    }

    #[test]
    fn the_describe_tasks_answer_stays_copyable() {
        let catalog = load_catalog(&LoadOptions::default()).expect("the shipped decks load");
        let card = catalog
            .cards
            .iter()
            .find(|c| c.id == "ts-describe-tasks-query")
            .expect("the card with the code block");
        let answer = card.answer.as_deref().unwrap();
        let out = strings(&render(answer, 200, COLOR));
        let source: Vec<String> = answer
            .lines()
            .filter(|l| !l.starts_with("```"))
            .map(|l| {
                if l.is_empty() {
                    String::new()
                } else {
                    format!("  {l}")
                }
            })
            .collect();
        assert_eq!(out, source);
        let narrow = strings(&render(answer, 80, COLOR));
        assert_eq!(narrow.len(), source.len());
        assert!(narrow.iter().any(|l| l.ends_with('→')));
    }
}
