//! Fitting FSRS parameters to one learner's review log, and judging the fit. Pure: review
//! rows go in, training items, parameters and their log loss come out; the command module
//! reads the log and stores the result. The tests prove a fit helps on the log of a
//! simulated learner with known parameters (`crate::simulate::review_log`).

use fsrs::{ComputeParametersInput, FSRS, FSRSItem, FSRSReview};

/// Below this many reviews (after the first of each card), a fit is mostly noise.
pub const MIN_REVIEWS: usize = 400;

/// One logged answer: the card, the study day it was given on, the rating 1-4.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoggedReview {
    pub card: i64,
    pub day: i64,
    pub rating: u32,
}

/// Training items as FSRS expects them: for every review of a card after its first, the
/// card's history up to and including that review, with the days between reviews. Rows
/// must be sorted by card, then time. Returns the items and the card id of each.
pub fn items(log: &[LoggedReview]) -> (Vec<FSRSItem>, Vec<i64>) {
    let mut out = Vec::new();
    let mut ids = Vec::new();
    let mut start = 0;
    while start < log.len() {
        let card = log[start].card;
        let end = start + log[start..].iter().take_while(|r| r.card == card).count();
        let mut history: Vec<FSRSReview> = Vec::new();
        let mut last_day = None;
        for r in &log[start..end] {
            let delta_t = last_day.map_or(0, |d: i64| (r.day - d).max(0) as u32);
            history.push(FSRSReview {
                rating: r.rating.clamp(1, 4),
                delta_t,
            });
            last_day = Some(r.day);
            // An item predicts its last review from the ones before; it needs a gap of a day
            // or more somewhere, or it says nothing about long-term memory.
            if history.len() > 1 && history.iter().any(|h| h.delta_t > 0) {
                out.push(FSRSItem {
                    reviews: history.clone(),
                });
                ids.push(card);
            }
        }
        start = end;
    }
    (out, ids)
}

/// How well parameters predict the log: log loss and RMSE over bins (lower is better).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    pub log_loss: f32,
    pub rmse: f32,
}

pub fn evaluate(params: &[f32], items: &[FSRSItem]) -> Result<Fit, String> {
    let fsrs = FSRS::new(params).map_err(|e| e.to_string())?;
    let e = fsrs
        .evaluate(items.to_vec(), |_| true)
        .map_err(|e| e.to_string())?;
    Ok(Fit {
        log_loss: e.log_loss,
        rmse: e.rmse_bins,
    })
}

/// Fits parameters to the items (the crate's optimiser, short-term memory on).
pub fn fit(items: Vec<FSRSItem>, card_ids: Vec<i64>) -> Result<Vec<f32>, String> {
    fsrs::compute_parameters(ComputeParametersInput {
        train_set: items,
        card_ids: Some(card_ids),
        ..ComputeParametersInput::default()
    })
    .map_err(|e| e.to_string())
}

/// A learner who forgets faster than FSRS's default learner: initial stabilities a third
/// of the defaults, the rest unchanged.
pub fn fast_forgetter() -> Vec<f32> {
    let mut w = fsrs::DEFAULT_PARAMETERS.to_vec();
    for s in w.iter_mut().take(4) {
        *s /= 3.0;
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_follow_each_card_and_need_a_day_gap() {
        let r = |card, day, rating| LoggedReview { card, day, rating };
        let log = [
            r(1, 0, 3),
            r(1, 0, 3),
            r(1, 2, 1),
            r(1, 3, 3),
            r(2, 5, 3),
            r(2, 9, 4),
        ];
        let (items, ids) = items(&log);
        assert_eq!(ids, vec![1, 1, 2]);
        let deltas: Vec<Vec<u32>> = items
            .iter()
            .map(|i| i.reviews.iter().map(|r| r.delta_t).collect())
            .collect();
        assert_eq!(deltas, vec![vec![0, 0, 2], vec![0, 0, 2, 1], vec![0, 4]]);
    }

    #[test]
    fn a_fit_predicts_a_simulated_learner_better_than_the_defaults() {
        let log = crate::simulate::review_log(&fast_forgetter(), 120, 3, 7);
        assert!(log.len() > MIN_REVIEWS, "{}", log.len());
        let (items, ids) = items(&log);
        let fitted = fit(items, ids).unwrap();
        // Judged on a fresh log of the same learner, not the one it was fitted to.
        let (held_out, _) =
            super::items(&crate::simulate::review_log(&fast_forgetter(), 120, 3, 8));
        let before = evaluate(&fsrs::DEFAULT_PARAMETERS, &held_out).unwrap();
        let after = evaluate(&fitted, &held_out).unwrap();
        assert!(
            after.log_loss < before.log_loss,
            "fitted {after:?} should beat defaults {before:?}"
        );
        // The fit finds the faster forgetting: a lower first stability for Good.
        assert!(fitted[2] < fsrs::DEFAULT_PARAMETERS[2], "{fitted:?}");
    }
}
