//! `ecsdrill optimize`: fit FSRS parameters to this learner's review log and keep them when
//! they predict the log better than the current ones; `--reset` returns to the defaults.

use std::collections::HashMap;
use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

use chrono::Datelike;

use crate::app::App;
use crate::clock::{from_ms, study_day};
use crate::error::UserError;
use crate::optimize::{LoggedReview, MIN_REVIEWS, evaluate, fit, items};

pub const PARAMS_KEY: &str = "fsrs_parameters";
pub const META_KEY: &str = "fsrs_parameters_meta";
const FSRS_VERSION: &str = "6.6.2";

pub fn run(app: &App, reset: bool) -> Result<ExitCode> {
    let store = app.store()?;
    if reset {
        store.delete_setting(PARAMS_KEY)?;
        store.delete_setting(META_KEY)?;
        println!("back to FSRS's default parameters");
        return Ok(ExitCode::SUCCESS);
    }
    let now = app.clock.now();
    let history = store.review_history()?;
    let mut ids: HashMap<String, i64> = HashMap::new();
    let log: Vec<LoggedReview> = history
        .into_iter()
        .map(|(card, ms, rating)| {
            let next = ids.len() as i64;
            let card = *ids.entry(card).or_insert(next);
            LoggedReview {
                card,
                day: study_day(from_ms(ms, now)).num_days_from_ce() as i64,
                rating,
            }
        })
        .collect();
    let (items, card_ids) = items(&log);
    if items.len() < MIN_REVIEWS {
        return Err(UserError::env(format!(
            "not enough reviews to fit: {} usable, optimize needs {MIN_REVIEWS} ({} more)",
            items.len(),
            MIN_REVIEWS - items.len()
        ))
        .with_hint("a usable review is one of a card you had already seen on an earlier day; keep reviewing and try again in a few weeks")
        .into());
    }
    let current: Vec<f32> = store
        .setting(PARAMS_KEY)?
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_else(|| fsrs::DEFAULT_PARAMETERS.to_vec());
    println!(
        "fitting FSRS-6 to {} reviews of {} cards...",
        items.len(),
        ids.len()
    );
    let before =
        evaluate(&current, &items).map_err(|e| UserError::env(format!("cannot evaluate: {e}")))?;
    let fitted =
        fit(items.clone(), card_ids).map_err(|e| UserError::env(format!("the fit failed: {e}")))?;
    let after =
        evaluate(&fitted, &items).map_err(|e| UserError::env(format!("cannot evaluate: {e}")))?;
    println!(
        "log loss {:.4} -> {:.4}, RMSE (bins) {:.4} -> {:.4}, on the same {} reviews",
        before.log_loss,
        after.log_loss,
        before.rmse,
        after.rmse,
        items.len()
    );
    if after.log_loss >= before.log_loss {
        println!("the fit predicts your log no better than the parameters in use; they stay");
        return Ok(ExitCode::SUCCESS);
    }
    store.set_setting(PARAMS_KEY, &serde_json::to_string(&fitted)?)?;
    let meta = json!({
        "fsrs_crate": FSRS_VERSION,
        "fitted_at": now.to_rfc3339(),
        "reviews": items.len(),
        "log_loss_before": before.log_loss,
        "log_loss_after": after.log_loss,
        "rmse_before": before.rmse,
        "rmse_after": after.rmse,
    });
    store.set_setting(META_KEY, &meta.to_string())?;
    println!(
        "saved: reviews are now scheduled with your parameters (`ecsdrill optimize --reset` undoes it)"
    );
    Ok(ExitCode::SUCCESS)
}
