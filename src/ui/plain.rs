//! Plain line mode: every prompt is text that ends in a line starting with `> `, every
//! answer is one line on stdin. No colour, no cursor movement: it can be scripted,
//! tested and read by a screen reader. End of input ends the session cleanly.

use std::io::{BufRead, Write};

use anyhow::Result;

use super::{
    AfterVerdict, EndChoice, Feedback, Question, Reply, Response, Summary, Ui, leech_text, letter,
    summary_lines,
};
use crate::deck::Kind;
use crate::grade;

pub struct PlainUi<R, W> {
    input: R,
    out: W,
}

impl<R: BufRead, W: Write> PlainUi<R, W> {
    pub fn new(input: R, out: W) -> Self {
        PlainUi { input, out }
    }

    /// One line without its newline; None at end of input.
    fn read_line(&mut self) -> Result<Option<String>> {
        let mut line = String::new();
        match self.input.read_line(&mut line) {
            Ok(0) => Ok(None),
            Ok(_) => Ok(Some(line.trim_end_matches(['\n', '\r']).to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Ok(Some(String::new())),
            Err(e) => Err(e.into()),
        }
    }

    fn prompt(&mut self, text: &str) -> Result<()> {
        writeln!(self.out, "> {text}")?;
        self.out.flush()?;
        Ok(())
    }

    fn show_hint(&mut self, q: &Question) -> Result<()> {
        match &q.card.hint {
            Some(h) => writeln!(self.out, "hint: {}", one_paragraph(h))?,
            None => writeln!(
                self.out,
                "hint: this card has no hint; answer as best you can"
            )?,
        }
        Ok(())
    }

    fn ask_recall(&mut self, q: &Question) -> Result<Response> {
        let mut used_hint = false;
        let attempt = loop {
            self.prompt("press Enter to show the answer (? hint, q quit)")?;
            match self.read_line()? {
                None => return Ok(quit(used_hint)),
                Some(l) if is_quit(&l) => return Ok(quit(used_hint)),
                Some(l) if l.trim() == "?" => {
                    used_hint = true;
                    self.show_hint(q)?;
                }
                Some(l) => break l.trim().to_string(),
            }
        };
        let card = q.card;
        writeln!(
            self.out,
            "answer: {}",
            one_paragraph(card.answer.as_deref().unwrap_or_default())
        )?;
        writeln!(self.out, "why: {}", one_paragraph(&card.explanation))?;
        for s in &card.sources {
            writeln!(self.out, "source: {s}")?;
        }
        let mut failures = 0;
        loop {
            self.prompt("rate your recall: 1 again, 2 hard, 3 good, 4 easy (q quit)")?;
            let Some(line) = self.read_line()? else {
                return Ok(quit(used_hint));
            };
            if is_quit(&line) {
                return Ok(quit(used_hint));
            }
            if let Some(r) = grade::parse_rating(&line) {
                return Ok(Response {
                    reply: Reply::Rated(r),
                    raw: attempt,
                    used_hint,
                    easy: false,
                });
            }
            failures += 1;
            if failures >= 2 {
                writeln!(
                    self.out,
                    "could not read {line:?} again: counted as don't know (again)"
                )?;
                return Ok(Response {
                    reply: Reply::DontKnow,
                    raw: attempt,
                    used_hint,
                    easy: false,
                });
            }
            writeln!(self.out, "could not read {line:?}: type 1, 2, 3 or 4")?;
        }
    }
}

fn quit(used_hint: bool) -> Response {
    Response {
        reply: Reply::Quit,
        raw: String::new(),
        used_hint,
        easy: false,
    }
}

fn is_quit(line: &str) -> bool {
    matches!(line.trim().to_ascii_lowercase().as_str(), "q" | "quit")
}

/// Markdown as plain text: emphasis and code markers dropped, lists and paragraphs kept,
/// nothing wrapped (a screen reader or a script gets whole lines).
fn one_paragraph(text: &str) -> String {
    super::markdown_text(text, false).trim().to_string()
}

fn instructions(q: &Question) -> &'static str {
    match q.card.kind {
        Kind::Recall => "",
        Kind::Choice if q.multiple() => {
            "choose all that apply: letters or numbers separated by commas (? hint, q quit)"
        }
        Kind::Choice => "choose one: a letter or a number (? hint, q quit)",
        Kind::Typed => "type the answer (? hint, q quit)",
        Kind::Order => "type the item numbers in the right order, e.g. 2 3 1 (? hint, q quit)",
    }
}

fn reread_help(kind: Kind, n: usize) -> String {
    match kind {
        Kind::Choice => format!(
            "answer with a letter a-{} or a number 1-{n}",
            letter(n.saturating_sub(1))
        ),
        Kind::Order => format!(
            "give each number from 1 to {n} once, in order, e.g. {}",
            (1..=n)
                .rev()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        ),
        _ => "type your answer, ? for a hint, or q to quit".into(),
    }
}

impl<R: BufRead, W: Write> Ui for PlainUi<R, W> {
    fn ask(&mut self, q: &Question) -> Result<Response> {
        let card = q.card;
        let mode = if q.cram() { " · cram" } else { "" };
        writeln!(self.out)?;
        writeln!(
            self.out,
            "[{}/{}] {} · {}{mode}",
            q.position(),
            q.counts.total,
            q.topic_title,
            card.kind.as_str()
        )?;
        writeln!(self.out, "{}", one_paragraph(&card.prompt))?;
        match card.kind {
            Kind::Recall => return self.ask_recall(q),
            Kind::Choice => {
                for (pos, &idx) in q.order.iter().enumerate() {
                    writeln!(self.out, "  {}) {}", letter(pos), card.options[idx].text)?;
                }
            }
            Kind::Order => {
                for (pos, &idx) in q.order.iter().enumerate() {
                    writeln!(self.out, "  {}. {}", pos + 1, card.items[idx])?;
                }
            }
            Kind::Typed => {}
        }
        let mut used_hint = false;
        let mut failures = 0;
        let n = q.order.len();
        loop {
            self.prompt(instructions(q))?;
            let Some(line) = self.read_line()? else {
                return Ok(quit(used_hint));
            };
            let trimmed = line.trim();
            if is_quit(trimmed) {
                return Ok(quit(used_hint));
            }
            if trimmed == "?" {
                used_hint = true;
                self.show_hint(q)?;
                continue;
            }
            let (body, easy) = match trimmed.strip_suffix('+') {
                Some(b) => (b.trim_end(), true),
                None => (trimmed, false),
            };
            let reply = match card.kind {
                Kind::Choice => grade::parse_choice(body, n)
                    .map(|p| Reply::Choice(p.iter().map(|&d| q.order[d]).collect())),
                Kind::Order => grade::parse_order(body, n)
                    .map(|p| Reply::Order(p.iter().map(|&d| q.order[d]).collect())),
                Kind::Typed => (!body.is_empty()).then(|| Reply::Typed(body.to_string())),
                Kind::Recall => None,
            };
            if let Some(reply) = reply {
                return Ok(Response {
                    reply,
                    raw: body.to_string(),
                    used_hint,
                    easy,
                });
            }
            failures += 1;
            if failures >= 2 {
                writeln!(
                    self.out,
                    "could not read {line:?} again: counted as don't know"
                )?;
                return Ok(Response {
                    reply: Reply::DontKnow,
                    raw: line,
                    used_hint,
                    easy: false,
                });
            }
            writeln!(
                self.out,
                "could not read {line:?}: {}",
                reread_help(card.kind, n)
            )?;
        }
    }

