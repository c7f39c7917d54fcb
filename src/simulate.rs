//! Learning efficiency, measured instead of claimed. Simulated learners whose memory follows
//! FSRS-6 (parameters drawn around the defaults) study for a year under three schedulers:
//! ecsdrill's (FSRS-6 at a desired retention), SM-2 as Anki applies it, and Leitner boxes.
//! Pure and seeded: the same inputs give the same numbers.
//!
//! The model follows the open-spaced-repetition simulators: whole days (no same-day steps,
//! for any scheduler), recall drawn from the learner's true retrievability, and button
//! choices drawn from the fsrs crate's default rating probabilities (measured on Anki users).

use fsrs::{FSRS, MemoryState, NextStates, SimulatorConfig};
use serde::Serialize;

use crate::optimize::LoggedReview;
use crate::rng::SplitMix64;

/// ecsdrill's longest interval (`sched`): AWS facts are re-checked at least yearly.
const MAX_INTERVAL_DAYS: u32 = 365;
/// How often the "optimised" policy refits the parameters on the log so far.
const REFIT_EVERY_DAYS: u32 = 60;
/// Leitner box intervals in days; a lapse goes back to the first box.
const LEITNER: [u32; 8] = [1, 2, 4, 8, 16, 32, 64, 128];

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "scheduler", rename_all = "kebab-case")]
pub enum Policy {
    /// ecsdrill out of the box: FSRS-6 default parameters at this desired retention.
    Ecsdrill { desired_retention: f32 },
    /// ecsdrill after `ecsdrill optimize`, rerun on the learner's log every 60 days.
    EcsdrillOptimized { desired_retention: f32 },
    /// SM-2 as Anki applies it by default: graduating interval 1 day, easy interval 4,
    /// starting ease 250%, Hard ×1.2 and −15 points, Easy bonus ×1.3 and +15 points,
    /// a lapse back to 1 day and −20 points, ease never under 130%.
    Sm2,
    /// Leitner boxes 1, 2, 4 … 128 days; a lapse goes back to box 1.
    Leitner,
}

impl Policy {
    pub fn label(&self) -> String {
        match self {
            Policy::Ecsdrill { desired_retention } => {
                format!("ecsdrill (FSRS-6, retention {desired_retention:.3})")
            }
            Policy::EcsdrillOptimized { desired_retention } => {
                format!("ecsdrill + optimize (retention {desired_retention:.3})")
            }
            Policy::Sm2 => "SM-2 (Anki defaults)".into(),
            Policy::Leitner => "Leitner (1-128 days)".into(),
        }
    }
}

/// What one or more simulated learners did and kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Outcome {
    pub reviews: u64,
    pub cards: u64,
    pub days: u32,
    /// Mean true retrievability of every card introduced, on the day after the last.
    pub final_retention: f64,
    /// Cards known (sum of retrievability), averaged over every day: a year-long view
    /// that a burst of reviews at the end cannot inflate.
    pub mean_known: f64,
    /// Share of reviews (not first sightings) answered right.
    pub review_pass_rate: f64,
}

impl Outcome {
    pub fn reviews_per_day(&self) -> f64 {
        self.reviews as f64 / f64::from(self.days.max(1))
    }

    /// Reviews spent per card remembered at the end.
    pub fn reviews_per_card_remembered(&self) -> f64 {
        self.reviews as f64 / (self.final_retention * self.cards as f64).max(1e-9)
    }
}

/// A learner's true memory: FSRS-6 parameters with the initial stabilities and the
/// difficulty and stability-growth weights each scaled by e^(0.3·z), z standard normal.
pub fn learner(seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed);
    let mut w = fsrs::DEFAULT_PARAMETERS.to_vec();
    for i in [0, 1, 2, 3, 4, 8, 9, 10, 11] {
        let z = standard_normal(&mut rng) * 0.3;
        w[i] *= z.exp() as f32;
    }
    w
}

