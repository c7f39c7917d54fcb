//! Benchmark helpers for scripts/bench.py.
//!
//! `bench synth --dir DIR --cards N --reviews M`: a synthetic collection: DIR/decks/synthetic.yaml
//! with N cards and DIR/ecsdrill.db with their memory state and M review-log rows spread
//! over two years, about 1% of the cards due on the benchmark day.
//!
//! `bench commit --db DB --n N`: records N answers through the real store, one transaction
//! each, and prints the latency percentiles as JSON.
//!
//! `bench frame --n N`: the full-screen reviewer's keypress-to-frame time: N keys (arrows,
//! letters, Space) handled and the 80x24 screen redrawn, over every built-in card, on
//! ratatui's test backend (the terminal write itself is not included); percentiles as JSON.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use ecsdrill::rng::SplitMix64;
use ecsdrill::sched::{CardState, Phase};
use ecsdrill::store::{AnswerRecord, Store};
use rusqlite::{Connection, params};

const NOW_MS: i64 = 1_795_334_400_000; // 2026-11-22T08:00:00Z, the benchmark day
const DAY_MS: i64 = 86_400_000;
const TOPICS: &[&str] = &[
    "ecr-vs-ecs",
    "cluster",
    "task-definition",
    "task",
    "service",
    "crash-loops",
    "deployments",
    "launch-types",
    "iam-roles",
    "secrets",
    "logging",
    "load-balancing",
    "networking",
    "cicd",
    "auto-scaling",
    "service-to-service",
    "troubleshooting",
    "cost",
    "ecs-vs-eks",
];

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

fn synth_deck(cards: usize) -> String {
    let mut y =
        String::from("format_version: 1\nid: synthetic\ntitle: Synthetic benchmark deck\ncards:\n");
    for i in 0..cards {
        let topic = TOPICS[i % TOPICS.len()];
        let _ = write!(
            y,
            "  - id: syn-{i}\n    topic: {topic}\n    stage: scenario\n"
        );
        let prompt = format!(
            "Synthetic question {i}: a service in cluster c{i} has desired count {} and its tasks stop; what do you check first?",
            i % 7 + 1
        );
        match i % 4 {
            0 => {
                let _ = write!(
                    y,
                    "    kind: choice\n    prompt: \"{prompt}\"\n    options:\n      - text: The stoppedReason of the stopped task {i}\n        correct: true\n      - text: The cluster name {i}\n      - text: The AWS account alias {i}\n      - text: Nothing, it rolls back by itself {i}\n"
                );
            }
            1 => {
                let _ = write!(
                    y,
                    "    kind: typed\n    prompt: \"{prompt}\"\n    answer: stoppedReason\n    accept: [stopped reason]\n"
                );
            }
            2 => {
                let _ = write!(
                    y,
                    "    kind: order\n    prompt: \"{prompt}\"\n    items: [describe-services {i}, list-tasks --desired-status STOPPED, describe-tasks, read the logs]\n"
                );
            }
            _ => {
                let _ = write!(
                    y,
                    "    kind: recall\n    prompt: \"{prompt}\"\n    answer: The stoppedReason and the exit code of the essential container.\n"
                );
            }
        }
        y.push_str("    explanation: The stoppedReason says why ECS stopped the task, which is where every investigation starts; the logs then explain the application side.\n");
        y.push_str("    sources: [https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-errors.html]\n");
    }
    y
}

fn synth(args: &[String]) -> anyhow::Result<()> {
    let dir = PathBuf::from(arg(args, "--dir", "target/bench-data"));
    let cards: usize = arg(args, "--cards", "10000").parse()?;
    let reviews: usize = arg(args, "--reviews", "1000000").parse()?;
    std::fs::create_dir_all(dir.join("decks"))?;
    std::fs::write(dir.join("decks/synthetic.yaml"), synth_deck(cards))?;
    let db = dir.join("ecsdrill.db");
    let _ = std::fs::remove_file(&db);
    drop(Store::open(&db)?);
    let mut conn = Connection::open(&db)?;
    // One transaction for a million rows: a cache large enough that SQLite never spills
    // half-built index pages into the WAL again and again (a small cache grew it to tens of GB).
    conn.pragma_update(None, "cache_size", -1_000_000)?;
    let tx = conn.transaction()?;
    let mut rng = SplitMix64::new(42);
    tx.execute("INSERT INTO session (id, started_ms, ended_ms, mode, answered, correct, end_reason) VALUES (1, ?1, ?1, 'review', 0, 0, 'done')", params![NOW_MS - 730 * DAY_MS])?;
    {
        let mut log = tx.prepare(
            "INSERT INTO review_log (card_id, session_id, reviewed_ms, rating, answer, correct, response_ms, kind,
                phase_before, stability_before, difficulty_before, due_before_ms, phase_after, stability_after,
                difficulty_after, due_after_ms, elapsed_days, scheduled_days, misconceptions)
             VALUES (?1, 1, ?2, ?3, 'b', ?4, ?5, 'review', 'review', ?6, 5.0, ?2, 'review', ?7, 5.0, ?8, ?9, ?9, '')",
        )?;
        let per_card = reviews / cards.max(1);
        for i in 0..reviews {
            let card = i % cards;
            let k = (i / cards) as i64;
            let t = NOW_MS - 730 * DAY_MS
                + k * (720 / per_card.max(1) as i64) * DAY_MS
                + (card as i64 % 1000) * 60_000;
            let rating = if rng.next_f64() < 0.1 { 1 } else { 3 };
            let s = 1.0 + k as f64 * 2.0;
            log.execute(params![
                format!("syn-{card}"),
                t,
                rating,
                rating > 1,
                4000 + (i % 5000) as i64,
                s,
                s * 1.5,
                t + (s * 1.5) as i64 * DAY_MS,
                k
            ])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO card_state (card_id, phase, step, stability, difficulty, due_ms, last_review_ms, reps, lapses, scheduled_days, leech)
             VALUES (?1, 'review', 0, ?2, 5.0, ?3, ?4, ?5, ?6, ?7, 0)",
        )?;
        for card in 0..cards {
            // About 1% due today, the rest spread over the next year.
            let due = if card % 100 == 0 {
                NOW_MS - DAY_MS
            } else {
                NOW_MS + (1 + (card as i64 * 37) % 365) * DAY_MS
            };
            let s = 5.0 + (card % 300) as f64;
            st.execute(params![
                format!("syn-{card}"),
                s,
                due,
                due - (s as i64) * DAY_MS,
                per_card as i64,
                (card % 9) as i64,
                s as i64
            ])?;
        }
    }
    tx.commit()?;
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;")?;
    println!(
        "{{\"dir\": \"{}\", \"cards\": {cards}, \"reviews\": {reviews}}}",
        dir.display()
    );
    Ok(())
}

