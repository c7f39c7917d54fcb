//! Interactive mode for a real terminal: markdown rendered by termimad, answers taken with
//! keys through dialoguer (arrow keys and Enter for choices, Space to pick up an item when
//! ordering, 1-4 to rate). `q` or Esc quits; Ctrl-C ends the session the same way.

use std::io::{ErrorKind, Write};

use anyhow::Result;
use console::{Key, Term, style};
use dialoguer::theme::ColorfulTheme;
use dialoguer::{Input, MultiSelect, Select, Sort};
use termimad::MadSkin;

use super::{
    Feedback, Next, Question, Reply, Response, Summary, Ui, leech_text, letter, rating_name,
    summary_lines,
};
use crate::deck::Kind;
use crate::ui::plain::answer_for_display;

pub struct InteractiveUi {
    term: Term,
    skin: MadSkin,
    theme: ColorfulTheme,
}

fn interrupted(e: &dialoguer::Error) -> bool {
    let dialoguer::Error::IO(io) = e;
    matches!(io.kind(), ErrorKind::Interrupted | ErrorKind::UnexpectedEof)
}

fn quit(used_hint: bool) -> Response {
    Response {
        reply: Reply::Quit,
        raw: String::new(),
        used_hint,
        easy: false,
    }
}

impl InteractiveUi {
    pub fn new(color: bool) -> Self {
        let skin = if color {
            MadSkin::default()
        } else {
            MadSkin::no_style()
        };
        InteractiveUi {
            term: Term::stdout(),
            skin,
            theme: ColorfulTheme::default(),
        }
    }

    fn markdown(&mut self, text: &str) -> Result<()> {
        let width = (self.term.size().1 as usize).clamp(40, 100);
        let rendered = self.skin.text(text.trim(), Some(width));
        write!(self.term, "{rendered}")?;
        Ok(())
    }

