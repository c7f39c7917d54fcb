//! Scheduling, pure: the card state machine (new, learning, review, relearning) around the
//! FSRS-6 memory model of the `fsrs` crate. Given a card's state, a rating and the time, it
//! returns the next state. The crate gives stability and difficulty only; steps, fuzz,
//! rounding, the maximum interval and day boundaries are ours, modelled on Anki's.

use chrono::{DateTime, Duration, FixedOffset};
use fsrs::{FSRS, MemoryState, NextStates};
use serde::Serialize;

use crate::clock::{day_start, days_between, from_ms, study_day, to_ms};
use crate::rng::{SplitMix64, hash_str};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    New,
    Learning,
    Review,
    Relearning,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::New => "new",
            Phase::Learning => "learning",
            Phase::Review => "review",
            Phase::Relearning => "relearning",
        }
    }

    pub fn parse(s: &str) -> Option<Phase> {
        Some(match s {
            "new" => Phase::New,
            "learning" => Phase::Learning,
            "review" => Phase::Review,
            "relearning" => Phase::Relearning,
            _ => return None,
        })
    }
}

/// What the scheduler knows about one card.
#[derive(Clone, Debug, PartialEq)]
pub struct CardState {
    pub phase: Phase,
    /// Index into the learning or relearning steps.
    pub step: u32,
    pub stability: Option<f32>,
    pub difficulty: Option<f32>,
    pub due_ms: i64,
    pub last_review_ms: Option<i64>,
    pub reps: u32,
    pub lapses: u32,
    /// Days until due, for review cards; 0 while learning.
    pub scheduled_days: u32,
    pub leech: bool,
}

impl CardState {
    pub fn new_card() -> Self {
        CardState {
            phase: Phase::New,
            step: 0,
            stability: None,
            difficulty: None,
            due_ms: 0,
            last_review_ms: None,
            reps: 0,
            lapses: 0,
            scheduled_days: 0,
            leech: false,
        }
    }

