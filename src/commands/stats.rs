//! `ecsdrill stats`: where the learner stands, drawn for the terminal or as JSON.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;

use crate::app::App;
use crate::charts::{self, Look};
use crate::cli::StatsArgs;
use crate::clock::study_day;
use crate::progress::{builtin_labs, report};

pub fn run(app: &App, args: &StatsArgs) -> Result<ExitCode> {
    let catalog = app.catalog()?;
    let store = app.store()?;
    let sched = app.scheduler(&store)?;
    let r = report(&catalog, &store, &sched, app.clock.now(), &builtin_labs())?;
    let look = Look::for_output(app.color);
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
    if r.drills.total > 0 {
        writeln!(
            out,
            "Incident drills: {} of {} met · {} due now · {} fixed in {} attempt{}",
            r.drills.met,
            r.drills.total,
            r.drills.due_now,
            r.drills.fixed,
            r.drills.attempts,
            if r.drills.attempts == 1 { "" } else { "s" }
        )?;
    }
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
            charts::score_bar(m.score, 10, look),
            m.score,
            m.level.as_str(),
            m.seen,
            m.cards
        )?;
    }
    let dates: Vec<(chrono::NaiveDate, u32)> = r
        .heatmap
        .iter()
        .filter_map(|d| {
            Some((
                chrono::NaiveDate::parse_from_str(&d.date, "%Y-%m-%d").ok()?,
                d.reviews,
            ))
        })
        .collect();
    let now = app.clock.now();
    writeln!(out)?;
    writeln!(out, "Reviews, last 26 weeks:")?;
    writeln!(out, "{}", charts::heatmap(&dates, study_day(now), 26, look))?;
    writeln!(out)?;
    writeln!(out, "Cards due, next 30 days:")?;
    writeln!(out, "{}", charts::due_bars(&r.due_next_30_days, look))?;
    writeln!(out)?;
    writeln!(
        out,
        "True retention by month (answers on learned cards recalled):"
    )?;
    writeln!(
        out,
        "{}",
        charts::retention_rows(&r.retention_by_month, r.desired_retention, look)
    )?;
    if !r.misconceptions_held.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "Misconceptions still held (revealed, not yet answered right since):"
        )?;
        for m in &r.misconceptions_held {
            writeln!(
                out,
                "  - {} (since {}; card {})",
                m.wrong, m.revealed_at, m.card
            )?;
        }
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
