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
use crate::deck::{Card, Kind, fingerprint};
use crate::error::UserError;
use crate::grade;
use crate::interrupt;
use crate::queue::{self, Candidates};
use crate::rng::{hash_str, shuffled_indices};
use crate::sched::{CardState, Phase, describe_due};
use crate::store::{AnswerRecord, CatalogMeta, Store};
use crate::ui::interactive::InteractiveUi;
use crate::ui::plain::PlainUi;
use crate::ui::{Feedback, Next, Question, Reply, Summary, Ui};

/// Checks `--topic` and `--deck` against the content, naming what exists if not.
pub fn check_filters(meta: &CatalogMeta, topics: &[String], decks: &[String]) -> Result<()> {
    for t in topics {
        if !meta.topics.iter().any(|x| &x.id == t) {
            let known: Vec<&str> = meta.topics.iter().map(|t| t.id.as_str()).collect();
            return Err(UserError::env(format!("unknown topic `{t}`"))
                .with_hint(format!("topics: {}", known.join(", ")))
                .into());
        }
    }
    for d in decks {
        if !meta.decks.iter().any(|x| &x.id == d) {
            let known: Vec<&str> = meta.decks.iter().map(|d| d.id.as_str()).collect();
            return Err(UserError::env(format!("unknown deck `{d}`"))
                .with_hint(format!("decks: {}", known.join(", ")))
                .into());
        }
    }
    Ok(())
}

/// Opens the store with its catalog index in step with the decks. The decks are parsed
/// only when they changed since the last session (or the database is new), and a bad
/// deck stops everything before a new database file is created.
pub(crate) fn open_synced(app: &App) -> Result<Store> {
    let key = fingerprint(&app.load_options()).unwrap_or_default();
    let mut fresh = if app.db_path.exists() {
        None
    } else {
        Some(app.catalog()?)
    };
    let mut store = app.store()?;
    if key.is_empty() || store.catalog_key()?.as_deref() != Some(key.as_str()) {
        let catalog = match fresh.take() {
            Some(c) => c,
            None => app.catalog()?,
        };
        store.sync_catalog(&key, &catalog)?;
    }
    Ok(store)
}

