//! Coverage rules for the shipped content, checked from the deck data itself: counts by
//! kind, cards per topic, every misconception taught twice, every card sourced. Also keeps
//! the README's topic table in step with the decks (`UPDATE_README=1 cargo test` rewrites it).

use std::collections::{HashMap, HashSet};

use super::cues::{LONGEST_KEY_BAR, LONGEST_KEY_MIN_CARDS, LongestKey, key_length_rank};
use super::{Catalog, Kind, LoadOptions, Stage, load_catalog};

fn shipped() -> Catalog {
    load_catalog(&LoadOptions::default()).expect("the shipped decks load")
}

fn share(catalog: &Catalog, kind: Kind) -> f64 {
    catalog.cards.iter().filter(|c| c.kind == kind).count() as f64 / catalog.cards.len() as f64
}

#[test]
fn card_counts_and_kind_mix() {
    let c = shipped();
    assert!(c.cards.len() >= 250, "{} cards", c.cards.len());
    assert!(
        share(&c, Kind::Choice) >= 0.40,
        "choice {:.2}",
        share(&c, Kind::Choice)
    );
    assert!(
        share(&c, Kind::Typed) >= 0.15,
        "typed {:.2}",
        share(&c, Kind::Typed)
    );
    assert!(
        share(&c, Kind::Order) >= 0.05,
        "order {:.2}",
        share(&c, Kind::Order)
    );
    assert!(share(&c, Kind::Recall) > 0.0);
}

#[test]
fn every_topic_has_enough_cards_and_the_required_order_cards() {
    let c = shipped();
    for t in &c.topics {
        let n = c.cards.iter().filter(|card| card.topic == t.id).count();
        assert!(n >= 8, "topic {} has {n} cards", t.id);
    }
    for topic in ["cicd", "deployments", "service"] {
        assert!(
            c.cards
                .iter()
                .any(|card| card.topic == topic && card.kind == Kind::Order),
            "no order card for {topic}"
        );
    }
}

#[test]
fn difficulty_spreads_from_definitions_to_scenarios() {
    let c = shipped();
    for stage in [Stage::Definition, Stage::Comparison, Stage::Scenario] {
        let n = c
            .cards
            .iter()
            .filter(|card| card.stage == Some(stage))
            .count();
        assert!(n as f64 >= 0.2 * c.cards.len() as f64, "{stage:?}: {n}");
    }
    assert!(
        c.cards.iter().all(|card| card.stage.is_some()),
        "every shipped card names its stage"
    );
}

#[test]
fn every_misconception_is_taught_twice_with_a_tempting_option() {
    let c = shipped();
    let required = [
        "ecs-stores-images",
        "crash-loop-auto-rollback",
        "alb-for-container-to-container",
        "serverless-means-no-servers",
        "secrets-in-environment",
        "one-role-for-both",
        "fargate-spot-launch-type",
        "new-image-redeploys",
        "min-healthy-100-no-extra-tasks",
        "instance-target-type-fargate",
        "pull-without-public-ip",
        "one-ecr-endpoint-enough",
        "deregister-stops-tasks",
        "ecs-exec-anytime-ssh",
        "service-connect-public-dns",
        "app-runner-default",
        "bluegreen-needs-codedeploy",
        "memory-reservation-prevents-oom",
        "awslogs-never-drops-logs",
        "github-oidc-trusts-only-my-org",
        "replication-copies-existing-images",
    ];
    for id in required {
        assert!(
            c.misconception(id).is_some(),
            "misconceptions.yaml lacks {id}"
        );
    }
    for m in &c.misconceptions {
        let teaching: Vec<_> = c
            .cards
            .iter()
            .filter(|card| card.misconceptions.contains(&m.id))
            .collect();
        let kinds: HashSet<Kind> = teaching.iter().map(|card| card.kind).collect();
        assert!(
            teaching.len() >= 2 && kinds.len() >= 2,
            "{} is taught by {} cards of {} kinds",
            m.id,
            teaching.len(),
            kinds.len()
        );
        let tempting = teaching.iter().any(|card| {
            card.kind == Kind::Choice
                && card
                    .options
                    .iter()
                    .any(|o| !o.correct && o.misconception.as_deref() == Some(&m.id))
        });
        assert!(
            tempting,
            "no choice card offers `{}` as a tempting option",
            m.id
        );
    }
}

