//! `ecsdrill` with no command: today's summary and the next thing to do.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;

use crate::app::App;
use crate::progress::report;

pub fn run(app: &App) -> Result<ExitCode> {
    let catalog = app.catalog()?;
    let store = app.store()?;
    let sched = app.scheduler(&store)?;
    let now = app.clock.now();
    let labs = crate::progress::builtin_labs();
    let r = report(&catalog, &store, &sched, now, &labs)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "ecsdrill · {}", now.format("%A %-d %B %Y"))?;
    writeln!(
        out,
        "Due now: {} · new cards available today: {}",
        r.due_now, r.new_available_today
    )?;
    writeln!(
        out,
        "Reviewed today: {} · streak: {} day{}",
        r.reviews_today,
        r.streak_days,
        if r.streak_days == 1 { "" } else { "s" }
    )?;
    if r.cards_seen > 0
        && let Some(weak) = r
            .topics
            .iter()
            .filter(|t| t.mastery.seen > 0)
            .min_by(|a, b| a.mastery.score.total_cmp(&b.mastery.score))
    {
        writeln!(
            out,
            "Weakest topic you have started: {} ({:.1}/5): `ecsdrill review --cram --topic {}`",
            weak.title, weak.mastery.score, weak.mastery.id
        )?;
    }
    if let Some(lab) = suggested_lab(&labs, &store.labs_passed()?) {
        writeln!(
            out,
            "Suggested lab: {} ({} min): `ecsdrill lab start {}`",
            lab.title,
            lab.minutes,
            lab.id()
        )?;
    }
    if r.due_now + r.new_available_today as usize > 0 {
        writeln!(out, "Next: `ecsdrill review`")?;
    } else {
        writeln!(out, "All done for today. Next review: tomorrow.")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The first lab of the learning path not passed yet whose prerequisites are passed.
fn suggested_lab<'a>(
    labs: &'a [crate::lab::Lab],
    passed: &[String],
) -> Option<&'a crate::lab::Lab> {
    labs.iter().find(|l| {
        !passed.iter().any(|p| p == l.id())
            && l.prerequisites.iter().all(|q| passed.contains(&q.value))
    })
}
