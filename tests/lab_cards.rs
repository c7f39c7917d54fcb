//! A lab check names the cards that teach what failed and can schedule them: a studied card
//! becomes due now, an unseen card is the first new card of the next review. The review runs
//! in plain mode in a temporary home; `lab check` runs against a sandbox of its own
//! (tests/labenv).

mod labenv;

mod home;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use ecsdrill::store::{Scheduled, Store};

const DAY0: &str = "2026-11-22T09:00:00+01:00";
const DAY0_MS: i64 = 1795334400000;

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn db(&self) -> PathBuf {
        self.dir.path().join("data/ecsdrill/ecsdrill.db")
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = home::hermetic(self.dir.path(), DAY0, args);
        c.env("NO_COLOR", "1");
        c
    }

    /// A plain-mode review that answers `n` cards (any answer, rated Good), then quits.
    fn review(&self, n: usize) {
        let mut child = self
            .cmd(&["--plain", "review"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut answered = 0;
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap() == 0 {
                break;
            }
            if !line.starts_with("> ") {
                continue;
            }
            let reply = if line.contains("rate") {
                answered += 1;
                "3"
            } else if answered >= n {
                "q"
            } else if line.contains("press Enter") {
                ""
            } else {
                "1"
            };
            if writeln!(stdin, "{reply}").is_err() {
                break;
            }
        }
        drop(stdin);
        child.wait().unwrap();
    }

    /// Card ids in the order they were first answered.
    fn answered(&self) -> Vec<String> {
        let conn = rusqlite::Connection::open(self.db()).unwrap();
        let mut stmt = conn
            .prepare("SELECT card_id FROM review_log ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }
}

#[test]
fn scheduling_makes_a_studied_card_due_now_and_an_unseen_card_the_first_new_one() {
    let home = Home {
        dir: tempfile::tempdir().unwrap(),
    };
    // An empty review creates the database and its catalog.
    let out = home.cmd(&["--plain", "review"]).output().unwrap();
    assert!(out.status.success());
    // A studied card due in 30 days, and an unseen card at the end of its deck.
    let studied = "iam-trust-principal";
    let unseen = "scaling-ec2-capacity-gap";
    {
        let conn = rusqlite::Connection::open(home.db()).unwrap();
        conn.execute(
            "INSERT INTO card_state (card_id, phase, step, stability, difficulty, due_ms,
                last_review_ms, reps, lapses, scheduled_days, leech)
             VALUES (?1, 'review', 0, 30.0, 5.0, ?2, ?3, 3, 0, 30, 0)",
            rusqlite::params![studied, DAY0_MS + 30 * 86_400_000, DAY0_MS - 86_400_000],
        )
        .unwrap();
        conn.execute(
            "UPDATE catalog_card SET seen = 1 WHERE id = ?1",
            rusqlite::params![studied],
        )
        .unwrap();
    }
    let mut store = Store::open(&home.db()).unwrap();
    let done = store
        .schedule_cards_now(&[studied.to_string(), unseen.to_string()], DAY0_MS)
        .unwrap();
    assert_eq!(
        done,
        Scheduled {
            due_now: vec![studied.into()],
            new_first: vec![unseen.into()],
        }
    );
    assert_eq!(
        store.card_state(studied).unwrap().unwrap().due_ms,
        DAY0_MS,
        "the studied card is due now"
    );
    let fresh = store.new_cards(5, &[], &[]).unwrap();
    assert_eq!(fresh[0].0, unseen, "{fresh:?}");
    drop(store);

    home.review(2);
    let answered = home.answered();
    assert_eq!(
        answered.get(..2),
        Some(&[studied.to_string(), unseen.to_string()][..]),
        "the due card, then the scheduled new card: {answered:?}"
    );
}

#[test]
fn a_failed_lab_check_names_its_cards_and_schedules_them_on_request() {
    let env = labenv::Env::new("lab-cards");
    env.start("ecr-push");
    let want = [
        "ecr-vs-ecs-repository-in-uri",
        "ecr-vs-ecs-push-same-tag",
        "ecr-vs-ecs-auth-token-hours",
        "ecr-vs-ecs-digest-pins-image",
        "ecr-vs-ecs-image-journey-order",
        "ecr-vs-ecs-tag-already-exists",
    ];

    let (out, v) = env.check("ecr-push", &Default::default());
    assert_eq!(out.status.code(), Some(1), "{}", labenv::text(&out.stderr));
    let checks = v["checks"].as_array().unwrap();
    let failed: Vec<_> = checks.iter().filter(|c| c["passed"] == false).collect();
    assert!(!failed.is_empty());
    for c in &failed {
        assert_eq!(c["cards"], serde_json::json!(want), "{c:#}");
        assert!(c["id"].is_string() && c["message"].is_string(), "{c:#}");
    }
    assert!(v.get("scheduled").is_none(), "nothing scheduled unasked");

    // Plain mode never asks; it says how.
    let out = env.ecsdrill(&["lab", "check", "ecr-push"]);
    let o = labenv::text(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        o.contains(&format!("    cards that teach it: {}", want.join(", "))),
        "{o}"
    );
    assert!(o.contains("--schedule-cards"), "{o}");
    assert!(!o.contains("[y/N]"), "{o}");

    let out = env.ecsdrill(&["lab", "check", "ecr-push", "--schedule-cards"]);
    let o = labenv::text(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        o.contains(&format!("new, introduced first: {}", want.join(", "))),
        "{o}"
    );
    assert!(o.contains("scheduled 6 cards for today"), "{o}");

    let out = env.ecsdrill(&["lab", "check", "ecr-push", "--json", "--schedule-cards"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["scheduled"]["new_first"], serde_json::json!(want));
}
