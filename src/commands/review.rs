//! `ecsdrill review`: the daily spaced-repetition session. It picks the cards (queue),
//! asks through a `Ui`, grades, schedules (FSRS) and commits each answer before showing
//! the confirmation, so quitting at any point keeps everything already answered.

use std::collections::HashMap;
use std::io::{BufReader, stdin, stdout};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use chrono::Duration;

use crate::app::App;
use crate::cli::ReviewArgs;
use crate::clock::{day_start, days_between, from_ms, study_day, to_ms};
use crate::deck::{Card, Catalog, Kind};
use crate::error::UserError;
use crate::grade;
use crate::interrupt;
use crate::queue::{self, QueueRequest};
use crate::rng::{hash_str, shuffled_indices};
use crate::sched::{CardState, Phase, describe_due};
use crate::store::AnswerRecord;
use crate::ui::interactive::InteractiveUi;
use crate::ui::plain::PlainUi;
use crate::ui::{Feedback, Next, Question, Reply, Summary, Ui};

/// Cards in scope for `--topic` and `--deck`, or a usage error naming what exists.
pub fn select_cards<'a>(catalog: &'a Catalog, topics: &[String], decks: &[String]) -> Result<Vec<&'a Card>> {
    for t in topics {
        if catalog.topic(t).is_none() {
            let known: Vec<&str> = catalog.topics.iter().map(|t| t.id.as_str()).collect();
            return Err(UserError::env(format!("unknown topic `{t}`")).with_hint(format!("topics: {}", known.join(", "))).into());
        }
    }
    for d in decks {
        if !catalog.decks.iter().any(|x| &x.id == d) {
            let known: Vec<&str> = catalog.decks.iter().map(|d| d.id.as_str()).collect();
            return Err(UserError::env(format!("unknown deck `{d}`")).with_hint(format!("decks: {}", known.join(", "))).into());
        }
    }
    Ok(catalog
        .cards
        .iter()
        .filter(|c| topics.is_empty() || topics.contains(&c.topic))
        .filter(|c| decks.is_empty() || decks.contains(&c.deck))
        .collect())
}

