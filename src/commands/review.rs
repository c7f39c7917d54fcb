//! `ecsdrill review`: the daily spaced-repetition session. It picks the cards (queue),
//! builds the session and hands it to `study`, which asks, grades, schedules and commits
//! each answer; then it shows the end of the session.

use std::collections::HashMap;
use std::io::{BufReader, stdin, stdout};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use chrono::Duration;

use crate::app::App;
use crate::cli::ReviewArgs;
use crate::clock::{day_start, study_day, to_ms};
use crate::deck::{Card, Misconception};
use crate::error::UserError;
use crate::interrupt;
use crate::queue::{self, Candidates};
use crate::sched::{Phase, describe_due};
use crate::session::{Bucket, Session, SessionMode};
use crate::store::{CatalogMeta, Store};
use crate::study::{Content, EndReason, Study};
use crate::ui::plain::PlainUi;
use crate::ui::tui::TuiUi;
use crate::ui::{EndChoice, Summary, Ui};

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

/// Cards from the store's catalog index, loaded when first shown.
struct Indexed<'a> {
    meta: &'a CatalogMeta,
    cards: HashMap<String, Card>,
}

impl Content for Indexed<'_> {
    fn card(&mut self, store: &Store, id: &str) -> Result<Option<Card>> {
        if !self.cards.contains_key(id) {
            match store.card(id)? {
                Some(c) => self.cards.insert(id.to_string(), c),
                None => return Ok(None),
            };
        }
        Ok(self.cards.get(id).cloned())
    }

    fn topic_title(&self, topic: &str) -> String {
        self.meta
            .topics
            .iter()
            .find(|t| t.id == topic)
            .map_or(topic, |t| t.title.as_str())
            .to_string()
    }

    fn misconception(&self, id: &str) -> Option<Misconception> {
        self.meta
            .misconceptions
            .iter()
            .find(|m| m.id == id)
            .cloned()
    }
}

pub fn run(app: &App, args: &ReviewArgs) -> Result<ExitCode> {
    let mut store = app.synced_store()?;
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
    let mode = if args.cram {
        SessionMode::Cram
    } else {
        SessionMode::Review
    };
    let mut steps: Vec<(i64, String)> = Vec::new();
    let queue: Vec<(String, Bucket)> = if args.cram {
        let cards = store.scope_cards(&args.topic, &args.deck)?;
        let phases: HashMap<String, Phase> = cards
            .iter()
            .map(|(id, _, st)| (id.clone(), st.as_ref().map_or(Phase::New, |s| s.phase)))
            .collect();
        let items = cards.into_iter().map(|(id, _, st)| (id, st)).collect();
        queue::cram_order(items, &sched, now_ms, args.limit)
            .into_iter()
            .map(|id| {
                let b = Bucket::of(phases.get(&id).copied().unwrap_or(Phase::New));
                (id, b)
            })
            .collect()
    } else {
        let mut c = Candidates::default();
        let horizon = now_ms + sched.cfg.learn_ahead_secs * 1000;
        let mut buckets: HashMap<String, Bucket> = HashMap::new();
        for (id, topic, phase, due) in store.due_cards(horizon, &args.topic, &args.deck)? {
            buckets.insert(id.clone(), Bucket::of(phase));
            match phase {
                Phase::Review if due <= now_ms => c.reviews.push((id, topic, due)),
                Phase::Review => {}
                // Learning steps due within the learn-ahead window wait as steps of this
                // session, as they would after an answer in it.
                _ if due > now_ms => steps.push((due, id)),
                _ => c.learning.push((id, due)),
            }
        }
        if new_allowed > 0 {
            c.fresh = store.new_cards(new_allowed, &args.topic, &args.deck)?;
            c.priority = store.priority_new_cards()?;
        }
        queue::order(c, &meta.topics, new_allowed, args.limit)
            .into_iter()
            .map(|id| {
                let b = buckets.get(&id).copied().unwrap_or(Bucket::New);
                (id, b)
            })
            .collect()
    };
    let nothing_due = queue.is_empty() && steps.is_empty();
    let mut session = Session::new(
        queue,
        steps,
        args.limit,
        sched.cfg.learn_ahead_secs,
        !args.cram,
    );

    let filter = [args.topic.join(","), args.deck.join(",")].join(";");
    let session_id = store.start_session(mode.as_str(), &filter, to_ms(start_now))?;
    interrupt::watch_session(store.path().to_path_buf(), session_id);

    let mut ui: Box<dyn Ui> = if app.plain {
        Box::new(PlainUi::new(BufReader::new(stdin()), stdout()))
    } else {
        Box::new(TuiUi::new(app.color)?)
    };
    let mut content = Indexed {
        meta: &meta,
        cards: HashMap::new(),
    };
    let started = Instant::now();
    let mut study = Study {
        store: &mut store,
        sched: &sched,
        clock: &app.clock,
        mode,
        session_id,
        shuffle_salt: (session_id as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15),
    };
    let end = loop {
        let end = study.run(&mut session, &mut content, ui.as_mut())?;
        let now = app.clock.now();
        let day = study_day(now);
        let by_tomorrow = to_ms(day_start(day + Duration::days(2), now));
        let by_week = to_ms(day_start(day + Duration::days(8), now));
        let new_shown = session
            .answers()
            .iter()
            .filter(|a| a.record.was_new)
            .count() as u32;
        let summary = Summary {
            answered: session.answered,
            cards: session.cards_answered(),
            correct: session.correct,
            seconds: started.elapsed().as_secs(),
            due_tomorrow: study
                .store
                .due_count_before(by_tomorrow, &args.topic, &args.deck)?,
            due_week: study
                .store
                .due_count_before(by_week, &args.topic, &args.deck)?,
            cram: args.cram,
            nothing_due,
            new_left_today: if args.new_cards.is_some() {
                0
            } else {
                sched
                    .cfg
                    .new_per_day
                    .saturating_sub(introduced_today + new_shown)
            },
            steps_left: session.steps_left(),
            offer_continue: end == EndReason::Done && session.steps_left() > 0 && !args.cram,
            finished: end == EndReason::Done,
            drills_today: crate::drill::due_today(study.store, now)?,
            next_step: session.next_step_due().map(|due| {
                let mut probe = crate::sched::CardState::new_card();
                probe.phase = Phase::Learning;
                probe.due_ms = due;
                describe_due(&probe, now)
            }),
        };
        if ui.summary(&summary)? == EndChoice::Continue && summary.offer_continue {
            session.pull_steps_forward();
            continue;
        }
        break end;
    };
    drop(ui);
    interrupt::session_over();
    store.end_session(session_id, to_ms(app.clock.now()), end.as_str())?;
    Ok(if end == EndReason::Interrupted {
        ExitCode::from(130)
    } else {
        ExitCode::SUCCESS
    })
}
