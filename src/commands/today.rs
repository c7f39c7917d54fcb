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
    let cards = r.due_now + r.new_available_today as usize;
    writeln!(
        out,
        "Due now: {} · new cards available today: {}{}",
        r.due_now,
        r.new_available_today,
        if cards > 0 {
            format!(
                " · about {} min",
                card_minutes(cards, store.median_response_ms()?)
            )
        } else {
            String::new()
        }
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
    let (drills, drill_minutes) = crate::drill::due_today(&store, now)?;
    if drills > 0 {
        writeln!(
            out,
            "Drills due: {drills} (about {drill_minutes} min): `ecsdrill drill`"
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
    if cards > 0 {
        writeln!(out, "Next: `ecsdrill review`")?;
    } else if drills > 0 {
        writeln!(out, "Next: `ecsdrill drill`")?;
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

/// Minutes for `cards` answers at the learner's median pace (15 s an answer before any
/// history), a card counted twice for the steps and re-asks a session brings; at least 1.
fn card_minutes(cards: usize, median_ms: Option<i64>) -> u64 {
    let per = median_ms.unwrap_or(15_000).clamp(3_000, 120_000) as u64;
    ((cards as u64 * 2 * per).div_ceil(60_000)).max(1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn card_minutes_follow_the_learners_pace() {
        assert_eq!(super::card_minutes(20, None), 10);
        assert_eq!(super::card_minutes(20, Some(6_000)), 4);
        assert_eq!(super::card_minutes(1, Some(1)), 1);
    }
}