fn standard_normal(rng: &mut SplitMix64) -> f64 {
    let u1 = rng.next_f64().max(1e-12);
    let u2 = rng.next_f64();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// How simulated learners press buttons: the fsrs crate's simulator defaults.
#[derive(Clone, Copy, Debug)]
struct Buttons {
    /// Again, Hard, Good, Easy on a card's first sighting.
    first: [f32; 4],
    /// Hard, Good, Easy when a review is recalled.
    recalled: [f32; 3],
}

impl Buttons {
    fn fsrs_defaults() -> Self {
        let c = SimulatorConfig::default();
        Buttons {
            first: c.first_rating_prob,
            recalled: c.review_rating_prob,
        }
    }

    fn first(&self, rng: &mut SplitMix64) -> u32 {
        1 + pick_weighted(&self.first, rng)
    }

    fn recalled(&self, rng: &mut SplitMix64) -> u32 {
        2 + pick_weighted(&self.recalled, rng)
    }
}

fn pick_weighted(weights: &[f32], rng: &mut SplitMix64) -> u32 {
    let total: f64 = weights.iter().map(|&w| f64::from(w)).sum();
    let mut x = rng.next_f64() * total;
    for (i, &w) in weights.iter().enumerate() {
        x -= f64::from(w);
        if x < 0.0 {
            return i as u32;
        }
    }
    weights.len() as u32 - 1
}

fn chosen(next: &NextStates, rating: u32) -> (MemoryState, f32) {
    let s = match rating {
        1 => &next.again,
        2 => &next.hard,
        3 => &next.good,
        _ => &next.easy,
    };
    (s.memory, s.interval)
}

struct Card {
    due: u32,
    last: u32,
    truth: Option<MemoryState>,
    scheduler: Option<MemoryState>,
    sm2_interval: f64,
    sm2_ease: f64,
    leitner_box: usize,
}

impl Card {
    fn new(day: u32) -> Self {
        Card {
            due: day,
            last: day,
            truth: None,
            scheduler: None,
            sm2_interval: 0.0,
            sm2_ease: 2.5,
            leitner_box: 0,
        }
    }
}

/// One learner with true parameters `truth_params` studying `new_per_day` new cards a day
/// for `days` days under `policy`. No daily limit: every due card is reviewed on its day.
pub fn run(
    truth_params: &[f32],
    policy: Policy,
    days: u32,
    new_per_day: u32,
    seed: u64,
) -> Outcome {
    study(truth_params, policy, days, new_per_day, seed).0
}

/// The review log of such a learner under ecsdrill's defaults (desired retention 0.9),
/// ordered by card and day as the optimiser reads it.
pub fn review_log(
    truth_params: &[f32],
    days: u32,
    new_per_day: u32,
    seed: u64,
) -> Vec<LoggedReview> {
    let policy = Policy::Ecsdrill {
        desired_retention: 0.9,
    };
    let mut log = study(truth_params, policy, days, new_per_day, seed).1;
    log.sort_by_key(|r| (r.card, r.day));
    log
}

fn study(
    truth_params: &[f32],
    policy: Policy,
    days: u32,
    new_per_day: u32,
    seed: u64,
) -> (Outcome, Vec<LoggedReview>) {
    let truth = FSRS::new(truth_params).expect("learner parameters are valid");
    let decay = truth_params
        .get(20)
        .copied()
        .unwrap_or(fsrs::FSRS6_DEFAULT_DECAY);
    let mut scheduler = FSRS::new(&fsrs::DEFAULT_PARAMETERS).expect("default parameters");
    let buttons = Buttons::fsrs_defaults();
    let mut rng = SplitMix64::new(seed);
    let mut cards: Vec<Card> = Vec::new();
    let mut log: Vec<LoggedReview> = Vec::new();
    let (mut reviews, mut review_passes, mut review_count) = (0u64, 0u64, 0u64);
    let mut known_sum = 0.0;

    for day in 0..days {
        if let Policy::EcsdrillOptimized { .. } = policy
            && day > 0
            && day % REFIT_EVERY_DAYS == 0
            && let Some(refit) = refit(&log)
        {
            scheduler = refit;
        }
        cards.extend((0..new_per_day).map(|_| Card::new(day)));
        for (id, card) in cards.iter_mut().enumerate() {
            if card.due != day {
                continue;
            }
            reviews += 1;
            let elapsed = day - card.last;
            let rating = match card.truth {
                None => buttons.first(&mut rng),
                Some(m) => {
                    review_count += 1;
                    let r = fsrs::current_retrievability(m, elapsed as f32, decay);
                    if rng.next_f64() < f64::from(r) {
                        review_passes += 1;
                        buttons.recalled(&mut rng)
                    } else {
                        1
                    }
                }
            };
            let true_next = truth
                .next_states(card.truth, 0.9, elapsed)
                .expect("true memory update");
            card.truth = Some(chosen(&true_next, rating).0);
            log.push(LoggedReview {
                card: id as i64,
                day: i64::from(day),
                rating,
            });
            let interval = match policy {
                Policy::Ecsdrill { desired_retention }
                | Policy::EcsdrillOptimized { desired_retention } => {
                    let next = scheduler
                        .next_states(card.scheduler, desired_retention, elapsed)
                        .expect("scheduler update");
                    let (memory, interval) = chosen(&next, rating);
                    card.scheduler = Some(memory);
                    (interval.round() as u32).clamp(1, MAX_INTERVAL_DAYS)
                }
                Policy::Sm2 => sm2(card, rating),
                Policy::Leitner => {
                    card.leitner_box = if rating == 1 {
                        0
                    } else {
                        (card.leitner_box + 1).min(LEITNER.len() - 1)
                    };
                    LEITNER[card.leitner_box]
                }
            };
            card.last = day;
            card.due = day + interval.max(1);
        }
        known_sum += known_on(&cards, day + 1, decay);
    }
    let cards_n = cards.len() as f64;
    let outcome = Outcome {
        reviews,
        cards: cards.len() as u64,
        days,
        final_retention: known_on(&cards, days, decay) / cards_n.max(1.0),
        mean_known: known_sum / f64::from(days.max(1)),
        review_pass_rate: review_passes as f64 / (review_count as f64).max(1.0),
    };
    (outcome, log)
}

/// Sum of true retrievability over the cards, on `day`.
fn known_on(cards: &[Card], day: u32, decay: f32) -> f64 {
    cards
        .iter()
        .filter_map(|c| c.truth.map(|m| (m, day - c.last)))
        .map(|(m, t)| f64::from(fsrs::current_retrievability(m, t as f32, decay)))
        .sum()
}

/// `ecsdrill optimize` on the log so far, as the learner would run it.
fn refit(log: &[LoggedReview]) -> Option<FSRS> {
    let mut sorted = log.to_vec();
    sorted.sort_by_key(|r| (r.card, r.day));
    let (items, ids) = crate::optimize::items(&sorted);
    if items.len() < crate::optimize::MIN_REVIEWS {
        return None;
    }
    let w = crate::optimize::fit(items, ids).ok()?;
    FSRS::new(&w).ok()
}

/// Anki's SM-2 at day granularity, reviews on time; returns the next interval in days.
fn sm2(card: &mut Card, rating: u32) -> u32 {
    if card.sm2_interval == 0.0 {
        // First sighting: the learning steps end in the graduating or the easy interval.
        card.sm2_interval = if rating == 4 { 4.0 } else { 1.0 };
        return card.sm2_interval as u32;
    }
    let (ivl, ease) = (card.sm2_interval, card.sm2_ease);
    let next = match rating {
        1 => {
            card.sm2_ease = (ease - 0.2).max(1.3);
            1.0
        }
        2 => {
            card.sm2_ease = (ease - 0.15).max(1.3);
            (ivl * 1.2).round().max(ivl + 1.0)
        }
        3 => (ivl * ease).round().max(ivl + 1.0),
        _ => {
            card.sm2_ease = ease + 0.15;
            (ivl * ease * 1.3).round().max(ivl + 1.0)
        }
    };
    card.sm2_interval = next.min(36500.0);
    card.sm2_interval as u32
}

/// Several learners under one policy, summed (retention weighted by cards). Learners run
/// in parallel, one thread per core.
pub fn run_many(
    learners: &[Vec<f32>],
    policy: Policy,
    days: u32,
    new_per_day: u32,
    seed: u64,
) -> Outcome {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = learners.len().div_ceil(threads).max(1);
    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = learners
            .chunks(chunk)
            .enumerate()
            .map(|(c, group)| {
                scope.spawn(move || {
                    group
                        .iter()
                        .enumerate()
                        .map(|(i, w)| {
                            run(
                                w,
                                policy,
                                days,
                                new_per_day,
                                learner_seed(seed, c * chunk + i),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("simulation thread"))
            .collect()
    });
    let mut total = Outcome {
        days,
        ..Outcome::default()
    };
    let (mut retained, mut passes, mut reviewed, mut known) = (0.0, 0.0, 0.0, 0.0);
    for o in &outcomes {
        total.reviews += o.reviews;
        total.cards += o.cards;
        retained += o.final_retention * o.cards as f64;
        let later_reviews = (o.reviews - o.cards) as f64;
        passes += o.review_pass_rate * later_reviews;
        reviewed += later_reviews;
        known += o.mean_known;
    }
    total.final_retention = retained / (total.cards as f64).max(1.0);
    total.review_pass_rate = passes / reviewed.max(1.0);
    total.mean_known = known / outcomes.len().max(1) as f64;
    total
}

fn learner_seed(seed: u64, i: usize) -> u64 {
    seed ^ (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// The desired retention at which `policy_at` ends the year with at least `target`
/// retention, found by bisection, and the outcome there.
pub fn matching(
    learners: &[Vec<f32>],
    policy_at: impl Fn(f32) -> Policy,
    target: f64,
    days: u32,
    new_per_day: u32,
    seed: u64,
) -> (f32, Outcome) {
    let at = |r: f32| run_many(learners, policy_at(r), days, new_per_day, seed);
    let (mut lo, mut hi) = (0.70f32, 0.99f32);
    let mut best = (hi, at(hi));
    for _ in 0..8 {
        let mid = (lo + hi) / 2.0;
        let outcome = at(mid);
        if outcome.final_retention >= target {
            hi = mid;
            best = (mid, outcome);
        } else {
            lo = mid;
        }
    }
    best
}

fn ecsdrill(desired_retention: f32) -> Policy {
    Policy::Ecsdrill { desired_retention }
}

fn ecsdrill_optimized(desired_retention: f32) -> Policy {
    Policy::EcsdrillOptimized { desired_retention }
}

/// The inputs of one comparison.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Setup {
    pub days: u32,
    pub new_per_day: u32,
    pub learners: u32,
    pub seed: u64,
    /// Also run the optimised policy (slow: it refits every 60 simulated days).
    pub with_optimize: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub policy: Policy,
    pub label: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    pub reviews_per_day: f64,
    pub reviews_per_card_remembered: f64,
}

/// Every scheduler side by side, ecsdrill matched to SM-2's final retention.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub setup: Setup,
    pub rows: Vec<Row>,
    /// ecsdrill's desired retention that gives SM-2's final retention.
    pub matched_desired_retention: f32,
    /// 1 − ecsdrill's reviews ÷ SM-2's reviews, at that retention.
    pub saving_vs_sm2: f64,
    /// The same against Leitner, matched to Leitner's final retention.
    pub saving_vs_leitner: f64,
    /// ecsdrill with `optimize` against SM-2 at SM-2's retention, when simulated.
    pub saving_optimized_vs_sm2: Option<f64>,
}

pub fn compare(setup: Setup) -> Comparison {
    let learners: Vec<Vec<f32>> = (0..setup.learners)
        .map(|i| learner(setup.seed.wrapping_add(u64::from(i))))
        .collect();
    let (days, new, seed) = (setup.days, setup.new_per_day, setup.seed);
    let row = |policy: Policy, outcome: Outcome| Row {
        label: policy.label(),
        policy,
        reviews_per_day: outcome.reviews_per_day(),
        reviews_per_card_remembered: outcome.reviews_per_card_remembered(),
        outcome,
    };
    let saving =
        |ours: &Outcome, theirs: &Outcome| 1.0 - ours.reviews as f64 / theirs.reviews.max(1) as f64;
    let sm2 = run_many(&learners, Policy::Sm2, days, new, seed);
    let leitner = run_many(&learners, Policy::Leitner, days, new, seed);
    let target = sm2.final_retention;
    let (dr, ours) = matching(&learners, ecsdrill, target, days, new, seed);
    let target_l = leitner.final_retention;
    let (dr_l, ours_l) = matching(&learners, ecsdrill, target_l, days, new, seed);
    let mut rows = vec![
        row(
            ecsdrill(0.9),
            run_many(&learners, ecsdrill(0.9), days, new, seed),
        ),
        row(Policy::Sm2, sm2),
        row(ecsdrill(dr), ours),
        row(Policy::Leitner, leitner),
        row(ecsdrill(dr_l), ours_l),
    ];
    let mut saving_optimized_vs_sm2 = None;
    if setup.with_optimize {
        let (dr_o, opt) = matching(&learners, ecsdrill_optimized, target, days, new, seed);
        saving_optimized_vs_sm2 = Some(saving(&opt, &sm2));
        rows.push(row(ecsdrill_optimized(dr_o), opt));
    }
    Comparison {
        setup,
        rows,
        matched_desired_retention: dr,
        saving_vs_sm2: saving(&ours, &sm2),
        saving_vs_leitner: saving(&ours_l, &leitner),
        saving_optimized_vs_sm2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learners_vary_around_the_defaults_and_are_seeded() {
        let (a, b) = (learner(1), learner(2));
        assert_ne!(a, b);
        assert_eq!(learner(1), a);
        for w in [&a, &b] {
            assert!(FSRS::new(w).is_ok());
            let d = fsrs::DEFAULT_PARAMETERS[2];
            assert!(w[2] > d * 0.3 && w[2] < d * 3.0);
            assert_eq!(
                w[20],
                fsrs::DEFAULT_PARAMETERS[20],
                "the forgetting curve's shape is kept"
            );
        }
    }

    #[test]
    fn sm2_follows_ankis_rules() {
        let mut c = Card::new(0);
        assert_eq!(sm2(&mut c, 3), 1, "graduating interval");
        assert_eq!(sm2(&mut c, 3), 3, "1 × 2.5 rounds to 3 (at least +1)");
        assert_eq!(sm2(&mut c, 3), 8, "3 × 2.5 = 7.5 rounds to 8");
        assert_eq!(sm2(&mut c, 1), 1, "a lapse goes back to 1 day");
        assert!((c.sm2_ease - 2.3).abs() < 1e-9);
        assert_eq!(sm2(&mut c, 2), 2, "Hard: 1 × 1.2, at least +1");
        assert!((c.sm2_ease - 2.15).abs() < 1e-9);
        assert_eq!(sm2(&mut c, 4), 6, "Easy: 2 × 2.15 × 1.3 = 5.59");
        assert!((c.sm2_ease - 2.3).abs() < 1e-9);
        let mut easy = Card::new(0);
        assert_eq!(sm2(&mut easy, 4), 4, "easy interval");
        for _ in 0..20 {
            sm2(&mut c, 1);
        }
        assert!((c.sm2_ease - 1.3).abs() < 1e-9, "ease floor 130%");
    }

    #[test]
    fn buttons_follow_the_weights() {
        let mut rng = SplitMix64::new(7);
        let b = Buttons::fsrs_defaults();
        let n = 20_000;
        let again = (0..n).filter(|_| b.first(&mut rng) == 1).count() as f64 / n as f64;
        assert!((again - f64::from(b.first[0])).abs() < 0.02, "{again}");
        assert!((0..1000).all(|_| (2..=4).contains(&b.recalled(&mut rng))));
    }

    #[test]
    fn a_higher_desired_retention_costs_reviews_and_buys_retention() {
        let w = learner(3);
        let at = |r| {
            run(
                &w,
                Policy::Ecsdrill {
                    desired_retention: r,
                },
                120,
                5,
                11,
            )
        };
        let (low, high) = (at(0.8), at(0.95));
        assert!(high.reviews > low.reviews);
        assert!(high.final_retention > low.final_retention);
        assert!(high.review_pass_rate > low.review_pass_rate);
        assert_eq!(at(0.8), low, "seeded");
    }

    #[test]
    fn matching_reaches_the_target_retention() {
        let learners = vec![learner(5)];
        let sm2 = run_many(&learners, Policy::Sm2, 120, 5, 9);
        let (dr, ours) = matching(&learners, ecsdrill, sm2.final_retention, 120, 5, 9);
        assert!(ours.final_retention >= sm2.final_retention);
        assert!((0.70..=0.99).contains(&dr));
    }
}
