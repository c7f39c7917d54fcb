//! Topic mastery, pure: a score from 0 to 5 and a level on the ladder exposure → recall →
//! application → mastery, each with a sentence that explains it. Today the evidence is
//! memory (FSRS retrievability of the topic's cards); assessments and labs add to it in
//! later versions without changing these rules' shape.
//!
//! Rules:
//! - memory score = 5 × the mean retrievability of the topic's cards now (a card never
//!   reviewed counts 0, so coverage matters as much as retention).
//! - with a self-assessment of the topic in the last 30 days, the score is the mean of the
//!   memory score and the assessment score (both out of 5); otherwise the memory score.
//! - `recall` needs a score of at least 3.5 with at least 80% of the topic's cards seen, or
//!   with a recent assessment score of at least 4 (the test covered the topic).
//! - `application` needs `recall` and every lab of the topic passed (a lab counts for each
//!   topic it lists); a topic no lab covers stays at `recall` at most.
//! - `mastery` needs `application`, a score of at least 4.5 and 90% of the cards seen.
//! - incident drills (`ecsdrill drill`) of the topic: `application` also needs none of them
//!   overdue (due before today), and `mastery` needs a drill of the topic fixed with the
//!   right cause in the last 90 days and no drill whose latest attempt then went wrong.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Exposure,
    Recall,
    Application,
    Mastery,
}

impl Level {
    /// The level a stored name stands for (`exposure` for anything unknown).
    pub fn from_name(name: &str) -> Level {
        [Level::Recall, Level::Application, Level::Mastery]
            .into_iter()
            .find(|l| l.as_str() == name)
            .unwrap_or(Level::Exposure)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Exposure => "exposure",
            Level::Recall => "recall",
            Level::Application => "application",
            Level::Mastery => "mastery",
        }
    }
}

pub const RECALL_SCORE: f64 = 3.5;
pub const MASTERY_SCORE: f64 = 4.5;
pub const MASTERY_COVERAGE: f64 = 0.9;

/// The labs that cover a topic, and which of them the learner has passed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LabEvidence {
    pub labs: Vec<String>,
    pub passed: Vec<String>,
    /// The drills that list the topic.
    pub drills: Vec<String>,
    /// Those due before today.
    pub drills_overdue: Vec<String>,
    /// Those whose latest attempt in the last [`DRILL_DAYS`] was fixed with the right cause.
    pub drills_right: Vec<String>,
    /// Those whose latest attempt in the last [`DRILL_DAYS`] was not.
    pub drills_wrong: Vec<String>,
}

/// How far back a drill attempt counts for `mastery`.
pub const DRILL_DAYS: i64 = 90;
pub const RECALL_COVERAGE: f64 = 0.8;
/// A card counts as "likely remembered" above this retrievability.
pub const LIKELY_REMEMBERED: f64 = 0.8;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TopicMastery {
    pub id: String,
    pub cards: usize,
    pub seen: usize,
    pub likely_remembered: usize,
    pub score: f64,
    pub level: Level,
    pub explanation: String,
    /// The labs that cover the topic, and those passed.
    pub labs: Vec<String>,
    pub labs_passed: Vec<String>,
    /// The drills of the topic, and those whose latest recent attempt was fixed.
    pub drills: Vec<String>,
    pub drills_right: Vec<String>,
}

/// How far back an assessment counts as evidence.
pub const ASSESSMENT_DAYS: i64 = 30;

