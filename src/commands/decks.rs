//! `ecsdrill decks list | check | export`: inspect, lint and export the content. `decks
//! list --topics` and `--misconceptions` show the ids a deck may refer to, since the
//! built-in `topics.yaml` and `misconceptions.yaml` live inside the binary.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::app::App;
use crate::cli::{DecksCommand, ExportFormat};
use crate::deck::{Card, Catalog, Diagnostic, Kind, check_paths, load_catalog};
use crate::rng::{hash_str, shuffled_indices};

pub fn run(app: &App, cmd: &DecksCommand) -> Result<ExitCode> {
    match cmd {
        DecksCommand::List {
            json, topics: true, ..
        } => list_topics(app, *json),
        DecksCommand::List {
            json,
            misconceptions: true,
            ..
        } => list_misconceptions(app, *json),
        DecksCommand::List { json, .. } => list(app, *json),
        DecksCommand::Check { paths } => check(app, paths),
        DecksCommand::Export { format, output } => export(app, *format, output.as_ref()),
    }
}

#[derive(Serialize)]
struct DeckRow {
    id: String,
    title: String,
    cards: usize,
    recall: usize,
    choice: usize,
    typed: usize,
    order: usize,
    builtin: bool,
    origin: String,
}

fn list(app: &App, json: bool) -> Result<ExitCode> {
    let catalog = app.catalog()?;
    let rows: Vec<DeckRow> = catalog
        .decks
        .iter()
        .map(|d| {
            let cards: Vec<&Card> = catalog
                .cards
                .iter()
                .filter(|c| c.deck == d.id && c.origin == d.origin)
                .collect();
            let count = |k: Kind| cards.iter().filter(|c| c.kind == k).count();
            DeckRow {
                id: d.id.clone(),
                title: d.title.clone(),
                cards: cards.len(),
                recall: count(Kind::Recall),
                choice: count(Kind::Choice),
                typed: count(Kind::Typed),
                order: count(Kind::Order),
                builtin: d.builtin,
                origin: d.origin.clone(),
            }
        })
        .collect();
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let w = rows.iter().map(|r| r.id.len()).max().unwrap_or(4).max(4);
    writeln!(
        out,
        "{:<w$}  {:>5}  {:>6} {:>6} {:>5} {:>5}  title",
        "deck", "cards", "recall", "choice", "typed", "order"
    )?;
    for r in &rows {
        let src = if r.builtin {
            String::new()
        } else {
            format!("  ({})", r.origin)
        };
        writeln!(
            out,
            "{:<w$}  {:>5}  {:>6} {:>6} {:>5} {:>5}  {}{src}",
            r.id, r.cards, r.recall, r.choice, r.typed, r.order, r.title
        )?;
    }
    writeln!(
        out,
        "{} cards in {} decks, {} topics",
        catalog.cards.len(),
        rows.len(),
        catalog.topics.len()
    )?;
    Ok(ExitCode::SUCCESS)
}

/// `id  text` lines, aligned, then a count; or `json` alone.
fn id_list(lines: &[(&str, &str)], what: &str, json: Option<&impl Serialize>) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    if let Some(v) = json {
        serde_json::to_writer_pretty(&mut out, v)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let w = lines.iter().map(|(id, _)| id.len()).max().unwrap_or(2);
    for (id, text) in lines {
        writeln!(
            out,
            "{id:<w$}  {}",
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        )?;
    }
    writeln!(out, "{} {what}", lines.len())?;
    Ok(ExitCode::SUCCESS)
}

fn list_topics(app: &App, json: bool) -> Result<ExitCode> {
    let catalog = app.catalog()?;
    let lines: Vec<(&str, &str)> = catalog
        .topics
        .iter()
        .map(|t| (t.id.as_str(), t.title.as_str()))
        .collect();
    id_list(&lines, "topics", json.then_some(&catalog.topics))
}

/// A misconception has no title: the wrong belief, in the learner's words, stands for it.
fn list_misconceptions(app: &App, json: bool) -> Result<ExitCode> {
    let catalog = app.catalog()?;
    let lines: Vec<(&str, &str)> = catalog
        .misconceptions
        .iter()
        .map(|m| (m.id.as_str(), m.wrong.as_str()))
        .collect();
    id_list(
        &lines,
        "misconceptions",
        json.then_some(&catalog.misconceptions),
    )
}

fn print_diagnostics(diags: &[Diagnostic]) {
    let mut err = std::io::stderr().lock();
    for d in diags {
        let _ = writeln!(err, "{d}");
    }
}