pub fn run(app: &App, args: &ReviewArgs) -> Result<ExitCode> {
    let catalog = app.catalog()?;
    let cards = select_cards(&catalog, &args.topic, &args.deck)?;
    let mut store = app.store()?;
    let sched = app.scheduler(&store)?;
    let mut states = store.card_states()?;
    let start_now = app.clock.now();
    let today_start = day_start(study_day(start_now), start_now);
    let introduced_today = store.new_cards_since(to_ms(today_start))?;
    let new_allowed = match args.new_cards {
        Some(n) => n,
        None => sched.cfg.new_per_day.saturating_sub(introduced_today),
    };
    let req = QueueRequest {
        cards: &cards,
        states: &states,
        topics: &catalog.topics,
        now_ms: to_ms(start_now),
        new_allowed,
        limit: args.limit,
    };
    let initial = if args.cram { queue::build_cram(&req, &sched) } else { queue::build(&req) };
    let mut queue: std::collections::VecDeque<String> = initial.into();
    let nothing_due = queue.is_empty();

    let mode = if args.cram { "cram" } else { "review" };
    let filter = [args.topic.join(","), args.deck.join(",")].join(";");
    let session_id = store.start_session(mode, &filter, to_ms(start_now))?;
    interrupt::watch_session(store.path().to_path_buf(), session_id);

    let mut ui: Box<dyn Ui> = if app.plain {
        Box::new(PlainUi::new(BufReader::new(stdin()), stdout()))
    } else {
        Box::new(InteractiveUi::new(app.color))
    };
    let by_id: HashMap<&str, &Card> = cards.iter().map(|c| (c.id.as_str(), *c)).collect();
    let started = Instant::now();
    let mut learning: Vec<(i64, String)> = Vec::new();
    let (mut answered, mut correct) = (0usize, 0usize);
    let mut seen_cards: Vec<String> = Vec::new();
    let mut end_reason = "done";
    let mut new_shown = 0u32;

    loop {
        let now = app.clock.now();
        let now_ms = to_ms(now);
        learning.sort();
        let next_id = if learning.first().is_some_and(|(due, _)| *due <= now_ms) {
            Some(learning.remove(0).1)
        } else if let Some(id) = queue.pop_front() {
            Some(id)
        } else if learning.first().is_some_and(|(due, _)| *due <= now_ms + sched.cfg.learn_ahead_secs * 1000) {
            Some(learning.remove(0).1)
        } else {
            None
        };
        let Some(card_id) = next_id else { break };
        let Some(card) = by_id.get(card_id.as_str()).copied() else { continue };
        let before = states.get(&card.id).cloned().unwrap_or_else(CardState::new_card);
        let seed = hash_str(&card.id) ^ (before.reps as u64) ^ (session_id as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let n = match card.kind {
            Kind::Choice => card.options.len(),
            Kind::Order => card.items.len(),
            _ => 0,
        };
        let order = match card.kind {
            Kind::Order => shuffled_indices(n, seed),
            _ => {
                let mut idx: Vec<usize> = (0..n).collect();
                crate::rng::SplitMix64::new(seed).shuffle(&mut idx);
                idx
            }
        };
        let topic_title = catalog.topic(&card.topic).map(|t| t.title.as_str()).unwrap_or(card.topic.as_str());
        let q = Question {
            position: answered + 1,
            total: answered + 1 + queue.len() + learning.len(),
            card,
            topic_title,
            order,
            cram: args.cram,
        };
        let asked_at = Instant::now();
        let resp = ui.ask(&q)?;
        if interrupt::take_over() || resp.reply == Reply::Quit {
            end_reason = if interrupt::take_over() { "interrupted" } else { "quit" };
            break;
        }
        let response_ms = asked_at.elapsed().as_millis() as i64;
        let slow = asked_at.elapsed().as_secs() >= grade::slow_after_secs(card.kind);
        let verdict = match &resp.reply {
            Reply::Choice(p) => grade::grade_choice(card, p),
            Reply::Order(p) => grade::grade_order(card, p),
            Reply::Typed(t) => grade::grade_typed_verdict(card, t),
            Reply::Rated(r) => grade::Verdict { correct: *r > 1, note: None, revealed: if *r == 1 { card.misconceptions.clone() } else { vec![] } },
            Reply::DontKnow | Reply::Quit => grade::Verdict { correct: false, note: None, revealed: card.misconceptions.clone() },
        };
        let mut rating = match resp.reply {
            Reply::Rated(r) => r,
            _ => grade::auto_rating(verdict.correct, resp.used_hint, slow, resp.easy),
        };
        let option_notes: Vec<String> = match &resp.reply {
            Reply::Choice(p) if !verdict.correct => {
                p.iter().filter_map(|&i| card.options.get(i)).filter(|o| !o.correct).filter_map(|o| o.why.clone()).collect()
            }
            _ => Vec::new(),
        };
        let revealed = verdict.revealed.iter().filter_map(|m| catalog.misconception(m)).collect();
        let mut fb = Feedback {
            correct: verdict.correct,
            rating,
            note: verdict.note.clone(),
            revealed,
            option_notes,
            next_due: String::new(),
            leech_warning: false,
        };
        let next = ui.verdict(&q, &fb)?;
        if next == Next::Easy {
            rating = 4;
            fb.rating = 4;
        }
        let now = app.clock.now();
        let outcome = sched.answer(&card.id, &before, rating, now)?;
        let kind = if args.cram {
            "cram"
        } else {
            match before.phase {
                Phase::New | Phase::Learning => "learn",
                Phase::Review => "review",
                Phase::Relearning => "relearn",
            }
        };
        store.record_answer(&AnswerRecord {
            session_id,
            card_id: &card.id,
            reviewed_ms: to_ms(now),
            rating,
            answer: &resp.raw,
            correct: verdict.correct,
            response_ms,
            kind,
            before: &before,
            after: &outcome.after,
            elapsed_days: before.last_review_ms.map(|l| days_between(from_ms(l, now), now)).unwrap_or(0),
            update_schedule: !args.cram,
            misconceptions: &verdict.revealed,
        })?;
        interrupt::answered_one();
        answered += 1;
        correct += usize::from(verdict.correct);
        if !seen_cards.contains(&card.id) {
            seen_cards.push(card.id.clone());
        }
        if before.phase == Phase::New {
            new_shown += 1;
        }
        fb.next_due = describe_due(&outcome.after, now);
        fb.leech_warning = outcome.leech_warning && !args.cram;
        if !args.cram {
            let tomorrow = day_start(study_day(now) + Duration::days(1), now);
            if matches!(outcome.after.phase, Phase::Learning | Phase::Relearning) && outcome.after.due_ms < to_ms(tomorrow) {
                learning.push((outcome.after.due_ms, card.id.clone()));
            }
            states.insert(card.id.clone(), outcome.after.clone());
        }
        ui.saved(&q, &fb)?;
        if next == Next::Quit {
            end_reason = "quit";
            break;
        }
    }
    interrupt::session_over();
    let end = app.clock.now();
    store.end_session(session_id, to_ms(end), end_reason)?;
    let day = study_day(end);
    let by_tomorrow = to_ms(day_start(day + Duration::days(2), end));
    let by_week = to_ms(day_start(day + Duration::days(8), end));
    let due_before = |limit: i64| {
        cards
            .iter()
            .filter_map(|c| states.get(&c.id))
            .filter(|s| s.phase != Phase::New && s.due_ms < limit)
            .count()
    };
    let new_left = if args.new_cards.is_some() {
        0
    } else {
        sched.cfg.new_per_day.saturating_sub(introduced_today + new_shown)
    };
    ui.summary(&Summary {
        answered,
        cards: seen_cards.len(),
        correct,
        seconds: started.elapsed().as_secs(),
        due_tomorrow: due_before(by_tomorrow),
        due_week: due_before(by_week),
        cram: args.cram,
        nothing_due,
        new_left_today: new_left,
    })?;
    Ok(if end_reason == "interrupted" { ExitCode::from(130) } else { ExitCode::SUCCESS })
}
