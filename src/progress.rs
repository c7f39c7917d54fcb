//! The learner's progress as data: cards seen and due, true retention, streak, the
//! misconceptions still held, and a score and level per topic with the reason for it.
//! `stats` renders it, `today` summarises it, `assess` reads the topic levels after a test.

use std::collections::HashMap;

use anyhow::Result;
use chrono::{DateTime, Duration, FixedOffset};
use serde::Serialize;

use crate::charts::{self, Look, MonthRetention};
use crate::clock::{day_start, from_ms, study_day, to_ms};
use crate::deck::Catalog;
use crate::lab::Lab;
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
    /// Answers per study day over the last 26 weeks (days without answers left out).
    pub heatmap: Vec<DayCount>,
    /// Cards due on each of the next 30 days; the first entry includes overdue cards.
    pub due_next_30_days: Vec<u32>,
    /// True retention per month, the last 6 months: answers on learned cards recalled.
    pub retention_by_month: Vec<MonthRetention>,
    /// Wrong beliefs an answer revealed and no right answer on that card has followed.
    pub misconceptions_held: Vec<HeldMisconception>,
    pub drills: DrillStats,
}

/// Incident drills: how many there are, met on the schedule, due now, and attempted.
#[derive(Serialize, Default)]
pub struct DrillStats {
    pub total: usize,
    pub met: usize,
    pub due_now: usize,
    pub attempts: usize,
    pub fixed: usize,
}

#[derive(Serialize)]
pub struct DayCount {
    pub date: String,
    pub reviews: u32,
}

#[derive(Serialize)]
pub struct HeldMisconception {
    pub id: String,
    pub wrong: String,
    pub correct: String,
    pub card: String,
    pub revealed_at: String,
}

#[derive(Serialize)]
pub struct TopicStats {
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

/// The built-in labs, the evidence for `application`; none if they do not load (the linter
/// in the test suite keeps them loading).
pub fn builtin_labs() -> Vec<Lab> {
    crate::lab::load_labs(None)
        .map(|s| s.labs)
        .unwrap_or_default()
}

/// `labs` are the labs mastery counts (the built-in ones; a caller that cannot load them
/// passes none, and no topic reaches `application`).
pub fn report(
    catalog: &Catalog,
    store: &Store,
    sched: &Scheduler,
    now: DateTime<FixedOffset>,
    labs: &[Lab],
) -> Result<StatsReport> {
    let states: HashMap<String, CardState> = store.card_states()?;
    let now_ms = to_ms(now);
    let today = day_start(study_day(now), now);
    let week = to_ms(day_start(study_day(now) + Duration::days(8), now));
    let mut seen = 0;
    let mut due_now = 0;
    let mut due_week = 0;
    let mut leeches = Vec::new();
    for card in &catalog.cards {
        if let Some(s) = states.get(&card.id).filter(|s| s.phase != Phase::New) {
            seen += 1;
            due_now += usize::from(s.due_ms <= now_ms);
            due_week += usize::from(s.due_ms < week);
            if s.leech {
                leeches.push(card.id.clone());
            }
        }
    }
    let topics = topic_stats(catalog, store, sched, now, &states, labs)?;
    let introduced = store.new_cards_since(to_ms(today))?;
    let day0 = study_day(now);
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date");
    let offset = now.offset().local_minus_utc() as i64;
    let since = day_start(day0 - Duration::days(7 * 26), now);
    let heatmap = store
        .answers_per_day(to_ms(since), offset)?
        .into_iter()
        .map(|(d, n)| DayCount {
            date: (epoch + Duration::days(d)).format("%Y-%m-%d").to_string(),
            reviews: n,
        })
        .collect();
    let mut due_next_30_days = vec![0u32; 30];
    for due in store.due_times_before(to_ms(day_start(day0 + Duration::days(30), now)))? {
        let d = (study_day(from_ms(due, now)) - day0).num_days().max(0) as usize;
        if let Some(slot) = due_next_30_days.get_mut(d) {
            *slot += 1;
        }
    }
    let mut retention_by_month = Vec::new();
    for back in (0..6).rev() {
        let first = month_start(day0, back);
        let next = month_start(day0, back - 1);
        let (reviews, recalled) = store
            .review_recall_between(to_ms(day_start(first, now)), to_ms(day_start(next, now)))?;
        retention_by_month.push(MonthRetention {
            month: first.format("%Y-%m").to_string(),
            reviews,
            recalled,
        });
    }
    let misconceptions_held = store
        .misconceptions_held()?
        .into_iter()
        .filter_map(|(id, card, at)| {
            let m = catalog.misconception(&id)?;
            Some(HeldMisconception {
                id,
                wrong: m.wrong.clone(),
                correct: m.correct.clone(),
                card,
                revealed_at: from_ms(at, now).format("%Y-%m-%d").to_string(),
            })
        })
        .collect();
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
        heatmap,
        due_next_30_days,
        retention_by_month,
        misconceptions_held,
        drills: drill_stats(store, now)?,
    })
}

