//! Topic mastery, pure: a score from 0 to 5 and a level on the ladder exposure → recall →
//! application → mastery, each with a sentence that explains it. Today the evidence is
//! memory (FSRS retrievability of the topic's cards); assessments and labs add to it in
//! later versions without changing these rules' shape.
//!
//! Rules:
//! - memory score = 5 × the mean retrievability of the topic's cards now (a card never
//!   reviewed counts 0, so coverage matters as much as retention).
//! - `recall` needs a score of at least 3.5 with at least 80% of the topic's cards seen.
//! - `application` and `mastery` need the topic's labs passed; without lab evidence a topic
//!   stays at `recall` at most.

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
}

/// `retrievability` holds one entry per card of the topic (0 for unseen cards).
pub fn topic_mastery(id: &str, retrievability: &[f64], seen: usize) -> TopicMastery {
    let cards = retrievability.len();
    let mean = if cards == 0 {
        0.0
    } else {
        retrievability.iter().sum::<f64>() / cards as f64
    };
    let score = (mean * 5.0 * 10.0).round() / 10.0;
    let likely = retrievability
        .iter()
        .filter(|&&r| r >= LIKELY_REMEMBERED)
        .count();
    let coverage = if cards == 0 {
        0.0
    } else {
        seen as f64 / cards as f64
    };
    let level = if score >= RECALL_SCORE && coverage >= RECALL_COVERAGE {
        Level::Recall
    } else {
        Level::Exposure
    };
    let mut why =
        format!("memory: {likely} of {cards} cards likely remembered today ({seen} seen)");
    match level {
        Level::Exposure if coverage < RECALL_COVERAGE => {
            let need = ((RECALL_COVERAGE * cards as f64).ceil() as usize).saturating_sub(seen);
            why.push_str(&format!("; see {need} more cards to reach recall"));
        }
        Level::Exposure => why.push_str(&format!("; recall needs a score of {RECALL_SCORE}")),
        _ => {}
    }
    why.push_str("; no lab passed yet, so application is out of reach");
    TopicMastery {
        id: id.to_string(),
        cards,
        seen,
        likely_remembered: likely,
        score,
        level,
        explanation: why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            let m = topic_mastery("t", &c.r, c.seen);
            assert_eq!((m.score, m.level), (c.score, c.level), "{:?}", c.r);
        }
        let m = topic_mastery("t", &[0.9, 0.5, 0.0], 2);
        assert_eq!(
            m.explanation,
            "memory: 1 of 3 cards likely remembered today (2 seen); see 1 more cards to reach recall; no lab passed yet, so application is out of reach"
        );
    }
}
