//! `ecsdrill stats`: where the learner stands: cards seen and due, true retention, streak,
//! and a score and level per topic with the reason for it.

use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use chrono::{DateTime, Duration, FixedOffset};
use serde::Serialize;

use crate::app::App;
use crate::cli::StatsArgs;
use crate::clock::{day_start, study_day, to_ms};
use crate::deck::Catalog;
use crate::mastery::{LabEvidence, TopicMastery, topic_mastery};
use crate::sched::{CardState, Phase, Scheduler};
use crate::store::Store;

#[derive(Serialize)]
pub struct StatsReport {
    pub cards_total: usize,
    pub cards_seen: usize,
    pub reviews_total: i64,
    pub due_now: usize,
    pub due_next_7_days: usize,
    pub new_available_today: u32,
    pub reviews_today: i64,
    /// Share of due reviews answered right in the last 30 days; null without reviews.
    pub retention_30d: Option<f64>,
    pub desired_retention: f64,
    pub streak_days: u32,
    pub topics: Vec<TopicStats>,
    pub leeches: Vec<String>,
}

#[derive(Serialize)]
pub struct TopicStats {
    pub id: String,
    pub title: String,
    #[serde(flatten)]
    pub mastery: TopicMastery,
}

/// Consecutive study days with at least one answer, ending today (or yesterday, if
/// today has none yet: the streak is still alive until the day is over).
pub fn streak(store: &Store, now: DateTime<FixedOffset>) -> Result<u32> {
    let mut day = study_day(now);
    let has = |d: chrono::NaiveDate| -> Result<bool> {
        store.any_review_between(
            to_ms(day_start(d, now)),
            to_ms(day_start(d + Duration::days(1), now)),
        )
    };
    if !has(day)? {
        day -= Duration::days(1);
    }
    let mut n = 0;
    while has(day)? {
        n += 1;
        day -= Duration::days(1);
    }
    Ok(n)
}

pub fn report(
    catalog: &Catalog,
    store: &Store,
    sched: &Scheduler,
    now: DateTime<FixedOffset>,
) -> Result<StatsReport> {
    let states: HashMap<String, CardState> = store.card_states()?;
    let now_ms = to_ms(now);
    let today = day_start(study_day(now), now);
    let week = to_ms(day_start(study_day(now) + Duration::days(8), now));
    let mut seen = 0;
    let mut due_now = 0;
    let mut due_week = 0;
    let mut leeches = Vec::new();
    let mut by_topic: HashMap<&str, (Vec<f64>, usize)> = HashMap::new();
    for card in &catalog.cards {
        let entry = by_topic.entry(card.topic.as_str()).or_default();
        match states.get(&card.id).filter(|s| s.phase != Phase::New) {
            Some(s) => {
                seen += 1;
                entry.1 += 1;
                entry.0.push(sched.retrievability(s, now_ms));
                due_now += usize::from(s.due_ms <= now_ms);
                due_week += usize::from(s.due_ms < week);
                if s.leech {
                    leeches.push(card.id.clone());
                }
            }
            None => entry.0.push(0.0),
        }
    }
    let passed = store.labs_passed()?;
    let assessed =
        store.recent_topic_scores(to_ms(now - Duration::days(crate::mastery::ASSESSMENT_DAYS)))?;
    let labs = crate::lab::load_labs(None)
        .map(|s| s.labs)
        .unwrap_or_default();
    let topics = catalog
        .topics
        .iter()
        .map(|t| {
            let (r, s) = by_topic.remove(t.id.as_str()).unwrap_or_default();
            let covering: Vec<String> = labs
                .iter()
                .filter(|l| l.topics().any(|x| x == t.id))
                .map(|l| l.id().to_string())
                .collect();
            let evidence = LabEvidence {
                passed: passed
                    .iter()
                    .filter(|p| covering.contains(p))
                    .cloned()
                    .collect(),
                labs: covering,
            };
            TopicStats {
                id: t.id.clone(),
                title: t.title.clone(),
                mastery: topic_mastery(&t.id, &r, s, assessed.get(&t.id).copied(), &evidence),
            }
        })
        .collect();
    let introduced = store.new_cards_since(to_ms(today))?;
    Ok(StatsReport {
        cards_total: catalog.cards.len(),
        cards_seen: seen,
        reviews_total: store.reviews_total()?,
        due_now,
        due_next_7_days: due_week,
        new_available_today: sched
            .cfg
            .new_per_day
            .saturating_sub(introduced)
            .min((catalog.cards.len() - seen) as u32),
        reviews_today: store.reviews_since(to_ms(today))?,
        retention_30d: store.retention_since(to_ms(now - Duration::days(30)))?,
        desired_retention: sched.cfg.desired_retention as f64,
        streak_days: streak(store, now)?,
        topics,
        leeches,
    })
}

pub(crate) fn bar(score: f64, width: usize) -> String {
    let filled = ((score / 5.0) * width as f64).round() as usize;
    format!(
        "{}{}",
        "█".repeat(filled.min(width)),
        "░".repeat(width - filled.min(width))
    )
}

pub fn run(app: &App, args: &StatsArgs) -> Result<ExitCode> {
    let catalog = app.catalog()?;
    let store = app.store()?;
    let sched = app.scheduler(&store)?;
    let r = report(&catalog, &store, &sched, app.clock.now())?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &r)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "Cards: {} seen of {} · reviews logged: {}",
        r.cards_seen, r.cards_total, r.reviews_total
    )?;
    writeln!(
        out,
        "Due now: {} · due within 7 days: {} · new available today: {}",
        r.due_now, r.due_next_7_days, r.new_available_today
    )?;
    let retention = match r.retention_30d {
        Some(v) => format!("{:.0}%", v * 100.0),
        None => "no reviews yet".into(),
    };
    writeln!(
        out,
        "Retention, last 30 days: {retention} (target {:.0}%)",
        r.desired_retention * 100.0
    )?;
    writeln!(
        out,
        "Streak: {} day{}",
        r.streak_days,
        if r.streak_days == 1 { "" } else { "s" }
    )?;
    writeln!(out)?;
    writeln!(out, "Topics (score out of 5, level):")?;
    let width = r
        .topics
        .iter()
        .map(|t| t.title.chars().count())
        .max()
        .unwrap_or(10);
    for t in &r.topics {
        let m = &t.mastery;
        writeln!(
            out,
            "  {:<width$}  {} {:.1}  {:<9}  {}/{} seen",
            t.title,
            bar(m.score, 10),
            m.score,
            m.level.as_str(),
            m.seen,
            m.cards
        )?;
    }
    if !r.leeches.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "Leeches (forgotten 8 times or more): {}",
            r.leeches.join(", ")
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