    fn verdict(&mut self, q: &Question, fb: &Feedback) -> Result<AfterVerdict> {
        let card = q.card;
        if card.kind != Kind::Recall {
            if fb.overridden {
                writeln!(self.out, "counted as right (you said so)")?;
            } else if fb.slow {
                writeln!(self.out, "correct, but slow: saved as hard")?;
            } else if fb.hinted {
                writeln!(self.out, "correct after the hint: saved as hard")?;
            } else if fb.correct {
                writeln!(self.out, "correct")?;
            } else if q.multiple() {
                // One line per option: what was ticked, and whether that was right.
                writeln!(self.out, "wrong:")?;
                let picked: &[usize] = match fb.reply {
                    Reply::Choice(p) => p,
                    _ => &[],
                };
                for (pos, &idx) in q.order.iter().enumerate() {
                    let opt = &card.options[idx];
                    let mark = match (opt.correct, picked.contains(&idx)) {
                        (true, true) => "right, ticked",
                        (true, false) => "right, missed",
                        (false, true) => "wrong, ticked",
                        (false, false) => "wrong, not ticked",
                    };
                    writeln!(
                        self.out,
                        "  {}) {} [{mark}]",
                        letter(pos),
                        one_paragraph(&opt.text)
                    )?;
                }
            } else {
                writeln!(self.out, "wrong: the answer is {}", answer_for_display(q))?;
                if let Reply::Typed(t) = fb.reply {
                    writeln!(self.out, "you answered: {t}")?;
                }
            }
            if let Some(note) = &fb.note {
                writeln!(self.out, "note: {note}")?;
            }
            for why in &fb.option_notes {
                writeln!(self.out, "note: {}", one_paragraph(why))?;
            }
            for m in &fb.revealed {
                writeln!(
                    self.out,
                    "misconception: \"{}\" is a common wrong belief. In fact: {}",
                    m.wrong, m.correct
                )?;
            }
            writeln!(self.out, "why: {}", one_paragraph(&card.explanation))?;
            for s in &card.sources {
                writeln!(self.out, "source: {s}")?;
            }
        }
        if fb.leech_warning {
            writeln!(self.out, "{}", leech_text())?;
        }
        if q.cram() {
            writeln!(
                self.out,
                "saved: {} (cram: schedule unchanged)",
                fb.rating.name()
            )?;
        } else {
            writeln!(
                self.out,
                "saved: {} · next review {}",
                fb.rating.name(),
                fb.next_due
            )?;
        }
        self.out.flush()?;
        Ok(AfterVerdict::Next)
    }

    fn summary(&mut self, s: &Summary) -> Result<EndChoice> {
        writeln!(self.out)?;
        for line in summary_lines(s) {
            writeln!(self.out, "{line}")?;
        }
        self.out.flush()?;
        Ok(EndChoice::Quit)
    }
}

/// The right answer, with option letters or item numbers as they were shown.
pub fn answer_for_display(q: &Question) -> String {
    let card = q.card;
    match card.kind {
        Kind::Choice => q
            .order
            .iter()
            .enumerate()
            .filter(|(_, idx)| card.options[**idx].correct)
            .map(|(pos, idx)| format!("{}) {}", letter(pos), card.options[*idx].text))
            .collect::<Vec<_>>()
            .join("; "),
        Kind::Order => {
            let shown: Vec<String> = (0..card.items.len())
                .filter_map(|item| {
                    q.order
                        .iter()
                        .position(|&i| i == item)
                        .map(|p| (p + 1).to_string())
                })
                .collect();
            format!("{} ({})", shown.join(" "), card.items.join(" → "))
        }
        _ => card.answer_text(),
    }
}