/// `retrievability` holds one entry per card of the topic (0 for unseen cards);
/// `assessment` is the topic's latest self-assessment score of the last 30 days.
pub fn topic_mastery(
    id: &str,
    retrievability: &[f64],
    seen: usize,
    assessment: Option<f64>,
    labs: &LabEvidence,
) -> TopicMastery {
    let cards = retrievability.len();
    let mean = if cards == 0 {
        0.0
    } else {
        retrievability.iter().sum::<f64>() / cards as f64
    };
    let memory = mean * 5.0;
    let combined = match assessment {
        Some(a) => (memory + a) / 2.0,
        None => memory,
    };
    let score = (combined * 10.0).round() / 10.0;
    let likely = retrievability
        .iter()
        .filter(|&&r| r >= LIKELY_REMEMBERED)
        .count();
    let coverage = if cards == 0 {
        0.0
    } else {
        seen as f64 / cards as f64
    };
    let assessed_well = assessment.is_some_and(|a| a >= 4.0);
    let recall = score >= RECALL_SCORE && (coverage >= RECALL_COVERAGE || assessed_well);
    let missing_labs: Vec<&str> = labs
        .labs
        .iter()
        .filter(|l| !labs.passed.contains(l))
        .map(String::as_str)
        .collect();
    let applied =
        !labs.labs.is_empty() && missing_labs.is_empty() && labs.drills_overdue.is_empty();
    let drilled =
        labs.drills.is_empty() || (!labs.drills_right.is_empty() && labs.drills_wrong.is_empty());
    let level = match (recall, applied) {
        (true, true) if score >= MASTERY_SCORE && coverage >= MASTERY_COVERAGE && drilled => {
            Level::Mastery
        }
        (true, true) => Level::Application,
        (true, false) => Level::Recall,
        (false, _) => Level::Exposure,
    };
    let mut why =
        format!("memory: {likely} of {cards} cards likely remembered today ({seen} seen)");
    if let Some(a) = assessment {
        why.push_str(&format!(
            "; last assessment {a:.1}/5 (the score averages it with memory)"
        ));
    }
    match level {
        Level::Exposure if coverage < RECALL_COVERAGE && !assessed_well => {
            let need = ((RECALL_COVERAGE * cards as f64).ceil() as usize).saturating_sub(seen);
            why.push_str(&format!("; see {need} more cards to reach recall"));
        }
        Level::Exposure => why.push_str(&format!("; recall needs a score of {RECALL_SCORE}")),
        _ => {}
    }
    if labs.labs.is_empty() {
        why.push_str("; no lab covers this topic yet, so recall is its top level");
    } else if missing_labs.is_empty() {
        why.push_str(&format!("; labs passed: {}", labs.labs.join(", ")));
        if level == Level::Application {
            why.push_str(&format!(
                "; mastery needs a score of {MASTERY_SCORE} with {:.0}% of the cards seen",
                MASTERY_COVERAGE * 100.0
            ));
        }
    } else {
        why.push_str(&format!(
            "; application needs the lab{} {} (`ecsdrill lab start {}`)",
            if missing_labs.len() == 1 { "" } else { "s" },
            missing_labs.join(", "),
            missing_labs[0]
        ));
    }
    if !labs.drills_overdue.is_empty() {
        why.push_str(&format!(
            "; application needs the overdue drill{} {} done (`ecsdrill drill`)",
            if labs.drills_overdue.len() == 1 {
                ""
            } else {
                "s"
            },
            labs.drills_overdue.join(", ")
        ));
    } else if level == Level::Application && !drilled {
        why.push_str(&if labs.drills_wrong.is_empty() {
            format!("; mastery needs an incident drill of the topic fixed in the last {DRILL_DAYS} days (`ecsdrill drill --topic {id}`)")
        } else {
            format!(
                "; mastery needs the drill{} {} right again",
                if labs.drills_wrong.len() == 1 { "" } else { "s" },
                labs.drills_wrong.join(", ")
            )
        });
    }
    TopicMastery {
        id: id.to_string(),
        cards,
        seen,
        likely_remembered: likely,
        score,
        level,
        explanation: why,
        labs: labs.labs.clone(),
        labs_passed: labs.passed.clone(),
        drills: labs.drills.clone(),
        drills_right: labs.drills_right.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drills_gate_application_and_mastery() {
        let strong = vec![0.97; 10];
        let base = LabEvidence {
            labs: vec!["crash-loop".into()],
            passed: vec!["crash-loop".into()],
            drills: vec!["release-never-finishes".into()],
            ..LabEvidence::default()
        };
        // never drilled: application, and the way to mastery is named
        let m = topic_mastery("crash-loops", &strong, 10, None, &base);
        assert_eq!(m.level, Level::Application);
        assert!(
            m.explanation.contains("ecsdrill drill --topic crash-loops"),
            "{}",
            m.explanation
        );
        // fixed recently: mastery
        let right = LabEvidence {
            drills_right: vec!["release-never-finishes".into()],
            ..base.clone()
        };
        assert_eq!(
            topic_mastery("t", &strong, 10, None, &right).level,
            Level::Mastery
        );
        // its latest attempt went wrong: not mastery
        let wrong = LabEvidence {
            drills_right: vec!["other".into()],
            drills_wrong: vec!["release-never-finishes".into()],
            ..base.clone()
        };
        let m = topic_mastery("t", &strong, 10, None, &wrong);
        assert_eq!(m.level, Level::Application);
        assert!(m.explanation.contains("right again"), "{}", m.explanation);
        // overdue: back to recall, and the drill is named
        let overdue = LabEvidence {
            drills_right: vec!["release-never-finishes".into()],
            drills_overdue: vec!["release-never-finishes".into()],
            ..base
        };
        let m = topic_mastery("t", &strong, 10, None, &overdue);
        assert_eq!(m.level, Level::Recall);
        assert!(
            m.explanation
                .contains("overdue drill release-never-finishes"),
            "{}",
            m.explanation
        );
    }

    #[test]
    fn levels_from_memory() {
        struct Case {
            r: Vec<f64>,
            seen: usize,
            score: f64,
            level: Level,
        }
        let cases = [
            Case {
                r: vec![],
                seen: 0,
                score: 0.0,
                level: Level::Exposure,
            },
            Case {
                r: vec![0.0; 10],
                seen: 0,
                score: 0.0,
                level: Level::Exposure,
            },
            Case {
                r: vec![0.95; 10],
                seen: 10,
                score: 4.8,
                level: Level::Recall,
            },
            Case {
                r: [vec![0.95; 7], vec![0.0; 3]].concat(),
                seen: 7,
                score: 3.3,
                level: Level::Exposure,
            },
            Case {
                r: vec![0.6; 10],
                seen: 10,
                score: 3.0,
                level: Level::Exposure,
            },
        ];
        for c in cases {
            let m = topic_mastery("t", &c.r, c.seen, None, &LabEvidence::default());
            assert_eq!((m.score, m.level), (c.score, c.level), "{:?}", c.r);
        }
        let m = topic_mastery("t", &[0.9, 0.5, 0.0], 2, None, &LabEvidence::default());
        assert_eq!(
            m.explanation,
            "memory: 1 of 3 cards likely remembered today (2 seen); see 1 more cards to reach recall; no lab covers this topic yet, so recall is its top level"
        );
    }

    #[test]
    fn labs_lift_recall_to_application_and_mastery() {
        let labs = |passed: &[&str]| LabEvidence {
            labs: vec!["crash-loop".into(), "cannot-pull".into()],
            passed: passed.iter().map(|s| s.to_string()).collect(),
            ..LabEvidence::default()
        };
        let strong = vec![0.95; 10];
        let fair = vec![0.8; 10];
        assert_eq!(
            topic_mastery("t", &strong, 10, None, &labs(&[])).level,
            Level::Recall
        );
        let one = topic_mastery("t", &strong, 10, None, &labs(&["crash-loop"]));
        assert_eq!(one.level, Level::Recall);
        assert!(
            one.explanation.ends_with(
                "application needs the lab cannot-pull (`ecsdrill lab start cannot-pull`)"
            ),
            "{}",
            one.explanation
        );
        assert_eq!(
            topic_mastery(
                "t",
                &strong,
                10,
                None,
                &labs(&["crash-loop", "cannot-pull"])
            )
            .level,
            Level::Mastery
        );
        assert_eq!(
            topic_mastery("t", &fair, 10, None, &labs(&["crash-loop", "cannot-pull"])).level,
            Level::Application
        );
        // An assessment counts half; a strong one stands in for coverage.
        let few = [vec![0.95; 3], vec![0.0; 7]].concat();
        let m = topic_mastery("t", &few, 3, Some(5.0), &labs(&[]));
        assert_eq!((m.score, m.level), (3.2, Level::Exposure));
        let m = topic_mastery(
            "t",
            &[vec![0.95; 6], vec![0.0; 4]].concat(),
            6,
            Some(4.5),
            &labs(&[]),
        );
        assert_eq!(
            (m.score, m.level),
            (3.7, Level::Recall),
            "{}",
            m.explanation
        );
        assert!(m.explanation.contains("last assessment 4.5/5"));
        // Labs without memory do not skip the ladder.
        assert_eq!(
            topic_mastery(
                "t",
                &[0.0; 10],
                0,
                None,
                &labs(&["crash-loop", "cannot-pull"])
            )
            .level,
            Level::Exposure
        );
    }
}