    /// Waits for one of the keys; Ctrl-C, Esc and `q` mean quit (None).
    fn key(&mut self, accept: &[char], enter: bool) -> Result<Option<char>> {
        loop {
            match self.term.read_key() {
                Ok(Key::Enter) if enter => return Ok(Some('\n')),
                Ok(Key::Char('q')) | Ok(Key::Escape) | Ok(Key::CtrlC) => return Ok(None),
                Ok(Key::Char(c)) if accept.contains(&c) => return Ok(Some(c)),
                Ok(_) => continue,
                Err(e) if matches!(e.kind(), ErrorKind::Interrupted | ErrorKind::UnexpectedEof) => {
                    return Ok(None);
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn why_and_sources(&mut self, q: &Question) -> Result<()> {
        writeln!(self.term, "{}", style("Why").bold())?;
        self.markdown(&q.card.explanation)?;
        for s in &q.card.sources {
            writeln!(
                self.term,
                "{} {}",
                style("source:").dim(),
                style(s).underlined()
            )?;
        }
        Ok(())
    }

    fn hint(&mut self, q: &Question) -> Result<()> {
        let text = q
            .card
            .hint
            .clone()
            .unwrap_or_else(|| "This card has no hint.".into());
        writeln!(
            self.term,
            "{} {}",
            style("hint:").yellow().bold(),
            text.trim()
        )?;
        Ok(())
    }

    fn ask_recall(&mut self, q: &Question) -> Result<Response> {
        let mut used_hint = false;
        loop {
            writeln!(
                self.term,
                "{}",
                style("Enter: show answer · ?: hint · q: quit").dim()
            )?;
            match self.key(&['?'], true)? {
                None => return Ok(quit(used_hint)),
                Some('?') => {
                    used_hint = true;
                    self.hint(q)?;
                }
                Some(_) => break,
            }
        }
        writeln!(self.term, "{}", style("Answer").green().bold())?;
        self.markdown(q.card.answer.as_deref().unwrap_or_default())?;
        self.why_and_sources(q)?;
        writeln!(
            self.term,
            "{}",
            style("Rate: 1 again · 2 hard · 3 good · 4 easy · q quit").dim()
        )?;
        match self.key(&['1', '2', '3', '4'], false)? {
            None => Ok(quit(used_hint)),
            Some(c) => {
                let r = c.to_digit(10).unwrap_or(3) as u8;
                Ok(Response {
                    reply: Reply::Rated(r),
                    raw: String::new(),
                    used_hint,
                    easy: false,
                })
            }
        }
    }
}

impl Ui for InteractiveUi {
    fn ask(&mut self, q: &Question) -> Result<Response> {
        let card = q.card;
        writeln!(self.term)?;
        let mode = if q.cram { " · cram" } else { "" };
        writeln!(
            self.term,
            "{} {}",
            style(format!("{}/{}", q.position, q.total)).cyan().bold(),
            style(format!("{} · {}{mode}", q.topic_title, card.kind.as_str())).dim()
        )?;
        self.markdown(&card.prompt)?;
        let mut used_hint = false;
        loop {
            let hint_item = card.hint.is_some() && !used_hint;
            let reply = match card.kind {
                Kind::Recall => return self.ask_recall(q),
                Kind::Choice => {
                    let mut items: Vec<String> = q
                        .order
                        .iter()
                        .enumerate()
                        .map(|(p, &i)| format!("{}) {}", letter(p), card.options[i].text))
                        .collect();
                    if q.multiple() {
                        let picked = MultiSelect::with_theme(&self.theme)
                            .with_prompt(
                                "Choose all that apply (Space toggles, Enter confirms, q quits)",
                            )
                            .items(&items)
                            .interact_on_opt(&self.term);
                        match picked {
                            Ok(Some(p)) if p.is_empty() => Reply::DontKnow,
                            Ok(Some(p)) => Reply::Choice(p.iter().map(|&d| q.order[d]).collect()),
                            Ok(None) => return Ok(quit(used_hint)),
                            Err(e) if interrupted(&e) => return Ok(quit(used_hint)),
                            Err(e) => return Err(e.into()),
                        }
                    } else {
                        if hint_item {
                            items.push("? show a hint".into());
                        }
                        let picked = Select::with_theme(&self.theme)
                            .with_prompt("Choose one (Enter confirms, q quits)")
                            .items(&items)
                            .default(0)
                            .interact_on_opt(&self.term);
                        match picked {
                            Ok(Some(p)) if p >= q.order.len() => {
                                used_hint = true;
                                self.hint(q)?;
                                continue;
                            }
                            Ok(Some(p)) => Reply::Choice(vec![q.order[p]]),
                            Ok(None) => return Ok(quit(used_hint)),
                            Err(e) if interrupted(&e) => return Ok(quit(used_hint)),
                            Err(e) => return Err(e.into()),
                        }
                    }
                }
                Kind::Typed => {
                    let text = Input::<String>::with_theme(&self.theme)
                        .with_prompt("Your answer (? hint, q quit)")
                        .allow_empty(true)
                        .interact_text_on(&self.term);
                    match text {
                        Ok(t) if t.trim() == "?" => {
                            used_hint = true;
                            self.hint(q)?;
                            continue;
                        }
                        Ok(t) if matches!(t.trim(), "q" | "quit") => return Ok(quit(used_hint)),
                        Ok(t) if t.trim().is_empty() => Reply::DontKnow,
                        Ok(t) => Reply::Typed(t.trim().to_string()),
                        Err(e) if interrupted(&e) => return Ok(quit(used_hint)),
                        Err(e) => return Err(e.into()),
                    }
                }
                Kind::Order => {
                    let items: Vec<&str> =
                        q.order.iter().map(|&i| card.items[i].as_str()).collect();
                    let sorted = Sort::with_theme(&self.theme)
                        .with_prompt("Put in order: Space picks up an item, ↑↓ move it, Enter confirms, q quits")
                        .items(&items)
                        .interact_on_opt(&self.term);
                    match sorted {
                        Ok(Some(p)) => Reply::Order(p.iter().map(|&d| q.order[d]).collect()),
                        Ok(None) => return Ok(quit(used_hint)),
                        Err(e) if interrupted(&e) => return Ok(quit(used_hint)),
                        Err(e) => return Err(e.into()),
                    }
                }
            };
            let raw = match &reply {
                Reply::Typed(t) => t.clone(),
                Reply::Choice(p) | Reply::Order(p) => p
                    .iter()
                    .map(|i| (i + 1).to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
                _ => String::new(),
            };
            return Ok(Response {
                reply,
                raw,
                used_hint,
                easy: false,
            });
        }
    }

    fn verdict(&mut self, q: &Question, fb: &Feedback) -> Result<Next> {
        let card = q.card;
        if card.kind == Kind::Recall {
            return Ok(Next::Continue);
        }
        if fb.correct {
            writeln!(self.term, "{}", style("✓ Right").green().bold())?;
        } else {
            writeln!(
                self.term,
                "{} the answer is {}",
                style("✗ Wrong:").red().bold(),
                answer_for_display(q)
            )?;
        }
        if let Some(n) = &fb.note {
            writeln!(self.term, "{}", style(n).dim())?;
        }
        for why in &fb.option_notes {
            writeln!(self.term, "{}", why.trim())?;
        }
        for m in &fb.revealed {
            writeln!(
                self.term,
                "{} \"{}\" is a common wrong belief.",
                style("Misconception:").magenta().bold(),
                m.wrong
            )?;
            writeln!(self.term, "In fact: {}", m.correct)?;
        }
        self.why_and_sources(q)?;
        let help = if fb.correct && fb.rating == 3 {
            "Enter: next · 4: it was easy · q: quit"
        } else {
            "Enter: next · q: quit"
        };
        writeln!(self.term, "{}", style(help).dim())?;
        let keys: &[char] = if fb.correct && fb.rating == 3 {
            &['4']
        } else {
            &[]
        };
        Ok(match self.key(keys, true)? {
            None => Next::Quit,
            Some('4') => Next::Easy,
            Some(_) => Next::Continue,
        })
    }

    fn saved(&mut self, q: &Question, fb: &Feedback) -> Result<()> {
        if fb.leech_warning {
            writeln!(self.term, "{}", style(leech_text()).yellow())?;
        }
        let text = if q.cram {
            format!(
                "saved: {} (cram: schedule unchanged)",
                rating_name(fb.rating)
            )
        } else {
            format!(
                "saved: {} · next review {}",
                rating_name(fb.rating),
                fb.next_due
            )
        };
        writeln!(self.term, "{}", style(text).dim())?;
        Ok(())
    }

    fn summary(&mut self, s: &Summary) -> Result<()> {
        writeln!(self.term)?;
        let _ = self.term.show_cursor();
        for (i, line) in summary_lines(s).into_iter().enumerate() {
            if i == 0 {
                writeln!(self.term, "{}", style(line).bold())?;
            } else {
                writeln!(self.term, "{line}")?;
            }
        }
        Ok(())
    }
}
