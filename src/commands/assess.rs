//! `ecsdrill assess`: a recall test across topics with a score out of 5 per topic and
//! overall, the level, what is solid and fuzzy, misconceptions shown, calibration of the
//! learner's confidence, and the next step. Each answer is also a review (FSRS schedules
//! the card as after any review). `--history` shows the past tests and the trend.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write, stdin};
use std::process::ExitCode;

use anyhow::Result;
use chrono::{Datelike, Duration};
use serde_json::json;

use crate::app::App;
use crate::assess::{
    Calibration, FUZZY, PER_TOPIC, PER_TOPIC_ALONE, SOLID, TopicOutcome, calibration, next_step,
    overall_level, pick, score,
};
use crate::cli::AssessArgs;
use crate::clock::{from_ms, study_day, to_ms};
use crate::deck::{Card, Catalog, Misconception};
use crate::error::UserError;
use crate::mastery::Level;
use crate::sched::Phase;
use crate::session::{Bucket, Session, SessionMode};
use crate::store::{Store, TopicResult};
use crate::study::{Content, EndReason, Study};
use crate::ui::Ui;
use crate::ui::plain::PlainUi;
use crate::ui::tui::TuiUi;

/// Assessment questions come straight from the loaded catalog.
struct FromCatalog<'a>(&'a Catalog);

impl Content for FromCatalog<'_> {
    fn card(&mut self, _: &Store, id: &str) -> Result<Option<Card>> {
        Ok(self.0.cards.iter().find(|c| c.id == id).cloned())
    }

    fn topic_title(&self, topic: &str) -> String {
        self.0
            .topic(topic)
            .map_or(topic, |t| t.title.as_str())
            .to_string()
    }

    fn misconception(&self, id: &str) -> Option<Misconception> {
        self.0.misconception(id).cloned()
    }
}