#[test]
fn every_card_is_explained_and_sourced_from_aws() {
    let c = shipped();
    for card in &c.cards {
        assert!(
            card.explanation.len() >= 40,
            "{}: explanation too short",
            card.id
        );
        assert!(!card.sources.is_empty(), "{}: no source", card.id);
        assert!(
            card.sources
                .iter()
                .any(|s| s.starts_with("https://docs.aws.amazon.com/")
                    || s.starts_with("https://aws.amazon.com/")),
            "{}: no AWS documentation source",
            card.id
        );
    }
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

/// What ECS became in 2025-2026 is taught, area by area: each area names the cards that teach
/// it (at least four, with a scenario among them), every one sourced from AWS and dated with
/// `as_of` where the area is a recent feature.
#[test]
fn the_2025_2026_areas_are_covered() {
    let c = shipped();
    // (area, recent feature: cards must carry as_of, card ids)
    let areas: &[(&str, bool, &[&str])] = &[
        (
            "native blue/green, linear and canary deployments",
            true,
            &[
                "deploy-strategy-values",
                "deploy-bg-lifecycle-order",
                "deploy-bg-hookable-stages",
                "deploy-hook-in-progress",
                "deploy-hook-failed-scenario",
                "deploy-pause-hook-continue",
                "deploy-pause-timeout-action",
                "deploy-alternate-target-group-field",
                "deploy-advanced-config-location",
                "deploy-infrastructure-role",
                "deploy-bake-time-alarm-rollback",
                "deploy-linear-step-bake-total",
                "deploy-canary-defaults",
                "deploy-migrate-from-codedeploy",
                "deploy-bg-target-group-rule-error",
            ],
        ),
        (
            "the circuit breaker's threshold and rollback",
            false,
            &[
                "crash-threshold-count-type",
                "crash-threshold-unbounded-800",
                "crash-reset-on-healthy-false",
                "crash-rollback-in-describe-output",
                "crash-manual-rollback-stop",
                "crash-bluegreen-auto-rollback-triggers",
            ],
        ),
        (
            "ECS Express Mode",
            true,
            &[
                "ecs-vs-eks-express-infra-policy",
                "ecs-vs-eks-express-trust-policy",
                "ecs-vs-eks-express-poor-fit",
                "ecs-vs-eks-express-default-memory",
                "ecs-vs-eks-express-roles",
            ],
        ),
        (
            "ECS Managed Instances",
            true,
            &[
                "cost-managed-instances-billing",
                "launch-types-managed-instances-isolation",
                "launch-types-managed-instances-facts",
                "launch-types-managed-instances-compat",
                "launch-types-managed-instances-compare",
            ],
        ),
        (
            "capacity providers on EC2",
            false,
            &[
                "launch-types-cp-target-capacity",
                "launch-types-cp-reservation-math",
                "launch-types-cp-termination-protection",
                "launch-types-cp-provisioning-json",
                "launch-types-cp-scale-out-order",
            ],
        ),
        (
            "container-level and task-level limits",
            false,
            &[
                "ts-mem-hard-vs-soft",
                "ts-mem-task-limit-json",
                "ts-mem-reservation-field",
                "ts-cpu-not-a-kill",
                "ts-mem-cpu-levels",
            ],
        ),
        (
            "ECS Exec",
            false,
            &[
                "ts-exec-target-not-connected",
                "ts-exec-old-task-json",
                "ts-exec-managed-agent",
                "ts-exec-command-syntax",
                "ts-exec-prerequisites",
                "ts-exec-session-logging",
            ],
        ),
        (
            "log delivery modes and FireLens",
            false,
            &[
                "log-default-mode-nonblocking",
                "log-default-mode-account-setting",
                "log-blocking-tradeoff-recall",
                "log-max-buffer-size-default",
                "log-firelens-two-destinations",
                "log-firelens-config-file-type-fargate",
            ],
        ),
        (
            "ECR repositories",
            false,
            &[
                "ecr-mutability-with-exclusion",
                "ecr-mutable-with-exclusion-typed",
                "ecr-lifecycle-count-vs-age",
                "ecr-lifecycle-any-rule-last",
                "ecr-archived-image-restore-order",
                "ecr-archived-image-pull-fails",
                "ecr-pull-through-secret-prefix",
                "ecr-pull-through-library-path",
                "ecr-replication-only-new-pushes",
                "ecr-replication-what-to-set-up",
                "ecr-task-digest-vs-moved-tag",
            ],
        ),
        (
            "CI/CD with GitHub Actions and OIDC",
            false,
            &[
                "cicd-oidc-aud-value",
                "cicd-oidc-missing-sub-risk",
                "cicd-oidc-sub-formats",
                "cicd-oidc-environment-breaks-sub",
                "cicd-id-token-permission",
                "cicd-oidc-exchange-order",
                "cicd-render-task-definition-inputs",
                "cicd-deploy-action-wait-input",
            ],
        ),
    ];
    for (area, recent, ids) in areas {
        assert!(ids.len() >= 4, "{area}: {} cards", ids.len());
        let cards: Vec<_> = ids
            .iter()
            .map(|id| {
                c.cards
                    .iter()
                    .find(|card| card.id == *id)
                    .unwrap_or_else(|| panic!("{area}: no card `{id}`"))
            })
            .collect();
        assert!(
            cards.iter().any(|card| card.stage == Some(Stage::Scenario)),
            "{area}: no scenario card"
        );
        for card in &cards {
            assert!(!card.sources.is_empty(), "{}: no source", card.id);
            assert!(
                !recent || card.as_of.is_some(),
                "{}: a recent feature needs `as_of`",
                card.id
            );
        }
    }
    assert!(
        c.cards.iter().filter(|card| card.topic == "ecr").count() >= 9,
        "the ecr topic is thin"
    );
}

/// Length must not give the answer away: in at most 35 % of the single-answer choice cards
/// is the key the longest option, overall and in each deck (a deck with fewer than
/// `LONGEST_KEY_MIN_CARDS` such cards is judged only in the overall share). Nor may the cue
/// just move to another place: no length rank (longest, second-longest, ...) holds more
/// than 45 % of the keys, where four options give 25 % each by chance.
#[test]
fn the_key_is_not_given_away_by_its_length() {
    let c = shipped();
    let all = LongestKey::of(&c.cards);
    assert!(
        all.share() <= LONGEST_KEY_BAR,
        "the key is the longest option in {}: {}",
        all.describe(),
        all.longest.join(", ")
    );
    for d in &c.decks {
        let m = LongestKey::of(c.cards.iter().filter(|card| card.deck == d.id));
        assert!(
            m.cards < LONGEST_KEY_MIN_CARDS || m.share() <= LONGEST_KEY_BAR,
            "deck {}: the key is the longest option in {}: {}",
            d.id,
            m.describe(),
            m.longest.join(", ")
        );
    }
    let mut ranks = [0usize; 9];
    for r in c.cards.iter().filter_map(key_length_rank) {
        ranks[r] += 1;
    }
    for (rank, &n) in ranks.iter().enumerate().skip(1) {
        assert!(
            n as f64 <= 0.45 * all.cards as f64,
            "the key is option number {rank} by length in {n} of {} single-answer cards",
            all.cards
        );
    }
}

/// The README table: one row per topic with card counts by kind.
fn topics_table(c: &Catalog) -> String {
    let mut out = String::from(
        "| topic | cards | choice | typed | order | recall |\n|---|---:|---:|---:|---:|---:|\n",
    );
    let mut by: HashMap<(&str, Kind), usize> = HashMap::new();
    for card in &c.cards {
        *by.entry((card.topic.as_str(), card.kind)).or_default() += 1;
    }
    let get = |t: &str, k: Kind| by.get(&(t, k)).copied().unwrap_or(0);
    for t in &c.topics {
        let total: usize = [Kind::Choice, Kind::Typed, Kind::Order, Kind::Recall]
            .iter()
            .map(|&k| get(&t.id, k))
            .sum();
        out.push_str(&format!(
            "| {} (`{}`) | {total} | {} | {} | {} | {} |\n",
            t.title,
            t.id,
            get(&t.id, Kind::Choice),
            get(&t.id, Kind::Typed),
            get(&t.id, Kind::Order),
            get(&t.id, Kind::Recall)
        ));
    }
    let count = |k: Kind| c.cards.iter().filter(|card| card.kind == k).count();
    out.push_str(&format!(
        "| **all** | **{}** | **{}** | **{}** | **{}** | **{}** |\n",
        c.cards.len(),
        count(Kind::Choice),
        count(Kind::Typed),
        count(Kind::Order),
        count(Kind::Recall)
    ));
    out
}

#[test]
fn readme_topic_table_matches_the_decks() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).expect("README.md");
    let (start, end) = ("<!-- topics:start -->\n", "<!-- topics:end -->");
    let a = readme.find(start).expect("topics:start marker") + start.len();
    let b = readme.find(end).expect("topics:end marker");
    let table = topics_table(&shipped());
    if readme[a..b] != table {
        if std::env::var_os("UPDATE_README").is_some() {
            std::fs::write(path, format!("{}{table}{}", &readme[..a], &readme[b..])).unwrap();
        } else {
            panic!(
                "README topic table is out of date: run `UPDATE_README=1 cargo test readme_topic_table`"
            );
        }
    }
}