fn commit(args: &[String]) -> anyhow::Result<()> {
    let db = PathBuf::from(arg(args, "--db", "target/bench-data/ecsdrill.db"));
    let n: usize = arg(args, "--n", "2000").parse()?;
    let mut store = Store::open(&db)?;
    let session = store.start_session("review", "bench", NOW_MS)?;
    let before = CardState {
        phase: Phase::Review,
        stability: Some(10.0),
        difficulty: Some(5.0),
        due_ms: NOW_MS,
        last_review_ms: Some(NOW_MS - 10 * DAY_MS),
        reps: 5,
        ..CardState::new_card()
    };
    let after = CardState {
        stability: Some(25.0),
        due_ms: NOW_MS + 25 * DAY_MS,
        last_review_ms: Some(NOW_MS),
        reps: 6,
        scheduled_days: 25,
        ..before.clone()
    };
    let mut lat = Vec::with_capacity(n);
    for i in 0..n {
        let id = format!("syn-{}", i * 7 % 10_000);
        let t = Instant::now();
        store.record_answer(&AnswerRecord {
            session_id: session,
            card_id: &id,
            reviewed_ms: NOW_MS + i as i64,
            rating: 3,
            answer: "b",
            correct: true,
            response_ms: 4000,
            kind: "review",
            before: &before,
            after: &after,
            elapsed_days: 10,
            update_schedule: true,
            misconceptions: &[],
            overridden: false,
        })?;
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat[((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1];
    println!(
        "{{\"n\": {n}, \"p50_ms\": {:.3}, \"p99_ms\": {:.3}, \"max_ms\": {:.3}, \"min_ms\": {:.3}}}",
        pct(0.5),
        pct(0.99),
        lat[lat.len() - 1],
        lat[0]
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("synth") => synth(&args),
        Some("commit") => commit(&args),
        Some("frame") => frame(&args),
        _ => anyhow::bail!(
            "usage: bench synth --dir DIR --cards N --reviews M | bench commit --db DB --n N | bench frame --n N"
        ),
    }
}

fn frame(args: &[String]) -> anyhow::Result<()> {
    use ecsdrill::deck::{Kind, LoadOptions, load_catalog};
    use ecsdrill::session::{Counts, SessionMode};
    use ecsdrill::ui::Question;
    use ecsdrill::ui::markdown::Look;
    use ecsdrill::ui::tui::{AskState, ask_key, draw_ask};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    let n: usize = arg(args, "--n", "2000").parse()?;
    let catalog = load_catalog(&LoadOptions::default())
        .map_err(|d| anyhow::anyhow!("built-in decks: {} errors", d.len()))?;
    let keys = [
        KeyCode::Down,
        KeyCode::Down,
        KeyCode::Up,
        KeyCode::Char('b'),
        KeyCode::Char(' '),
    ];
    let mut term = Terminal::new(TestBackend::new(80, 24))?;
    let mut times = Vec::with_capacity(n);
    let look = Look { color: true };
    'outer: loop {
        for card in &catalog.cards {
            let len = match card.kind {
                Kind::Choice => card.options.len(),
                Kind::Order => card.items.len(),
                _ => 0,
            };
            let q = Question {
                card,
                topic_title: &card.topic,
                order: (0..len).collect(),
                mode: SessionMode::Review,
                counts: Counts::default(),
                intervals: vec!["1m".into(), "6m".into(), "10m".into(), "3d".into()],
                notice: None,
            };
            let mut st = AskState::new(&q);
            term.draw(|f| draw_ask(f, &q, &mut st, look, None))?;
            for k in keys {
                let t = Instant::now();
                let _ = ask_key(&q, &mut st, KeyEvent::new(k, KeyModifiers::NONE));
                term.draw(|f| draw_ask(f, &q, &mut st, look, None))?;
                times.push(t.elapsed().as_secs_f64() * 1000.0);
                if times.len() >= n {
                    break 'outer;
                }
            }
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
    println!(
        "{{\"frames\": {}, \"p50_ms\": {:.3}, \"p99_ms\": {:.3}}}",
        times.len(),
        pct(0.5),
        pct(0.99)
    );
    Ok(())
}