pub fn run(app: &App, args: &AssessArgs) -> Result<ExitCode> {
    if args.history {
        return history(app, args.json);
    }
    let catalog = app.catalog()?;
    let mut store = app.synced_store()?;
    for t in &args.topic {
        if catalog.topic(t).is_none() {
            return Err(UserError::env(format!("there is no topic `{t}`"))
                .with_hint(format!(
                    "topics: {}",
                    catalog
                        .topics
                        .iter()
                        .map(|t| t.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .into());
        }
    }
    let topics: Vec<&crate::deck::Topic> = catalog
        .topics
        .iter()
        .filter(|t| args.topic.is_empty() || args.topic.contains(&t.id))
        .collect();
    let now = app.clock.now();
    let seed = study_day(now).num_days_from_ce() as u64;
    let per_topic = if topics.len() == 1 {
        PER_TOPIC_ALONE
    } else {
        PER_TOPIC
    };
    let mut plan: Vec<(&str, Vec<&Card>)> = Vec::new();
    for t in &topics {
        let cards: Vec<&Card> = catalog
            .cards
            .iter()
            .filter(|c| c.topic == t.id && (args.deck.is_empty() || args.deck.contains(&c.deck)))
            .collect();
        let picked = pick(&cards, per_topic, seed);
        if !picked.is_empty() {
            plan.push((t.id.as_str(), picked));
        }
    }
    if plan.is_empty() {
        return Err(
            UserError::env("no auto-graded cards to assess in this selection")
                .with_hint("drop --deck, or choose another --topic")
                .into(),
        );
    }
    let total: usize = plan.iter().map(|(_, c)| c.len()).sum();

    // Questions and feedback go to stderr with --json, so stdout holds only the result.
    let out: Box<dyn Write> = if args.json {
        Box::new(std::io::stderr())
    } else {
        Box::new(std::io::stdout())
    };
    let mut input = BufReader::new(stdin());
    let mut out = out;
    writeln!(
        out,
        "Self-assessment: {total} questions on {} topic{}. First, how sure are you of each topic?",
        plan.len(),
        if plan.len() == 1 { "" } else { "s" }
    )?;
    writeln!(out, "1 = not at all, 5 = completely; Enter skips.")?;
    let mut confidence: BTreeMap<&str, u8> = BTreeMap::new();
    for (topic, _) in &plan {
        let title = catalog.topic(topic).map_or(*topic, |t| t.title.as_str());
        writeln!(out, "{title}")?;
        writeln!(out, "> confidence 1-5 (Enter skips)")?;
        out.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            writeln!(out)?;
            break;
        }
        if let Ok(c @ 1..=5) = line.trim().parse::<u8>() {
            confidence.insert(topic, c);
        }
    }

    let sched = app.scheduler(&store)?;
    let session_id = store.start_session(
        SessionMode::Assess.as_str(),
        &args.topic.join(","),
        to_ms(now),
    )?;
    crate::interrupt::watch_session(store.path().to_path_buf(), session_id);
    let states = store.card_states()?;
    let queue: Vec<(String, Bucket)> = plan
        .iter()
        .flat_map(|(_, cards)| cards.iter())
        .map(|c| {
            let phase = states.get(&c.id).map_or(Phase::New, |s| s.phase);
            (c.id.clone(), Bucket::of(phase))
        })
        .collect();
    let mut session = Session::new(queue, Vec::new(), None, 0, false);
    let mut ui: Box<dyn Ui + '_> = if app.plain || args.json {
        Box::new(PlainUi::new(&mut input, out))
    } else {
        Box::new(TuiUi::new(app.color)?)
    };
    let mut content = FromCatalog(&catalog);
    let end = Study {
        store: &mut store,
        sched: &sched,
        clock: &app.clock,
        mode: SessionMode::Assess,
        session_id,
        shuffle_salt: seed,
    }
    .run(&mut session, &mut content, ui.as_mut())?;
    drop(ui);
    crate::interrupt::session_over();
    // Quitting on the last verdict still completes the test.
    let finished = end == EndReason::Done || session.next(to_ms(app.clock.now())).is_none();
    let mut results: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut revealed: BTreeSet<String> = BTreeSet::new();
    for a in session.answers() {
        let Some((topic, _)) = plan.iter().find(|(t, _)| *t == a.record.topic) else {
            continue;
        };
        let entry = results.entry(topic).or_default();
        entry.0 += 1;
        entry.1 += usize::from(a.record.correct);
        revealed.extend(a.record.revealed.iter().cloned());
    }
    let end = app.clock.now();
    store.end_session(
        session_id,
        to_ms(end),
        if finished { "done" } else { "quit" },
    )?;
    if !finished {
        let answered: usize = results.values().map(|r| r.0).sum();
        eprintln!(
            "assessment stopped after {answered} of {total} questions: your answers are saved as reviews, but no score was recorded"
        );
        eprintln!("run `ecsdrill assess` again when you have the time for all {total}");
        return Ok(ExitCode::from(if crate::interrupt::take_over() {
            130
        } else {
            0
        }));
    }

    // Score, store, then read the mastery model with this assessment as evidence.
    let topic_results: Vec<TopicResult> = plan
        .iter()
        .map(|(t, _)| {
            let (asked, correct) = results.get(t).copied().unwrap_or_default();
            TopicResult {
                topic: t.to_string(),
                score: score(correct, asked),
                confidence: confidence.get(t).map(|c| *c as i64),
                asked: asked as i64,
                correct: correct as i64,
            }
        })
        .collect();
    let overall = (topic_results.iter().map(|t| t.score).sum::<f64>() / topic_results.len() as f64
        * 10.0)
        .round()
        / 10.0;
    let previous = store
        .assessments()?
        .last()
        .map(|a| Level::from_name(&a.level));
    let id = store.record_assessment(to_ms(end), overall, "exposure", &topic_results)?;
    let topic_stats = crate::progress::topic_stats(
        &catalog,
        &store,
        &sched,
        end,
        &store.card_states()?,
        &crate::progress::builtin_labs(),
    )?;
    let outcomes: Vec<TopicOutcome> = topic_results
        .iter()
        .map(|r| {
            let m = topic_stats
                .iter()
                .find(|t| t.mastery.id == r.topic)
                .map(|t| &t.mastery);
            TopicOutcome {
                id: r.topic.clone(),
                title: catalog
                    .topic(&r.topic)
                    .map_or(r.topic.clone(), |t| t.title.clone()),
                score: r.score,
                level: m.map_or(Level::Exposure, |m| m.level),
                asked: r.asked as usize,
                correct: r.correct as usize,
                confidence: r.confidence.map(|c| c as u8),
                calibration: r.confidence.map(|c| calibration(c as u8, r.score)),
                labs_missing: m.map_or(vec![], |m| {
                    m.labs
                        .iter()
                        .filter(|l| !m.labs_passed.contains(l))
                        .cloned()
                        .collect()
                }),
                explanation: m.map_or(String::new(), |m| m.explanation.clone()),
            }
        })
        .collect();
    let level = overall_level(&outcomes.iter().map(|t| t.level).collect::<Vec<_>>());
    store.set_assessment_level(id, level.as_str())?;
    let fuzzy_any = outcomes.iter().any(|t| t.score <= FUZZY);
    let again = study_day(end) + Duration::days(if fuzzy_any { 7 } else { 14 });
    let next = next_step(
        &outcomes,
        level,
        previous,
        &again.format("%Y-%m-%d").to_string(),
    );
    let solid: Vec<&str> = outcomes
        .iter()
        .filter(|t| t.score >= SOLID)
        .map(|t| t.title.as_str())
        .collect();
    let fuzzy: Vec<&str> = outcomes
        .iter()
        .filter(|t| t.score <= FUZZY)
        .map(|t| t.title.as_str())
        .collect();
    let misconceptions: Vec<&crate::deck::Misconception> = revealed
        .iter()
        .filter_map(|m| catalog.misconception(m))
        .collect();

    if args.json {
        let out = json!({
            "overall": overall,
            "level": level,
            "topics": outcomes,
            "solid": outcomes.iter().filter(|t| t.score >= SOLID).map(|t| &t.id).collect::<Vec<_>>(),
            "fuzzy": outcomes.iter().filter(|t| t.score <= FUZZY).map(|t| &t.id).collect::<Vec<_>>(),
            "misconceptions": misconceptions.iter().map(|m| json!({"id": m.id, "wrong": m.wrong, "correct": m.correct})).collect::<Vec<_>>(),
            "next_step": next,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    let mut o = std::io::stdout().lock();
    writeln!(o)?;
    writeln!(
        o,
        "Self-Assessment: {overall:.1}/5 · level: {}",
        level.as_str()
    )?;
    let width = outcomes
        .iter()
        .map(|t| t.title.chars().count())
        .max()
        .unwrap_or(10);
    for t in &outcomes {
        let cal = match (t.confidence, t.calibration) {
            (Some(c), Some(Calibration::OverConfident)) => {
                format!("  (you said {c}: over-confident)")
            }
            (Some(c), Some(Calibration::UnderConfident)) => {
                format!("  (you said {c}: under-confident)")
            }
            (Some(c), _) => format!("  (you said {c}: about right)"),
            _ => String::new(),
        };
        writeln!(
            o,
            "  {:<width$}  {} {:.1}  {}/{} right  {}{cal}",
            t.title,
            crate::progress::bar(t.score, 10),
            t.score,
            t.correct,
            t.asked,
            t.level.as_str()
        )?;
    }
    writeln!(
        o,
        "Solid on: {}",
        if solid.is_empty() {
            "nothing yet".into()
        } else {
            solid.join(", ")
        }
    )?;
    writeln!(
        o,
        "Fuzzy on: {}",
        if fuzzy.is_empty() {
            "nothing".into()
        } else {
            fuzzy.join(", ")
        }
    )?;
    if !misconceptions.is_empty() {
        writeln!(o, "Your answers showed these beliefs; the facts:")?;
        for m in &misconceptions {
            writeln!(o, "  - not so: {}\n    in fact: {}", m.wrong, m.correct)?;
        }
    }
    let rated: Vec<&TopicOutcome> = outcomes
        .iter()
        .filter(|t| t.calibration.is_some())
        .collect();
    if !rated.is_empty() {
        let count = |c: Calibration| rated.iter().filter(|t| t.calibration == Some(c)).count();
        writeln!(
            o,
            "Calibration: {} over-confident, {} under-confident, {} about right (confidence against score, out of 5)",
            count(Calibration::OverConfident),
            count(Calibration::UnderConfident),
            count(Calibration::Calibrated)
        )?;
    }
    writeln!(o, "{next}")?;
    Ok(ExitCode::SUCCESS)
}

fn history(app: &App, json: bool) -> Result<ExitCode> {
    let store = app.store()?;
    let rows = store.assessments()?;
    let now = app.clock.now();
    let mut trend: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for a in &rows {
        for t in &a.topics {
            trend.entry(t.topic.as_str()).or_default().push(t.score);
        }
    }
    if json {
        let out = json!({
            "assessments": rows.iter().map(|a| json!({
                "taken_at": from_ms(a.taken_ms, now).to_rfc3339(),
                "overall": a.overall,
                "level": a.level,
                "topics": a.topics.iter().map(|t| json!({"id": t.topic, "score": t.score, "confidence": t.confidence})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "trend": trend,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        println!("no assessment yet: `ecsdrill assess` takes one (about 10 minutes)");
        return Ok(ExitCode::SUCCESS);
    }
    println!("Assessments:");
    for a in &rows {
        println!(
            "  {}  {:.1}/5  {}  ({} topics)",
            from_ms(a.taken_ms, now).format("%Y-%m-%d %H:%M"),
            a.overall,
            a.level,
            a.topics.len()
        );
    }
    println!("Trend per topic (oldest to newest):");
    for (topic, scores) in &trend {
        let arrow = match (scores.first(), scores.last()) {
            (Some(a), Some(b)) if scores.len() > 1 && b > a => "up",
            (Some(a), Some(b)) if scores.len() > 1 && b < a => "down",
            _ if scores.len() > 1 => "flat",
            _ => "",
        };
        let seq: Vec<String> = scores.iter().map(|s| format!("{s:.1}")).collect();
        println!("  {topic:<22} {} {arrow}", seq.join(" → "));
    }
    Ok(ExitCode::SUCCESS)
}