pub fn run(app: &App, args: &ReviewArgs) -> Result<ExitCode> {
    let mut store = open_synced(app)?;
    let meta = store.catalog_meta()?;
    check_filters(&meta, &args.topic, &args.deck)?;
    let sched = app.scheduler(&store)?;
    let start_now = app.clock.now();
    let now_ms = to_ms(start_now);
    let today_start = day_start(study_day(start_now), start_now);
    let introduced_today = store.new_cards_since(to_ms(today_start))?;
    let new_allowed = match args.new_cards {
        Some(n) => n,
        None => sched.cfg.new_per_day.saturating_sub(introduced_today),
    };
    let mut states: HashMap<String, CardState> = HashMap::new();
    let mut ahead: Vec<(i64, String)> = Vec::new();
    let initial = if args.cram {
        let cards = store.scope_cards(&args.topic, &args.deck)?;
        let items = cards.into_iter().map(|(id, _, st)| (id, st)).collect();
        queue::cram_order(items, &sched, now_ms, args.limit)
    } else {
        let mut c = Candidates::default();
        let horizon = now_ms + sched.cfg.learn_ahead_secs * 1000;
        for (id, topic, phase, due) in store.due_cards(horizon, &args.topic, &args.deck)? {
            match phase {
                Phase::Review if due <= now_ms => c.reviews.push((id, topic, due)),
                Phase::Review => {}
                // Learning steps due within the learn-ahead window wait in the session's
                // learning queue, as they would after an answer in this session.
                _ if due > now_ms => ahead.push((due, id)),
                _ => c.learning.push((id, due)),
            }
        }
        if new_allowed > 0 {
            c.fresh = store.new_cards(new_allowed, &args.topic, &args.deck)?;
        }
        queue::order(c, &meta.topics, new_allowed, args.limit)
    };
    let mut queue: std::collections::VecDeque<String> = initial.into();
    let nothing_due = queue.is_empty() && ahead.is_empty();

    let mode = if args.cram { "cram" } else { "review" };
    let filter = [args.topic.join(","), args.deck.join(",")].join(";");
    let session_id = store.start_session(mode, &filter, to_ms(start_now))?;
    interrupt::watch_session(store.path().to_path_buf(), session_id);

    let mut ui: Box<dyn Ui> = if app.plain {
        Box::new(PlainUi::new(BufReader::new(stdin()), stdout()))
    } else {
        Box::new(InteractiveUi::new(app.color))
    };
    let mut cards: HashMap<String, Card> = HashMap::new();
    let started = Instant::now();
    let mut learning: Vec<(i64, String)> = ahead;
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
        } else if learning
            .first()
            .is_some_and(|(due, _)| *due <= now_ms + sched.cfg.learn_ahead_secs * 1000)
        {
            Some(learning.remove(0).1)
        } else {
            None
        };
        let Some(card_id) = next_id else { break };
        if !cards.contains_key(&card_id) {
            match store.card(&card_id)? {
                Some(c) => {
                    cards.insert(card_id.clone(), c);
                }
                None => continue,
            }
        }
        let card = &cards[&card_id];
        if !states.contains_key(&card_id) {
            if let Some(st) = store.card_state(&card_id)? {
                states.insert(card_id.clone(), st);
            }
        }
        let before = states
            .get(&card.id)
            .cloned()
            .unwrap_or_else(CardState::new_card);
        let seed = hash_str(&card.id)
            ^ (before.reps as u64)
            ^ (session_id as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
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
        let topic_title = meta
            .topics
            .iter()
            .find(|t| t.id == card.topic)
            .map(|t| t.title.as_str())
            .unwrap_or(card.topic.as_str());
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
        let interrupted = interrupt::take_over();
        if interrupted || resp.reply == Reply::Quit {
            end_reason = if interrupted { "interrupted" } else { "quit" };
            break;
        }
        let response_ms = asked_at.elapsed().as_millis() as i64;
        let slow = asked_at.elapsed().as_secs() >= grade::slow_after_secs(card.kind);
        let (verdict, mut rating, option_notes) = judge(card, &resp, slow);
        let revealed = verdict
            .revealed
            .iter()
            .filter_map(|m| meta.misconceptions.iter().find(|x| &x.id == m))
            .collect();
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
            elapsed_days: before
                .last_review_ms
                .map(|l| days_between(from_ms(l, now), now))
                .unwrap_or(0),
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
            if matches!(outcome.after.phase, Phase::Learning | Phase::Relearning)
                && outcome.after.due_ms < to_ms(tomorrow)
            {
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
    let due_tomorrow = store.due_count_before(by_tomorrow, &args.topic, &args.deck)?;
    let due_week = store.due_count_before(by_week, &args.topic, &args.deck)?;
    let new_left = if args.new_cards.is_some() {
        0
    } else {
        sched
            .cfg
            .new_per_day
            .saturating_sub(introduced_today + new_shown)
    };
    ui.summary(&Summary {
        answered,
        cards: seen_cards.len(),
        correct,
        seconds: started.elapsed().as_secs(),
        due_tomorrow,
        due_week,
        cram: args.cram,
        nothing_due,
        new_left_today: new_left,
    })?;
    Ok(if end_reason == "interrupted" {
        ExitCode::from(130)
    } else {
        ExitCode::SUCCESS
    })
}

/// Grades a reply: the verdict, the FSRS rating it earns, and the `why` notes of the wrong
/// options picked. Shared by `review` and `assess`.
pub(crate) fn judge(
    card: &Card,
    resp: &crate::ui::Response,
    slow: bool,
) -> (grade::Verdict, u8, Vec<String>) {
    let verdict = match &resp.reply {
        Reply::Choice(p) => grade::grade_choice(card, p),
        Reply::Order(p) => grade::grade_order(card, p),
        Reply::Typed(t) => grade::grade_typed_verdict(card, t),
        Reply::Rated(r) => grade::Verdict {
            correct: *r > 1,
            note: None,
            revealed: if *r == 1 {
                card.misconceptions.clone()
            } else {
                vec![]
            },
        },
        Reply::DontKnow | Reply::Quit => grade::Verdict {
            correct: false,
            note: None,
            revealed: card.misconceptions.clone(),
        },
    };
    let rating = match resp.reply {
        Reply::Rated(r) => r,
        _ => grade::auto_rating(verdict.correct, resp.used_hint, slow, resp.easy),
    };
    let option_notes: Vec<String> = match &resp.reply {
        Reply::Choice(p) if !verdict.correct => p
            .iter()
            .filter_map(|&i| card.options.get(i))
            .filter(|o| !o.correct)
            .filter_map(|o| o.why.clone())
            .collect(),
        _ => Vec::new(),
    };
    (verdict, rating, option_notes)
}