fn check(app: &App, paths: &[PathBuf]) -> Result<ExitCode> {
    let result = if paths.is_empty() {
        load_catalog(&app.load_options())
    } else {
        check_paths(paths)
    };
    match result {
        Ok(catalog) => {
            print_diagnostics(&catalog.warnings);
            println!(
                "ok: {} cards in {} decks, {} topics, {} misconceptions; {} warning{}",
                catalog.cards.len(),
                catalog.decks.len(),
                catalog.topics.len(),
                catalog.misconceptions.len(),
                catalog.warnings.len(),
                if catalog.warnings.len() == 1 { "" } else { "s" }
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(diags) => Ok(crate::deck::report_diagnostics(&diags)),
    }
}

#[derive(Serialize)]
struct ExportCard<'a> {
    id: &'a str,
    deck: &'a str,
    topic: &'a str,
    kind: &'a str,
    stage: Option<crate::deck::Stage>,
    prompt: &'a str,
    /// Choice: the option texts; order: the items in their correct order.
    options: Vec<&'a str>,
    answer: String,
    accept: &'a [String],
    explanation: &'a str,
    sources: &'a [String],
    misconceptions: &'a [String],
    hint: Option<&'a str>,
    as_of: Option<&'a str>,
}

fn options_of(card: &Card) -> Vec<&str> {
    match card.kind {
        Kind::Choice => card.options.iter().map(|o| o.text.as_str()).collect(),
        Kind::Order => card.items.iter().map(String::as_str).collect(),
        _ => Vec::new(),
    }
}

fn export(app: &App, format: ExportFormat, output: Option<&PathBuf>) -> Result<ExitCode> {
    let catalog = app.catalog()?;
    let mut buf: Vec<u8> = Vec::new();
    match format {
        ExportFormat::Json => {
            let cards: Vec<ExportCard> = catalog
                .cards
                .iter()
                .map(|c| ExportCard {
                    id: &c.id,
                    deck: &c.deck,
                    topic: &c.topic,
                    kind: c.kind.as_str(),
                    stage: c.stage,
                    prompt: &c.prompt,
                    options: options_of(c),
                    answer: c.answer_text(),
                    accept: &c.accept,
                    explanation: &c.explanation,
                    sources: &c.sources,
                    misconceptions: &c.misconceptions,
                    hint: c.hint.as_deref(),
                    as_of: c.as_of.as_deref(),
                })
                .collect();
            serde_json::to_writer_pretty(&mut buf, &cards)?;
            buf.push(b'\n');
        }
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(&mut buf);
            w.write_record([
                "id",
                "deck",
                "topic",
                "kind",
                "prompt",
                "options",
                "answer",
                "explanation",
                "sources",
                "misconceptions",
            ])?;
            for c in &catalog.cards {
                w.write_record([
                    c.id.as_str(),
                    &c.deck,
                    &c.topic,
                    c.kind.as_str(),
                    c.prompt.trim(),
                    &options_of(c).join(" | "),
                    &c.answer_text(),
                    c.explanation.trim(),
                    &c.sources.join(" "),
                    &c.misconceptions.join(" "),
                ])?;
            }
            w.flush()?;
        }
        ExportFormat::Anki => anki(&catalog, &mut buf)?,
    }
    match output {
        Some(path) => {
            std::fs::write(path, &buf).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {} cards to {}", catalog.cards.len(), path.display());
        }
        None => std::io::stdout().lock().write_all(&buf)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn html(markdown: &str) -> String {
    let parser = pulldown_cmark::Parser::new(markdown.trim());
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, parser);
    // Anki reads one note per line: keep the HTML on one line.
    out.trim().replace('\n', " ")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Anki's text importer: a header telling it the separator, that fields are HTML, the note
/// type, deck and which columns hold the GUID and the tags; then one note per line.
fn anki(catalog: &Catalog, buf: &mut Vec<u8>) -> Result<()> {
    buf.extend_from_slice(
        b"#separator:tab\n#html:true\n#notetype:Basic\n#deck:ecsdrill::ECS\n#guid column:1\n#tags column:4\n#columns:GUID\tFront\tBack\tTags\n",
    );
    let mut w = csv::WriterBuilder::new()
        .delimiter(b'\t')
        .has_headers(false)
        .from_writer(buf);
    for c in &catalog.cards {
        let mut front = html(&c.prompt);
        match c.kind {
            Kind::Choice => {
                let items: String = c
                    .options
                    .iter()
                    .map(|o| format!("<li>{}</li>", escape(&o.text)))
                    .collect();
                front.push_str(&format!("<ol type=\"a\">{items}</ol>"));
                if c.correct_options().len() > 1 {
                    front.push_str("<p><i>Choose all that apply.</i></p>");
                }
            }
            Kind::Order => {
                let shown = shuffled_indices(c.items.len(), hash_str(&c.id));
                let items: String = shown
                    .iter()
                    .map(|&i| format!("<li>{}</li>", escape(&c.items[i])))
                    .collect();
                front.push_str(&format!("<p><i>Put in order:</i></p><ul>{items}</ul>"));
            }
            _ => {}
        }
        let answer = match c.kind {
            Kind::Recall => html(c.answer.as_deref().unwrap_or_default()),
            Kind::Order => {
                let items: String = c
                    .items
                    .iter()
                    .map(|i| format!("<li>{}</li>", escape(i)))
                    .collect();
                format!("<ol>{items}</ol>")
            }
            _ => format!("<p><b>{}</b></p>", escape(&c.answer_text())),
        };
        let sources: String = c
            .sources
            .iter()
            .map(|s| format!("<a href=\"{s}\">{s}</a><br>", s = escape(s)))
            .collect();
        let back = format!("{answer}<hr>{}<p>{sources}</p>", html(&c.explanation));
        let tags = format!(
            "ecsdrill topic::{} deck::{} kind::{}",
            c.topic,
            c.deck,
            c.kind.as_str()
        );
        w.write_record([format!("ecsdrill-{}", c.id), front, back, tags])?;
    }
    w.flush()?;
    Ok(())
}
