//! Self-assessment, pure: which cards a recall test asks, how answers become a score out
//! of 5 per topic, the overall level, what is solid and fuzzy, how well the learner's
//! confidence matched, and the one next step. No I/O; the command feeds it and prints it.

use serde::Serialize;

use crate::deck::{Card, Kind, Stage};
use crate::mastery::Level;
use crate::rng::hash_str;

/// Questions per topic in a full assessment, and when one topic is assessed alone.
pub const PER_TOPIC: usize = 2;
pub const PER_TOPIC_ALONE: usize = 5;
pub const SOLID: f64 = 4.0;
pub const FUZZY: f64 = 2.5;
/// Confidence this far from the score (out of 5) is over- or under-confidence.
pub const CALIBRATION_GAP: f64 = 1.5;

/// Picks up to `n` auto-graded cards of one topic: scenario, comparison and definition
/// stages in turn, so the test covers the topic rather than what happens to be due; which
/// card of a stage comes up rotates with `seed` (the day), so tests differ over time.
pub fn pick<'a>(cards: &[&'a Card], n: usize, seed: u64) -> Vec<&'a Card> {
    let graded = |c: &&&Card| c.kind != Kind::Recall;
    let mut by_stage: Vec<Vec<&Card>> = [
        Some(Stage::Scenario),
        Some(Stage::Comparison),
        Some(Stage::Definition),
        None,
    ]
    .iter()
    .map(|st| {
        let mut v: Vec<&Card> = cards
            .iter()
            .filter(graded)
            .filter(|c| c.stage == *st)
            .copied()
            .collect();
        v.sort_by_key(|c| hash_str(&c.id) ^ seed);
        v
    })
    .collect();
    let mut out = Vec::new();
    while out.len() < n && by_stage.iter().any(|v| !v.is_empty()) {
        for v in by_stage.iter_mut() {
            if out.len() < n && !v.is_empty() {
                out.push(v.remove(0));
            }
        }
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Calibration {
    OverConfident,
    UnderConfident,
    Calibrated,
}

pub fn calibration(confidence: u8, score: f64) -> Calibration {
    let gap = confidence as f64 - score;
    if gap >= CALIBRATION_GAP {
        Calibration::OverConfident
    } else if gap <= -CALIBRATION_GAP {
        Calibration::UnderConfident
    } else {
        Calibration::Calibrated
    }
}

/// Score out of 5 with one decimal.
pub fn score(correct: usize, asked: usize) -> f64 {
    if asked == 0 {
        return 0.0;
    }
    (correct as f64 / asked as f64 * 50.0).round() / 10.0
}

/// The overall level: the highest level that at least half of the assessed topics reach.
pub fn overall_level(levels: &[Level]) -> Level {
    let rank = |l: Level| match l {
        Level::Exposure => 0,
        Level::Recall => 1,
        Level::Application => 2,
        Level::Mastery => 3,
    };
    let mut ranks: Vec<u8> = levels.iter().map(|l| rank(*l)).collect();
    ranks.sort_unstable_by(|a, b| b.cmp(a));
    let half = ranks.len().div_ceil(2);
    match ranks.get(half.saturating_sub(1)).copied().unwrap_or(0) {
        3 => Level::Mastery,
        2 => Level::Application,
        1 => Level::Recall,
        _ => Level::Exposure,
    }
}

/// One topic's outcome, as the command computed it.
#[derive(Clone, Debug, Serialize)]
pub struct TopicOutcome {
    pub id: String,
    pub title: String,
    pub score: f64,
    pub level: Level,
    pub asked: usize,
    pub correct: usize,
    pub confidence: Option<u8>,
    pub calibration: Option<Calibration>,
    /// Labs of the topic not passed yet.
    pub labs_missing: Vec<String>,
    pub explanation: String,
}

/// The sentence that says what to do next.
pub fn next_step(
    topics: &[TopicOutcome],
    level: Level,
    previous: Option<Level>,
    next_assessment: &str,
) -> String {
    let mut s = match previous {
        Some(p) if p == level => format!("Staying at {}.", level.as_str()),
        Some(p) => format!("Moved from {} to {}.", p.as_str(), level.as_str()),
        None => format!("You start at {}.", level.as_str()),
    };
    let mut fuzzy: Vec<&TopicOutcome> = topics.iter().filter(|t| t.score <= FUZZY).collect();
    fuzzy.sort_by(|a, b| a.score.total_cmp(&b.score));
    if let Some(t) = fuzzy.first() {
        s.push_str(&format!(
            " Today: `ecsdrill review --cram --topic {}` ({}), then your daily `ecsdrill review`.",
            t.id, t.title
        ));
    } else if let Some((t, lab)) = topics
        .iter()
        .filter(|t| t.score >= SOLID)
        .find_map(|t| t.labs_missing.first().map(|l| (t, l)))
    {
        s.push_str(&format!(
            " {} is solid in memory: apply it in the lab `ecsdrill lab start {lab}`.",
            t.title
        ));
    } else {
        s.push_str(" Review again tomorrow with `ecsdrill review`.");
    }
    s.push_str(&format!(" Assess again on {next_assessment}."));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_and_calibration() {
        assert_eq!(score(0, 0), 0.0);
        assert_eq!(score(1, 2), 2.5);
        assert_eq!(score(2, 3), 3.3);
        assert_eq!(score(5, 5), 5.0);
        assert_eq!(calibration(5, 2.5), Calibration::OverConfident);
        assert_eq!(calibration(2, 4.0), Calibration::UnderConfident);
        assert_eq!(calibration(3, 2.5), Calibration::Calibrated);
    }

    #[test]
    fn overall_level_is_what_half_the_topics_reach() {
        use Level::*;
        assert_eq!(overall_level(&[Exposure, Exposure, Recall]), Exposure);
        assert_eq!(overall_level(&[Exposure, Recall, Recall]), Recall);
        assert_eq!(
            overall_level(&[Recall, Application, Exposure, Mastery]),
            Application
        );
        assert_eq!(overall_level(&[]), Exposure);
    }

    fn outcome(id: &str, score: f64, labs: &[&str]) -> TopicOutcome {
        TopicOutcome {
            id: id.into(),
            title: id.to_uppercase(),
            score,
            level: Level::Exposure,
            asked: 2,
            correct: 1,
            confidence: None,
            calibration: None,
            labs_missing: labs.iter().map(|s| s.to_string()).collect(),
            explanation: String::new(),
        }
    }

    #[test]
    fn the_next_step_names_cards_labs_and_a_date() {
        let t = [
            outcome("task", 1.0, &[]),
            outcome("service", 5.0, &["alb-service"]),
        ];
        assert_eq!(
            next_step(&t, Level::Exposure, Some(Level::Exposure), "2026-11-29"),
            "Staying at exposure. Today: `ecsdrill review --cram --topic task` (TASK), then your daily `ecsdrill review`. Assess again on 2026-11-29."
        );
        let t = [outcome("service", 5.0, &["alb-service"])];
        assert_eq!(
            next_step(&t, Level::Recall, Some(Level::Exposure), "2026-12-06"),
            "Moved from exposure to recall. SERVICE is solid in memory: apply it in the lab `ecsdrill lab start alb-service`. Assess again on 2026-12-06."
        );
    }
}