/// Random damage to real deck text (deleted, duplicated, swapped and odd characters) must
/// give errors or a catalog, never a panic; the answer parsers must take any text.
#[test]
fn mangled_decks_and_answers_never_panic() {
    use crate::rng::SplitMix64;
    let text = super::load::embedded_sources()
        .into_iter()
        .find(|s| s.path.ends_with("foundations.yaml"))
        .unwrap()
        .text;
    let bytes: Vec<char> = text.chars().take(6000).collect();
    let noise = [
        '\t', ':', '-', '[', '{', '"', '\'', '\n', ' ', '#', '&', '*', '!', '|', '>', 'é', '\u{0}',
    ];
    let mut rng = SplitMix64::new(7);
    for _ in 0..300 {
        let mut t = bytes.clone();
        for _ in 0..1 + rng.below(6) {
            if t.is_empty() {
                break;
            }
            let at = rng.below(t.len());
            match rng.below(4) {
                0 => {
                    t.remove(at);
                }
                1 => t.insert(at, noise[rng.below(noise.len())]),
                2 => {
                    let other = rng.below(t.len());
                    t.swap(at, other);
                }
                _ => t.truncate(at),
            }
        }
        let mangled: String = t.into_iter().collect();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("d.yaml"), &mangled).unwrap();
        let _ = super::check_paths(&[dir.path().to_path_buf()]);
        let head: String = mangled.chars().take(40).collect();
        for n in [0, 1, 4, 10] {
            let _ = crate::grade::parse_choice(&head, n);
            let _ = crate::grade::parse_order(&head, n);
        }
        let _ = crate::grade::parse_number(&head);
        let _ = crate::grade::normalize(&mangled);
    }
}