    pub fn memory(&self) -> Option<MemoryState> {
        match (self.stability, self.difficulty) {
            (Some(stability), Some(difficulty)) => Some(MemoryState {
                stability,
                difficulty,
            }),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct SchedConfig {
    pub desired_retention: f32,
    pub learning_steps_secs: Vec<i64>,
    pub relearning_steps_secs: Vec<i64>,
    pub max_interval_days: u32,
    pub fuzz: bool,
    pub leech_threshold: u32,
    pub new_per_day: u32,
    /// A learning card due within this many seconds may be shown early when nothing else is due.
    pub learn_ahead_secs: i64,
}

impl Default for SchedConfig {
    fn default() -> Self {
        SchedConfig {
            desired_retention: 0.90,
            learning_steps_secs: vec![60, 600],
            relearning_steps_secs: vec![600],
            // AWS changes; a year is long enough between checks of any fact.
            max_interval_days: 365,
            fuzz: true,
            leech_threshold: 8,
            new_per_day: 20,
            learn_ahead_secs: 20 * 60,
        }
    }
}

/// The result of answering a card.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub after: CardState,
    /// Set when this lapse makes the card a leech, or is a further multiple of half the threshold.
    pub leech_warning: bool,
}

pub struct Scheduler {
    fsrs: FSRS,
    decay: f32,
    pub cfg: SchedConfig,
}

#[derive(Debug, thiserror::Error)]
#[error("the memory model rejected the parameters: {0}")]
pub struct SchedError(String);

enum StepResult {
    Stay { step: u32, delay_secs: i64 },
    Graduate,
}

impl Scheduler {
    /// `params` empty means the FSRS-6 defaults.
    pub fn new(params: &[f32], cfg: SchedConfig) -> Result<Self, SchedError> {
        let fsrs = FSRS::new(params).map_err(|e| SchedError(e.to_string()))?;
        let decay = if params.len() == 21 {
            params[20]
        } else {
            fsrs::FSRS6_DEFAULT_DECAY
        };
        Ok(Scheduler { fsrs, decay, cfg })
    }

    /// Probability of recalling the card at `now` (0 for a card never reviewed).
    pub fn retrievability(&self, state: &CardState, now_ms: i64) -> f64 {
        match (state.memory(), state.last_review_ms) {
            (Some(m), Some(last)) => {
                let days = ((now_ms - last).max(0) as f64 / 86_400_000.0) as f32;
                fsrs::current_retrievability(m, days, self.decay) as f64
            }
            _ => 0.0,
        }
    }

    pub fn answer(
        &self,
        card_id: &str,
        before: &CardState,
        rating: u8,
        now: DateTime<FixedOffset>,
    ) -> Result<Outcome, SchedError> {
        let rating = rating.clamp(1, 4);
        let elapsed = before
            .last_review_ms
            .map(|l| days_between(from_ms(l, now), now).max(0))
            .unwrap_or(0) as u32;
        let next = self
            .fsrs
            .next_states(before.memory(), self.cfg.desired_retention, elapsed)
            .map_err(|e| SchedError(e.to_string()))?;
        let memory = match rating {
            1 => next.again.memory,
            2 => next.hard.memory,
            3 => next.good.memory,
            _ => next.easy.memory,
        };
        let mut after = before.clone();
        after.stability = Some(memory.stability);
        after.difficulty = Some(memory.difficulty);
        after.reps += 1;
        after.last_review_ms = Some(to_ms(now));
        let mut leech_warning = false;
        let seed = hash_str(card_id) ^ (before.reps as u64).wrapping_mul(0x9e37_79b9);

        let steps_result = |steps: &[i64], step: u32| learning_step(steps, step, rating);
        let outcome = match before.phase {
            Phase::New | Phase::Learning => {
                steps_result(&self.cfg.learning_steps_secs, before.step)
            }
            Phase::Relearning => steps_result(&self.cfg.relearning_steps_secs, before.step),
            Phase::Review if rating == 1 => {
                after.lapses += 1;
                let t = self.cfg.leech_threshold;
                if t > 0 && after.lapses >= t {
                    after.leech = true;
                    let every = t.div_ceil(2).max(1);
                    leech_warning = (after.lapses - t).is_multiple_of(every);
                }
                match self.cfg.relearning_steps_secs.first() {
                    Some(&d) => StepResult::Stay {
                        step: 0,
                        delay_secs: d,
                    },
                    None => StepResult::Graduate,
                }
            }
            Phase::Review => StepResult::Graduate,
        };
        match outcome {
            StepResult::Stay { step, delay_secs } => {
                after.phase = if matches!(before.phase, Phase::Review | Phase::Relearning) {
                    Phase::Relearning
                } else {
                    Phase::Learning
                };
                after.step = step;
                after.scheduled_days = 0;
                after.due_ms = to_ms(now + Duration::seconds(delay_secs));
            }
            StepResult::Graduate => {
                let days = self.review_intervals(&next, seed, before.phase == Phase::Review)
                    [rating as usize - 1];
                after.phase = Phase::Review;
                after.step = 0;
                after.scheduled_days = days;
                let due_day = study_day(now) + Duration::days(days as i64);
                after.due_ms = to_ms(day_start(due_day, now));
            }
        }
        Ok(Outcome {
            after,
            leech_warning,
        })
    }

    /// Whole-day intervals for the four ratings, fuzzed. Answers to review cards keep them
    /// in order (hard < good < easy), as Anki does; graduations from steps do not.
    fn review_intervals(&self, next: &NextStates, seed: u64, ordered: bool) -> [u32; 4] {
        let max = self.cfg.max_interval_days.max(1);
        let base = |s: f32| -> u32 {
            let ivl = self
                .fsrs
                .next_interval(Some(s), self.cfg.desired_retention, 3);
            (ivl.round().max(1.0) as u32).min(max)
        };
        let fuzz = |days: u32, which: u64| -> u32 {
            if self.cfg.fuzz {
                fuzzed(days, max, seed ^ which)
            } else {
                days
            }
        };
        let again = fuzz(base(next.again.memory.stability), 1);
        let hard = fuzz(base(next.hard.memory.stability), 2);
        let mut good = fuzz(base(next.good.memory.stability), 3);
        let mut easy = fuzz(base(next.easy.memory.stability), 4);
        if ordered {
            good = good.max(hard + 1).min(max);
            easy = easy.max(good + 1).min(max);
        }
        [again, hard, good, easy]
    }
}

fn learning_step(steps: &[i64], step: u32, rating: u8) -> StepResult {
    if steps.is_empty() {
        return StepResult::Graduate;
    }
    let step = (step as usize).min(steps.len() - 1);
    match rating {
        1 => StepResult::Stay {
            step: 0,
            delay_secs: steps[0],
        },
        2 => {
            let delay = if step == 0 {
                match steps.get(1) {
                    Some(&next) => (steps[0] + next) / 2,
                    None => (steps[0] * 3 / 2).min(steps[0] + 86_400),
                }
            } else {
                steps[step]
            };
            StepResult::Stay {
                step: step as u32,
                delay_secs: delay,
            }
        }
        3 if step + 1 < steps.len() => StepResult::Stay {
            step: step as u32 + 1,
            delay_secs: steps[step + 1],
        },
        _ => StepResult::Graduate,
    }
}

/// Anki's fuzz: a deterministic pick in a range that widens with the interval.
pub fn fuzzed(days: u32, max: u32, seed: u64) -> u32 {
    let ivl = days as f64;
    if ivl < 2.5 {
        return days;
    }
    let (lo, hi) = fuzz_range(ivl, 1, max);
    let f = SplitMix64::new(seed).next_f64();
    ((lo as f64 + f * (1 + hi - lo) as f64).floor() as u32).clamp(lo, hi)
}

pub fn fuzz_range(ivl: f64, min: u32, max: u32) -> (u32, u32) {
    let delta = 1.0
        + 0.15 * (ivl.min(7.0) - 2.5).max(0.0)
        + 0.10 * (ivl.min(20.0) - 7.0).max(0.0)
        + 0.05 * (ivl - 20.0).max(0.0);
    let lo = ((ivl - delta).round() as u32).clamp(min, max);
    let hi = ((ivl + delta).round() as u32).clamp(min, max);
    (lo, hi.max(lo))
}

/// A human description of when a card is due again.
pub fn describe_due(after: &CardState, now: DateTime<FixedOffset>) -> String {
    let due = from_ms(after.due_ms, now);
    match after.phase {
        Phase::Review => {
            let days = days_between(now, due);
            match days {
                0 => "later today".to_string(),
                1 => "tomorrow".to_string(),
                d => format!("in {d} days ({})", study_day(due).format("%Y-%m-%d")),
            }
        }
        _ => {
            let mins = ((after.due_ms - to_ms(now)) as f64 / 60_000.0).round() as i64;
            if mins < 60 {
                format!("in {mins} min")
            } else {
                format!("in {} h", mins / 60)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2022-11-29T12:30:00Z").unwrap()
    }

    fn no_fuzz() -> Scheduler {
        Scheduler::new(
            &[],
            SchedConfig {
                fuzz: false,
                max_interval_days: 36500,
                ..SchedConfig::default()
            },
        )
        .unwrap()
    }

    /// fsrs-rs test_memory_state: ratings 1,3,3,3,3,3 with 0,0,1,3,8,21 days between reviews.
    #[test]
    fn memory_state_matches_reference_vector() {
        let s = no_fuzz();
        let mut st = CardState::new_card();
        let mut day = 0;
        let trace = [
            (1, 0, 0.212, 6.4133),
            (3, 0, 0.24668919, 6.402115),
            (3, 1, 2.0214777, 6.390941),
            (3, 3, 7.863701, 6.3797784),
            (3, 8, 21.917715, 6.368627),
            (3, 21, 53.62691, 6.3574867),
        ];
        for (rating, gap, want_s, want_d) in trace {
            day += gap;
            let now = t0() + Duration::days(day);
            st = s.answer("card", &st, rating, now).unwrap().after;
            assert!(
                (st.stability.unwrap() - want_s).abs() < 1e-4,
                "S after day {day}: {:?}",
                st.stability
            );
            assert!(
                (st.difficulty.unwrap() - want_d).abs() < 1e-4,
                "D after day {day}: {:?}",
                st.difficulty
            );
        }
    }

    /// py-fsrs test_review_card: Good x6, Again x2, Good x5, each at the due time, no fuzz.
    #[test]
    fn intervals_match_reference_scheduler() {
        let s = no_fuzz();
        let mut st = CardState::new_card();
        let mut now = t0();
        let mut intervals = Vec::new();
        for rating in [3, 3, 3, 3, 3, 3, 1, 1, 3, 3, 3, 3, 3] {
            st = s.answer("card", &st, rating, now).unwrap().after;
            intervals.push(st.scheduled_days);
            now = from_ms(st.due_ms, now);
        }
        assert_eq!(
            intervals,
            vec![0, 2, 11, 46, 163, 498, 0, 0, 2, 4, 7, 12, 21]
        );
    }

    #[test]
    fn mixed_ratings_match_generated_vector() {
        let s = no_fuzz();
        let mut st = CardState::new_card();
        let trace = [
            (3, 0, 2.3065, 2.118104),
            (2, 2, 7.5133257, 4.752858),
            (4, 3, 23.98585, 2.9847362),
            (1, 15, 2.0750666, 7.6793585),
        ];
        let mut day = 0;
        for (rating, gap, want_s, want_d) in trace {
            day += gap;
            st = s
                .answer("c", &st, rating, t0() + Duration::days(day))
                .unwrap()
                .after;
            assert!((st.stability.unwrap() - want_s).abs() < 1e-4);
            assert!((st.difficulty.unwrap() - want_d).abs() < 1e-4);
        }
        assert_eq!(st.phase, Phase::Relearning);
        assert_eq!(st.lapses, 1);
    }

    #[test]
    fn learning_steps_follow_anki() {
        let s = no_fuzz();
        let new = CardState::new_card();
        let again = s.answer("c", &new, 1, t0()).unwrap().after;
        assert_eq!(
            (again.phase, again.step, again.due_ms - to_ms(t0())),
            (Phase::Learning, 0, 60_000)
        );
        let hard = s.answer("c", &new, 2, t0()).unwrap().after;
        assert_eq!(hard.due_ms - to_ms(t0()), 330_000);
        let good = s.answer("c", &new, 3, t0()).unwrap().after;
        assert_eq!((good.step, good.due_ms - to_ms(t0())), (1, 600_000));
        let easy = s.answer("c", &new, 4, t0()).unwrap().after;
        assert_eq!((easy.phase, easy.scheduled_days), (Phase::Review, 8));
        // Easy graduates on the next day boundary + 8 days, at 4 a.m.
        assert_eq!(
            from_ms(easy.due_ms, t0()).to_rfc3339(),
            "2022-12-07T04:00:00+00:00"
        );
    }

    #[test]
    fn fuzz_is_deterministic_and_within_anki_ranges() {
        assert_eq!(fuzz_range(3.0, 1, 36500), (2, 4));
        assert_eq!(fuzz_range(10.0, 1, 36500), (8, 12));
        assert_eq!(fuzz_range(30.0, 1, 36500), (27, 33));
        assert_eq!(fuzz_range(100.0, 1, 36500), (93, 107));
        assert_eq!(fuzz_range(365.0, 1, 36500), (345, 385));
        assert_eq!(fuzz_range(1000.0, 1, 36500), (948, 1052));
        for seed in 0..500 {
            let v = fuzzed(100, 36500, seed);
            assert!((93..=107).contains(&v));
            assert_eq!(v, fuzzed(100, 36500, seed));
        }
        assert_eq!(fuzzed(2, 36500, 7), 2);
        assert_eq!(fuzzed(400, 365, 7), 365);
    }

    #[test]
    fn max_interval_caps_reviews() {
        let s = Scheduler::new(
            &[],
            SchedConfig {
                fuzz: false,
                max_interval_days: 30,
                ..SchedConfig::default()
            },
        )
        .unwrap();
        let mut st = CardState::new_card();
        let mut now = t0();
        for _ in 0..8 {
            st = s.answer("c", &st, 4, now).unwrap().after;
            now = from_ms(st.due_ms, now);
        }
        assert_eq!(st.scheduled_days, 30);
    }

    #[test]
    fn leech_after_eight_lapses_then_every_four() {
        let s = no_fuzz();
        let mut st = CardState::new_card();
        let mut now = t0();
        let mut warnings = Vec::new();
        st = s.answer("c", &st, 4, now).unwrap().after;
        for _ in 0..16 {
            now = from_ms(st.due_ms, now);
            let out = s.answer("c", &st, 1, now).unwrap();
            warnings.push(out.leech_warning);
            now = from_ms(out.after.due_ms, now);
            st = s.answer("c", &out.after, 3, now).unwrap().after;
        }
        let at: Vec<usize> = warnings
            .iter()
            .enumerate()
            .filter(|(_, w)| **w)
            .map(|(i, _)| i + 1)
            .collect();
        assert_eq!(at, vec![8, 12, 16]);
        assert!(st.leech);
    }

    #[test]
    fn retrievability_is_ninety_percent_at_stability() {
        let s = no_fuzz();
        let st = CardState {
            stability: Some(10.0),
            difficulty: Some(5.0),
            last_review_ms: Some(0),
            ..CardState::new_card()
        };
        let r = s.retrievability(&st, 10 * 86_400_000);
        assert!((r - 0.9).abs() < 1e-4, "{r}");
        assert_eq!(s.retrievability(&CardState::new_card(), 0), 0.0);
    }
}