/// Every topic's score and level from its cards' memory, recent assessments and labs.
pub fn topic_stats(
    catalog: &Catalog,
    store: &Store,
    sched: &Scheduler,
    now: DateTime<FixedOffset>,
    states: &HashMap<String, CardState>,
    labs: &[Lab],
) -> Result<Vec<TopicStats>> {
    let now_ms = to_ms(now);
    let mut by_topic: HashMap<&str, (Vec<f64>, usize)> = HashMap::new();
    for card in &catalog.cards {
        let entry = by_topic.entry(card.topic.as_str()).or_default();
        match states.get(&card.id).filter(|s| s.phase != Phase::New) {
            Some(s) => {
                entry.1 += 1;
                entry.0.push(sched.retrievability(s, now_ms));
            }
            None => entry.0.push(0.0),
        }
    }
    let passed = store.labs_passed()?;
    let drills = crate::drill::load_drills(None)
        .map(|s| s.drills)
        .unwrap_or_default();
    let drill_states = store.drill_states()?;
    let today_ms = to_ms(crate::clock::day_start(crate::clock::study_day(now), now));
    let recent_ms = to_ms(now - Duration::days(crate::mastery::DRILL_DAYS));
    let mut latest: HashMap<String, bool> = HashMap::new();
    for a in store.drill_attempts()? {
        if let (Some(ending), false) = (a.ending, a.started_ms < recent_ms) {
            latest.insert(a.drill, ending == crate::drill::Ending::Fixed);
        }
    }
    let assessed =
        store.recent_topic_scores(to_ms(now - Duration::days(crate::mastery::ASSESSMENT_DAYS)))?;
    Ok(catalog
        .topics
        .iter()
        .map(|t| {
            let (r, s) = by_topic.remove(t.id.as_str()).unwrap_or_default();
            let covering: Vec<String> = labs
                .iter()
                .filter(|l| l.topics().any(|x| x == t.id))
                .map(|l| l.id().to_string())
                .collect();
            let topic_drills: Vec<String> = drills
                .iter()
                .filter(|d| d.topics().any(|x| x == t.id))
                .map(|d| d.id().to_string())
                .collect();
            let pick = |keep: &dyn Fn(&str) -> bool| -> Vec<String> {
                topic_drills.iter().filter(|d| keep(d)).cloned().collect()
            };
            let evidence = LabEvidence {
                passed: passed
                    .iter()
                    .filter(|p| covering.contains(p))
                    .cloned()
                    .collect(),
                labs: covering,
                drills_overdue: pick(&|d| drill_states.get(d).is_some_and(|s| s.due_ms < today_ms)),
                drills_right: pick(&|d| latest.get(d) == Some(&true)),
                drills_wrong: pick(&|d| latest.get(d) == Some(&false)),
                drills: topic_drills.clone(),
            };
            TopicStats {
                title: t.title.clone(),
                mastery: topic_mastery(&t.id, &r, s, assessed.get(&t.id).copied(), &evidence),
            }
        })
        .collect())
}

/// The first day of the month `back` months before the one `day` is in (negative: later).
fn month_start(day: chrono::NaiveDate, back: i32) -> chrono::NaiveDate {
    use chrono::Datelike;
    let months = day.year() * 12 + day.month0() as i32 - back;
    chrono::NaiveDate::from_ymd_opt(months.div_euclid(12), months.rem_euclid(12) as u32 + 1, 1)
        .expect("a valid month")
}

/// A score bar in Unicode blocks (for `assess`; `stats` picks by its output).
pub fn bar(score: f64, width: usize) -> String {
    charts::score_bar(
        score,
        width,
        Look {
            color: false,
            ascii: false,
        },
    )
}

fn drill_stats(store: &Store, now: DateTime<FixedOffset>) -> Result<DrillStats> {
    let total = crate::drill::load_drills(None).map_or(0, |s| s.drills.len());
    let states = store.drill_states()?;
    let attempts = store.drill_attempts()?;
    Ok(DrillStats {
        total,
        met: states.len(),
        due_now: states.values().filter(|s| s.due_ms <= to_ms(now)).count(),
        attempts: attempts.len(),
        fixed: attempts
            .iter()
            .filter(|a| a.ending == Some(crate::drill::Ending::Fixed))
            .count(),
    })
}
