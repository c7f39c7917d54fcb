//! The values a lab draws for one attempt. A question whose answer is fixed can be guessed
//! ("0", the exit code 1) or read off the lab text; drawing the names, counts and codes the
//! questions ask about, per start, makes the live state the only place to find them. The
//! draw is a pure function of the lab and a seed, and the seed is kept with the attempt, so
//! `lab check` sees the same values as the `lab start` that built the resources.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Lab;
use crate::rng::{SplitMix64, hash_str};

/// One value per `draw` entry. Each name has a generator of its own, so adding a draw to a
/// lab does not change the values the others get from the same seed.
pub fn draw(lab: &Lab, seed: u64) -> BTreeMap<String, Value> {
    lab.draw
        .iter()
        .filter(|(_, candidates)| !candidates.value.is_empty())
        .map(|(name, candidates)| {
            let c = &candidates.value;
            let mut rng = SplitMix64::new(seed ^ hash_str(name));
            (name.clone(), c[rng.below(c.len())].clone())
        })
        .collect()
}

/// `${draw.NAME}` in a text replaced by the drawn values (text as it is, numbers written out).
pub fn fill(text: &str, drawn: &BTreeMap<String, Value>) -> String {
    let mut text = text.to_string();
    for (name, v) in drawn {
        let value = match v {
            Value::String(t) => t.clone(),
            other => other.to_string(),
        };
        text = text.replace(&format!("${{draw.{name}}}"), &value);
    }
    text
}

/// A seed for a new attempt, different on every start (time and process), kept in the store.
pub fn fresh_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    // Kept small enough to be typed back (`lab start --seed`) and shown in a note.
    SplitMix64::new(nanos ^ (u64::from(std::process::id()) << 32)).next_u64() % 1_000_000_000
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab(draws: &str) -> Lab {
        let text = format!(
            "id: x\ntitle: t\ntopics: [task]\nminutes: 1\nintro: i\nsteps: []\ndraw:\n{draws}"
        );
        serde_saphyr::from_str(&text).expect("the test lab parses")
    }

    #[test]
    fn a_seed_gives_the_same_values_every_time() {
        let l = lab("  code: [3, 7, 42, 64]\n  role: [amber, teal, plum]\n");
        assert_eq!(draw(&l, 11), draw(&l, 11));
        let v = draw(&l, 11);
        assert!(v["code"].is_number() && v["role"].is_string(), "{v:?}");
    }

    #[test]
    fn seeds_spread_over_every_candidate() {
        let l = lab("  code: [3, 7, 42, 64]\n");
        let seen: std::collections::BTreeSet<String> =
            (0..200).map(|s| draw(&l, s)["code"].to_string()).collect();
        assert_eq!(seen.len(), 4, "{seen:?}");
    }

    #[test]
    fn a_new_draw_leaves_the_others_alone() {
        let one = lab("  code: [3, 7, 42, 64]\n");
        let two = lab("  code: [3, 7, 42, 64]\n  tasks: [3, 4, 5]\n");
        for seed in 0..50 {
            assert_eq!(draw(&one, seed)["code"], draw(&two, seed)["code"]);
        }
    }

    #[test]
    fn fresh_seeds_differ() {
        let seeds: std::collections::BTreeSet<u64> = (0..5).map(|_| fresh_seed()).collect();
        assert!(seeds.len() >= 4, "{seeds:?}");
    }
}
