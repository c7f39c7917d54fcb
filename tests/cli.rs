//! End-to-end tests of the `ecsdrill` binary: plain line mode with a temporary data
//! directory and a fixed clock (`ECSDRILL_NOW`), plus two real-terminal (PTY) smoke tests
//! of the interactive mode.

mod home;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use rusqlite::Connection;

use ecsdrill::store::SCHEMA_VERSION;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
const DAY0: &str = "2026-11-22T09:00:00+01:00";

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn db(&self) -> PathBuf {
        self.path().join("data/ecsdrill/ecsdrill.db")
    }

    fn cmd(&self, now: &str, args: &[&str]) -> Command {
        let mut c = home::hermetic(self.path(), now, args);
        c.env("NO_COLOR", "1");
        c
    }

    fn run(&self, now: &str, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .cmd(now, args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    fn conn(&self) -> Connection {
        Connection::open(self.db()).unwrap()
    }

    fn count(&self, sql: &str) -> i64 {
        self.conn().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// Card states as comparable text rows.
    fn states(&self) -> Vec<String> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT card_id, phase, step, stability, difficulty, due_ms, reps, lapses FROM card_state ORDER BY card_id")
            .unwrap();
        stmt.query_map([], |r| {
            Ok(format!(
                "{} {} {} {:?} {:?} {} {} {}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Option<f64>>(3)?,
                r.get::<_, Option<f64>>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, i64>(7)?
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// What to answer, given the lines of the current card and the prompt line.
type Policy<'a> = dyn FnMut(&[String], &str) -> String + 'a;

/// Runs a session line by line, answering each `> ` prompt with `policy`.
fn drive(env: &Env, now: &str, args: &[&str], policy: &mut Policy) -> (String, i32) {
    let mut child = env
        .cmd(now, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut transcript = String::new();
    let mut card: Vec<String> = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        transcript.push_str(&line);
        let l = line.trim_end().to_string();
        if l.starts_with('[') && l.contains('/') && l.contains(" · ") {
            card.clear();
        }
        if l.starts_with("> ") {
            let answer = policy(&card, &l);
            transcript.push_str(&format!("<< {answer}\n"));
            if writeln!(stdin, "{answer}").is_err() {
                break;
            }
        } else {
            card.push(l);
        }
    }
    drop(stdin);
    let status = child.wait().unwrap();
    (transcript, status.code().unwrap_or(-1))
}

/// The right answer for the fixture deck, read off the screen.
fn right_answer(card: &[String], prompt: &str) -> String {
    if prompt.contains("press Enter") {
        return String::new();
    }
    if prompt.contains("rate your recall") {
        return "3".into();
    }
    if prompt.contains("choose") {
        let line = card
            .iter()
            .find(|l| l.starts_with("  ") && l.contains(") RIGHT"))
            .expect("a RIGHT option");
        return line.trim().chars().next().unwrap().to_string();
    }
    if prompt.contains("item numbers") {
        let mut shown: Vec<(u32, String)> = card
            .iter()
            .filter_map(|l| {
                let l = l.trim();
                let (num, rest) = l.split_once(". step ")?;
                Some((rest.parse().ok()?, num.to_string()))
            })
            .collect();
        shown.sort();
        return shown
            .into_iter()
            .map(|(_, n)| n)
            .collect::<Vec<_>>()
            .join(" ");
    }
    if prompt.contains("type the answer") {
        return "awsvpc".into();
    }
    panic!("unexpected prompt {prompt:?}");
}

fn fixture_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "--plain",
        "--decks",
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/decks"),
        "review",
        "--deck",
        "fixture",
    ];
    v.extend_from_slice(extra);
    v
}

#[test]
fn a_full_session_over_several_days_follows_fsrs() {
    let env = Env::new();
    // Day 0: four new cards; each needs two right answers (the 10-minute step, shown early).
    let (out, code) = drive(&env, DAY0, &fixture_args(&[]), &mut right_answer);
    assert_eq!(code, 0, "{out}");
    assert_eq!(env.count("SELECT COUNT(*) FROM review_log"), 8, "{out}");
    assert!(
        out.contains("Session done: 8 answers on 4 cards, 100% right"),
        "{out}"
    );
    assert!(
        out.contains("Due by tomorrow: 0 · within 7 days: 4"),
        "{out}"
    );
    // Graduated with S = 2.3065 days -> a 2-day interval, due at 4 a.m. local time.
    let due_day2 = chrono::DateTime::parse_from_rfc3339("2026-11-24T04:00:00+01:00")
        .unwrap()
        .timestamp_millis();
    assert_eq!(
        env.count(&format!(
            "SELECT COUNT(*) FROM card_state WHERE phase = 'review' AND due_ms = {due_day2}"
        )),
        4
    );

    // Day 1: nothing due.
    let (out, code) = drive(
        &env,
        "2026-11-23T09:00:00+01:00",
        &fixture_args(&[]),
        &mut right_answer,
    );
    assert_eq!(code, 0);
    assert!(out.contains("Nothing is due right now"), "{out}");

    // Day 2: all four due. Get the choice card wrong once: it lapses into relearning,
    // names the misconception the wrong option reveals, and comes back in the session.
    let mut wrong_once = true;
    let mut policy = |card: &[String], prompt: &str| -> String {
        if prompt.contains("choose") && wrong_once {
            wrong_once = false;
            let line = card
                .iter()
                .find(|l| l.contains("wrong answer one"))
                .unwrap();
            return line.trim().chars().next().unwrap().to_string();
        }
        right_answer(card, prompt)
    };
    let (out, code) = drive(
        &env,
        "2026-11-24T09:00:00+01:00",
        &fixture_args(&[]),
        &mut policy,
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("misconception: \""), "{out}");
    assert!(
        out.contains("saved: again · next review in 10 min"),
        "{out}"
    );
    let conn = env.conn();
    let (lapses, phase): (i64, String) = conn
        .query_row(
            "SELECT lapses, phase FROM card_state WHERE card_id = 'fx-choice'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((lapses, phase.as_str()), (1, "review"));
    // The three cards answered right: S ≈ 10.97 (FSRS-6 defaults, see srs.md §3.2), interval fuzzed around 11 days.
    let mut stmt = conn
        .prepare(
            "SELECT stability, scheduled_days, due_ms FROM card_state WHERE card_id != 'fx-choice'",
        )
        .unwrap();
    let rows: Vec<(f64, i64, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 3);
    for (s, days, due) in rows {
        assert!((s - 10.971).abs() < 0.01, "stability {s}");
        assert!((9..=13).contains(&days), "interval {days}");
        let expected = chrono::DateTime::parse_from_rfc3339("2026-11-24T04:00:00+01:00").unwrap()
            + chrono::Duration::days(days);
        assert_eq!(due, expected.timestamp_millis());
    }
    assert!(
        env.count("SELECT COUNT(*) FROM review_log WHERE misconceptions = 'ecs-stores-images'")
            == 1
    );
}

#[test]
fn cram_leaves_the_schedule_untouched() {
    let env = Env::new();
    drive(&env, DAY0, &fixture_args(&[]), &mut right_answer);
    let before = env.states();
    let logged = env.count("SELECT COUNT(*) FROM review_log");
    let (out, code) = drive(
        &env,
        "2026-11-22T10:00:00+01:00",
        &fixture_args(&["--cram"]),
        &mut right_answer,
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("cram: schedule unchanged"), "{out}");
    assert!(
        out.contains("Cram session: the schedule was not changed."),
        "{out}"
    );
    assert_eq!(env.states(), before);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM review_log WHERE kind = 'cram'"),
        4
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM review_log"), logged + 4);
}

#[test]
fn quitting_mid_session_keeps_every_answer() {
    let env = Env::new();
    let mut answered = 0;
    let mut policy = |card: &[String], prompt: &str| -> String {
        if prompt.contains("press Enter")
            || prompt.contains("choose")
            || prompt.contains("type")
            || prompt.contains("item numbers")
        {
            if answered == 2 {
                return "q".into();
            }
            answered += 1;
        }
        right_answer(card, prompt)
    };
    let (out, code) = drive(&env, DAY0, &fixture_args(&[]), &mut policy);
    assert_eq!(code, 0, "{out}");
    assert_eq!(env.count("SELECT COUNT(*) FROM review_log"), 2);
    assert_eq!(
        env.count(
            "SELECT COUNT(*) FROM session WHERE end_reason = 'quit' AND ended_ms IS NOT NULL"
        ),
        1
    );
    assert!(out.contains("Session done: 2 answers"), "{out}");
}

#[test]
fn end_of_input_ends_cleanly_and_keeps_answers() {
    let env = Env::new();
    // The first fixture card is the recall card: reveal, rate, then input ends.
    let out = env.run(DAY0, &fixture_args(&[]), "\n3\n");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(env.count("SELECT COUNT(*) FROM review_log"), 1);
    assert!(text(&out.stdout).contains("Session done: 1 answers"));
}

#[test]
fn unreadable_answers_reprompt_once_then_count_as_dont_know() {
    let env = Env::new();
    // recall: reveal, "9" (unreadable), "x" (again unreadable) -> don't know -> Again.
    let out = env.run(DAY0, &fixture_args(&["--limit", "1"]), "\n9\nx\n");
    let o = text(&out.stdout);
    assert!(o.contains("could not read \"9\": type 1, 2, 3 or 4"), "{o}");
    assert!(o.contains("counted as don't know"), "{o}");
    assert_eq!(env.count("SELECT rating FROM review_log"), 1);
}

#[test]
fn hints_make_a_right_answer_hard() {
    let env = Env::new();
    let mut asked = false;
    let mut policy = |card: &[String], prompt: &str| -> String {
        if prompt.contains("choose") && !asked {
            asked = true;
            return "?".into();
        }
        right_answer(card, prompt)
    };
    let (out, _) = drive(&env, DAY0, &fixture_args(&[]), &mut policy);
    assert!(out.contains("hint: It says RIGHT."), "{out}");
    assert_eq!(
        env.count("SELECT rating FROM review_log WHERE card_id = 'fx-choice' ORDER BY id LIMIT 1"),
        2
    );
}

#[test]
fn easy_suffix_upgrades_a_right_answer() {
    let env = Env::new();
    let mut policy = |card: &[String], prompt: &str| -> String {
        let a = right_answer(card, prompt);
        if prompt.contains("type the answer") {
            format!("{a} +")
        } else {
            a
        }
    };
    drive(&env, DAY0, &fixture_args(&[]), &mut policy);
    assert_eq!(
        env.count("SELECT rating FROM review_log WHERE card_id = 'fx-typed' ORDER BY id LIMIT 1"),
        4
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM review_log WHERE card_id = 'fx-typed'"),
        1
    );
}

#[test]
fn embedded_decks_start_a_review_on_an_empty_database() {
    let env = Env::new();
    let out = env.run(DAY0, &["review"], "");
    let o = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(o.starts_with("\n[1/20] "), "{o}");
    assert!(o.lines().any(|l| l.starts_with("> ")), "{o}");
    assert!(env.db().exists());
}

#[test]
fn daily_new_card_limit_is_counted_across_sessions() {
    let env = Env::new();
    let mut n = 0;
    let mut policy = |_: &[String], prompt: &str| -> String {
        if prompt.contains("rate") {
            return "4".into();
        }
        n += 1;
        if n > 5 {
            "q".into()
        } else if prompt.contains("press Enter") {
            String::new()
        } else {
            "1".into()
        }
    };
    drive(&env, DAY0, &["--plain", "review"], &mut policy);
    let out = env.run("2026-11-22T11:00:00+01:00", &["--plain", "review"], "");
    let first = text(&out.stdout);
    let new_seen =
        env.count("SELECT COUNT(DISTINCT card_id) FROM review_log WHERE phase_before = 'new'");
    assert!(
        first.contains(&format!(
            "[1/{}]",
            20 - new_seen
                + env.count(
                    "SELECT COUNT(*) FROM card_state WHERE phase IN ('learning','relearning')"
                )
        )),
        "{first}"
    );
    let stats = env.run("2026-11-22T11:00:00+01:00", &["stats", "--json"], "");
    let v: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
    assert_eq!(v["new_available_today"].as_i64().unwrap(), 20 - new_seen);
}

/// Every file of a fixture directory starts with `# expect: LINE:COL message`; the checker
/// command must exit 1 and report exactly that location and message.
fn each_fixture_reports_its_location(dir: &str, at_least: usize, command: &[&str]) {
    let dir = Path::new(FIXTURES).join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= at_least);
    let env = Env::new();
    for f in files {
        let body = std::fs::read_to_string(&f).unwrap();
        let expect = body
            .lines()
            .next()
            .unwrap()
            .strip_prefix("# expect: ")
            .expect("an # expect: header");
        let (loc, fragment) = expect.split_once(' ').unwrap();
        let args = [command, &[f.to_str().unwrap()]].concat();
        let out = env.run(DAY0, &args, "");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{}: {err}", f.display());
        let want = format!("{}:{loc}: error: {}", f.display(), fragment.trim());
        assert!(
            err.contains(&want),
            "{}\nwanted: {want}\ngot: {err}",
            f.display()
        );
    }
}

#[test]
fn every_bad_deck_gives_its_own_located_error() {
    each_fixture_reports_its_location("bad-decks", 15, &["decks", "check"]);
}

#[test]
fn a_bad_user_deck_is_skipped_with_its_location_and_the_builtin_decks_still_load() {
    let env = Env::new();
    let decks = env.path().join("mydecks");
    std::fs::create_dir_all(&decks).unwrap();
    std::fs::copy(
        Path::new(FIXTURES).join("bad-decks/unknown-topic.yaml"),
        decks.join("mine.yaml"),
    )
    .unwrap();
    let out = env.run(
        DAY0,
        &["--plain", "--decks", decks.to_str().unwrap(), "review"],
        "q\n",
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("mine.yaml:7:12"), "{err}");
    assert!(err.contains("ecsdrill decks check"), "{err}");
    assert!(
        text(&out.stdout).contains("[1/20]"),
        "the built-in cards are there"
    );
    // `decks check` still reports it as an error.
    let out = env.run(
        DAY0,
        &["--decks", decks.to_str().unwrap(), "decks", "check"],
        "",
    );
    assert_ne!(out.status.code(), Some(0));
}

fn assess_args() -> Vec<&'static str> {
    vec![
        "--plain",
        "--decks",
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/decks"),
        "assess",
        "--topic",
        "cluster",
        "--deck",
        "fixture",
    ]
}

#[test]
fn an_assessment_in_plain_mode_scores_calibrates_and_keeps_history() {
    let env = Env::new();
    // Over-confident and wrong on the choice card (an answer that reveals a misconception).
    let mut wrong_choice = |card: &[String], prompt: &str| -> String {
        if prompt.contains("confidence") {
            return "5".into();
        }
        if prompt.contains("choose") {
            let line = card
                .iter()
                .find(|l| l.contains(") wrong answer one"))
                .unwrap();
            return line.trim().chars().next().unwrap().to_string();
        }
        right_answer(card, prompt)
    };
    let (out, code) = drive(&env, DAY0, &assess_args(), &mut wrong_choice);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("[1/3] Clusters"), "{out}");
    assert!(
        out.contains("Self-Assessment: 3.3/5 · level: exposure"),
        "{out}"
    );
    assert!(out.contains("(you said 5: over-confident)"), "{out}");
    assert!(out.contains("not so: ECS stores"), "{out}");
    assert!(out.contains("You start at exposure."), "{out}");
    assert!(out.contains("Assess again on 2026-12-06."), "{out}");
    // Every answer is a review too.
    assert_eq!(env.count("SELECT COUNT(*) FROM review_log"), 3);
    assert_eq!(env.count("SELECT COUNT(*) FROM assessment"), 1);
    let held = |now: &str| {
        let out = env.run(
            now,
            &["--decks", &format!("{FIXTURES}/decks"), "stats", "--json"],
            "",
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["misconceptions_held"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        held(DAY0),
        ["ecs-stores-images"],
        "the wrong answer's belief is held"
    );

    // A week later, all right, confidence skipped: solid, and the trend goes up.
    let later = "2026-11-29T09:00:00+01:00";
    let mut skip = |card: &[String], prompt: &str| -> String {
        if prompt.contains("confidence") {
            return String::new();
        }
        right_answer(card, prompt)
    };
    let (out, code) = drive(&env, later, &assess_args(), &mut skip);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Self-Assessment: 5.0/5"), "{out}");
    assert!(out.contains("Solid on: Clusters"), "{out}");
    assert!(out.contains("Staying at exposure."), "{out}");
    assert!(
        held(later).is_empty(),
        "a right answer on that card since clears it"
    );
    let hist = env.run(later, &["assess", "--history"], "");
    let h = text(&hist.stdout);
    assert!(h.contains("cluster") && h.contains("3.3 → 5.0 up"), "{h}");
    let hist = env.run(later, &["assess", "--history", "--json"], "");
    let v: serde_json::Value = serde_json::from_slice(&hist.stdout).unwrap();
    assert_eq!(v["assessments"].as_array().unwrap().len(), 2);

    // --json: the result alone on stdout; the assessment also feeds `stats`.
    let json_args = [&assess_args()[..], &["--json"]].concat();
    let out = env.run(later, &json_args, "\na\nawsvpc\n1 2 3 4\n");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert!(
        v["overall"].is_number() && v["next_step"].is_string(),
        "{}",
        text(&out.stdout)
    );
    let stats = env.run(later, &["stats", "--json"], "");
    let s: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
    let cluster = s["topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "cluster")
        .unwrap();
    assert!(
        cluster["explanation"]
            .as_str()
            .unwrap()
            .contains("last assessment"),
        "{cluster}"
    );
}

#[test]
fn optimize_says_how_many_reviews_are_missing_and_reset_restores_defaults() {
    let env = Env::new();
    // A few days of reviews: far from enough to fit.
    let mut day = DAY0.to_string();
    for _ in 0..3 {
        let out = env.run(&day, &["review", "--limit", "5"], &"3\n".repeat(60));
        assert!(out.status.success(), "{}", text(&out.stderr));
        day = day.replacen("-22T", "-23T", 1);
    }
    let out = env.run(DAY0, &["optimize"], "");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("optimize needs 400"), "{err}");
    assert!(err.contains("more)"), "{err}");
    let out = env.run(DAY0, &["optimize", "--reset"], "");
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("default parameters"));
}

#[test]
fn the_builtin_labs_pass_the_linter() {
    let env = Env::new();
    let out = env.run(DAY0, &["lab", "check-files"], "");
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("15 labs"),
        "{}",
        text(&out.stdout)
    );
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sandbox/labs");
    let out = env.run(DAY0, &["lab", "check-files", dir.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn every_bad_lab_fixture_reports_its_location() {
    each_fixture_reports_its_location("bad-labs", 12, &["lab", "check-files"]);
}

#[test]
fn every_bad_drill_fixture_reports_its_location() {
    each_fixture_reports_its_location("bad-drills", 9, &["drill", "check-files"]);
}

#[test]
fn a_user_deck_overrides_a_builtin_card_by_id() {
    let env = Env::new();
    let decks = env.path().join("mydecks");
    std::fs::create_dir_all(&decks).unwrap();
    std::fs::write(
        decks.join("override.yaml"),
        "format_version: 1\nid: mine\ntitle: Mine\ncards:\n  - id: fx-recall-override\n    topic: cluster\n    kind: recall\n    prompt: New prompt\n    answer: a\n    explanation: e\n    sources: [https://docs.aws.amazon.com/x]\n",
    )
    .unwrap();
    let export = env.run(
        DAY0,
        &[
            "--decks",
            decks.to_str().unwrap(),
            "decks",
            "export",
            "--format",
            "json",
        ],
        "",
    );
    let cards: Vec<serde_json::Value> = serde_json::from_slice(&export.stdout).unwrap();
    let builtin_id = cards.iter().find(|c| c["deck"] == "foundations").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let total = cards.len();
    std::fs::write(
        decks.join("override.yaml"),
        format!("format_version: 1\nid: mine\ntitle: Mine\ncards:\n  - id: {builtin_id}\n    topic: cluster\n    kind: recall\n    prompt: My own wording\n    answer: a\n    explanation: e\n    sources: [https://docs.aws.amazon.com/x]\n"),
    )
    .unwrap();
    let export = env.run(
        DAY0,
        &[
            "--decks",
            decks.to_str().unwrap(),
            "decks",
            "export",
            "--format",
            "json",
        ],
        "",
    );
    let cards: Vec<serde_json::Value> = serde_json::from_slice(&export.stdout).unwrap();
    assert_eq!(cards.len(), total - 1);
    let card = cards
        .iter()
        .find(|c| c["id"] == builtin_id.as_str())
        .unwrap();
    assert_eq!(card["prompt"], "My own wording");
}

#[test]
fn a_newer_schema_is_refused_naming_both_versions() {
    let env = Env::new();
    let db = env.path().join("future.db");
    let conn = Connection::open(&db).unwrap();
    conn.execute_batch("CREATE TABLE x (y); PRAGMA user_version = 99;")
        .unwrap();
    drop(conn);
    let before = std::fs::read(&db).unwrap();
    let out = env.run(DAY0, &["--db", db.to_str().unwrap(), "stats"], "");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("schema version 99") && err.contains(&format!("up to {SCHEMA_VERSION}")),
        "{err}"
    );
    assert!(
        std::fs::read(&db).unwrap() == before,
        "the newer database was modified"
    );
}

#[test]
fn a_version_1_database_migrates_keeping_its_history_and_a_backup() {
    let env = Env::new();
    let db = env.path().join("old.db");
    std::fs::copy(Path::new(FIXTURES).join("db/schema-v1.db"), &db).unwrap();
    let out = env.run(
        "2026-11-24T09:00:00+01:00",
        &[
            "--db",
            db.to_str().unwrap(),
            "--decks",
            &format!("{FIXTURES}/decks"),
            "--plain",
            "review",
            "--deck",
            "fixture",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let conn = Connection::open(&db).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let logged: i64 = conn
        .query_row("SELECT COUNT(*) FROM review_log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(logged, 2);
    // The two cards studied under version 1 are due on day 2 and come first; the other two are new.
    let o = text(&out.stdout);
    assert!(o.contains("[1/4]"), "{o}");
    let backups: Vec<_> = std::fs::read_dir(env.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".bak"))
        .collect();
    assert_eq!(backups.len(), 1, "one backup before the migration");
    let b = Connection::open(backups[0].path()).unwrap();
    let v: i64 = b
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, 1);
}

#[test]
fn a_file_that_is_not_sqlite_is_named_and_never_overwritten() {
    let env = Env::new();
    let db = env.path().join("notes.db");
    std::fs::write(&db, "this is my shopping list, not a database\n").unwrap();
    let out = env.run(DAY0, &["--db", db.to_str().unwrap(), "review"], "");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains(&db.display().to_string()) && err.contains("not an SQLite file"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&db).unwrap(),
        "this is my shopping list, not a database\n"
    );

    // A damaged SQLite file (valid header, garbage after it).
    let damaged = env.path().join("damaged.db");
    let mut bytes = b"SQLite format 3\0".to_vec();
    bytes.extend(std::iter::repeat_n(0xA5u8, 8192));
    std::fs::write(&damaged, &bytes).unwrap();
    let out = env.run(DAY0, &["--db", damaged.to_str().unwrap(), "stats"], "");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&damaged.display().to_string()), "{err}");
    assert!(
        std::fs::read(&damaged).unwrap() == bytes,
        "the damaged database was modified"
    );
}

#[test]
fn stats_json_has_the_contract_fields() {
    let env = Env::new();
    drive(&env, DAY0, &fixture_args(&[]), &mut right_answer);
    let out = env.run(
        DAY0,
        &["--decks", &format!("{FIXTURES}/decks"), "stats", "--json"],
        "",
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for field in [
        "cards_total",
        "cards_seen",
        "reviews_total",
        "due_now",
        "due_next_7_days",
        "retention_30d",
        "streak_days",
        "topics",
    ] {
        assert!(v.get(field).is_some(), "missing {field}");
    }
    assert_eq!(v["cards_seen"], 4);
    assert_eq!(v["reviews_total"], 8);
    assert_eq!(v["streak_days"], 1);
    let topic = v["topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "cluster")
        .unwrap();
    for field in ["id", "cards", "seen", "score", "level"] {
        assert!(topic.get(field).is_some(), "missing topics[].{field}");
    }
    assert_eq!(topic["level"], "exposure");
    // Two days later the streak has lapsed only if nothing was reviewed yesterday.
    let later = env.run("2026-11-24T09:00:00+01:00", &["stats", "--json"], "");
    let v: serde_json::Value = serde_json::from_slice(&later.stdout).unwrap();
    assert_eq!(v["streak_days"], 0);
    // The charts' data: 8 answers today, due cards over 30 days, 6 months of retention.
    assert_eq!(v["heatmap"][0]["date"], "2026-11-22");
    assert_eq!(v["heatmap"][0]["reviews"], 8);
    assert_eq!(v["due_next_30_days"].as_array().unwrap().len(), 30);
    let due: u64 = v["due_next_30_days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(due, 4, "the four cards fall due within 30 days");
    assert_eq!(v["retention_by_month"].as_array().unwrap().len(), 6);
    assert_eq!(v["retention_by_month"][5]["month"], "2026-11");
    assert!(v["misconceptions_held"].as_array().unwrap().is_empty());
    let text_out = env.run(DAY0, &["stats"], "");
    let t = text(&text_out.stdout);
    assert!(t.contains("Topics (score out of 5, level):"), "{t}");
    assert!(t.contains("Reviews, last 26 weeks:\n"), "{t}");
    // Piped output draws in ASCII: 25 quiet weeks, then today's answers.
    let sunday = t
        .lines()
        .find(|l| l.starts_with("Sun "))
        .expect("a Sunday row");
    assert!(sunday.is_ascii(), "{sunday}");
    assert!(
        sunday.starts_with(&format!("Sun {}", ".".repeat(25))),
        "{sunday}"
    );
    assert!(sunday.ends_with([':', '+', '*', '#']), "{sunday}");
    assert!(t.contains("Cards due, next 30 days:\ntoday |"), "{t}");
    assert!(t.contains("True retention by month"), "{t}");
    assert!(
        !t.contains('\u{1b}'),
        "plain output has no colour codes: {t}"
    );
}

#[test]
fn a_closed_pipe_ends_output_quietly() {
    let env = Env::new();
    for args in [
        &["lab", "list"][..],
        &["stats"],
        &["decks", "list"],
        &["--help"],
    ] {
        let mut child = env
            .cmd(DAY0, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader is gone before anything is written
        let out = child.wait_with_output().unwrap();
        let err = text(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
}

#[test]
fn today_summary_without_a_command() {
    let env = Env::new();
    let out = env.run(DAY0, &[], "");
    let o = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(o.contains("ecsdrill · Sunday 22 November 2026"), "{o}");
    assert!(o.contains("new cards available today: 20"), "{o}");
    assert!(o.contains("Next: `ecsdrill review`"), "{o}");
}

#[test]
fn exports_in_json_csv_and_anki_formats() {
    let env = Env::new();
    let json = env.run(DAY0, &["decks", "export", "--format", "json"], "");
    let cards: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).unwrap();
    assert!(cards.len() >= 250);
    for field in [
        "id",
        "deck",
        "topic",
        "kind",
        "prompt",
        "options",
        "answer",
        "explanation",
        "sources",
        "misconceptions",
    ] {
        assert!(cards[0].get(field).is_some(), "missing {field}");
    }
    let csv_out = env.run(DAY0, &["decks", "export", "--format", "csv"], "");
    let mut rdr = csv::Reader::from_reader(&csv_out.stdout[..]);
    assert_eq!(rdr.records().count(), cards.len());
    let anki = env.path().join("anki.txt");
    let out = env.run(
        DAY0,
        &[
            "decks",
            "export",
            "--format",
            "anki",
            "--output",
            anki.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0));
    let a = std::fs::read_to_string(&anki).unwrap();
    assert!(a.starts_with("#separator:tab\n#html:true\n"));
    let notes: Vec<&str> = a.lines().filter(|l| !l.starts_with('#')).collect();
    let body = notes.join("\n");
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .has_headers(false)
        .from_reader(body.as_bytes());
    let records: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), cards.len());
    assert!(records.iter().all(|r| r.len() == 4
        && r[0].starts_with("ecsdrill-")
        && r[2].contains("<a href=\"https://")));
}

#[test]
fn decks_list_and_check_on_the_shipped_content() {
    let env = Env::new();
    let out = env.run(DAY0, &["decks", "list", "--json"], "");
    let decks: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(decks.len() >= 6);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/decks");
    let out = env.run(DAY0, &["decks", "check", dir], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("; 0 warnings"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        text(&out.stderr),
        "",
        "the shipped decks must check with zero warnings"
    );
}

#[test]
fn bad_clock_and_unknown_filters_are_usage_errors() {
    let env = Env::new();
    let out = env.run("yesterday", &["stats"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("ECSDRILL_NOW"));
    let out = env.run(DAY0, &["review", "--topic", "kubernetes"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("unknown topic `kubernetes`")
            && text(&out.stderr).contains("hint: topics:")
    );
}

#[test]
fn completions_are_generated() {
    let env = Env::new();
    let out = env.run(DAY0, &["completions", "bash"], "");
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("ecsdrill"));
}

// ---- Real-terminal smoke tests (PTY) ----

/// A real binary in a pseudo-terminal, its output played into a terminal emulator so tests
/// read the screen as the learner sees it (a redraw only sends the cells that changed).
struct Pty {
    process: rexpect::process::PtyProcess,
    keys: std::fs::File,
    output: std::sync::mpsc::Receiver<Vec<u8>>,
    vt: vt100::Parser,
}

impl Pty {
    fn new(env: &Env, args: &[&str]) -> Pty {
        Pty::new_with(env, args, &[])
    }

    fn new_with(env: &Env, args: &[&str], vars: &[(&str, &str)]) -> Pty {
        let mut cmd = env.cmd(DAY0, args);
        cmd.env("TERM", "xterm-256color");
        cmd.envs(vars.iter().copied());
        let process = rexpect::process::PtyProcess::new(cmd).unwrap();
        let mut reader = process.get_file_handle().unwrap();
        let keys = process.get_file_handle().unwrap();
        let (tx, output) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // Ends with an error (EIO) once the child is gone.
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                if tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Pty {
            process,
            keys,
            output,
            vt: vt100::Parser::new(24.try_into().unwrap(), 80.try_into().unwrap(), 0),
        }
    }

    /// Waits until `want` is on the screen.
    fn wait(&mut self, want: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            while let Ok(bytes) = self.output.try_recv() {
                self.vt.process(&bytes);
            }
            let screen = self.vt.screen().contents();
            if screen.contains(want) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{want:?} never appeared; the screen:\n{screen}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    fn send(&mut self, keys: &str) {
        self.keys.write_all(keys.as_bytes()).unwrap();
        self.keys.flush().unwrap();
    }

    /// Waits for the process to end; the screen it leaves.
    fn eof(mut self) -> String {
        let status = self.process.wait().unwrap();
        assert!(
            matches!(status, rexpect::process::WaitStatus::Exited(_, 0)),
            "{status:?}"
        );
        while let Ok(bytes) = self
            .output
            .recv_timeout(std::time::Duration::from_millis(500))
        {
            self.vt.process(&bytes);
        }
        self.vt.screen().contents()
    }
}

#[test]
fn pty_reviews_each_kind_full_screen_with_space_undo_rerate_and_quit() {
    let env = Env::new();
    let decks = format!("{FIXTURES}/decks");
    let mut p = Pty::new(&env, &["--decks", &decks, "review", "--deck", "fixture"]);
    // recall: Space reveals, Space rates Good.
    p.wait("Space/Enter show answer");
    p.send(" ");
    p.wait("Space/Enter Good");
    p.send(" ");
    // choice: undo takes the recall answer back and shows that card again.
    p.wait("Enter answer");
    p.send("u");
    p.wait("undone: your last answer was taken back");
    p.send(" ");
    p.wait("Again");
    p.send("3");
    // choice: Space does not answer; Enter takes the highlighted option.
    p.wait("Enter answer");
    p.send(" ");
    p.send("\r");
    p.wait("next review");
    p.send("\r");
    // typed: letters are text, then 4 raises a right answer to Easy.
    p.wait("Your answer:");
    p.send("awsvpc\r");
    p.wait("Right");
    p.send("4");
    p.wait("saved as easy");
    p.send("\r");
    // order: Enter confirms the order shown, then q quits from the verdict.
    p.wait("Put in order");
    p.send("\r");
    p.wait("The right order:");
    p.send("q");
    let end = p.eof();
    assert!(end.contains("Session done: 4 answers on 4 cards"), "{end}");
    assert_eq!(env.count("SELECT COUNT(*) FROM review_log"), 4);
    assert_eq!(
        env.count("SELECT rating FROM review_log WHERE card_id = 'fx-recall'"),
        3,
        "the undone answer left no row; the second one is kept"
    );
    assert_eq!(
        env.count("SELECT rating FROM review_log WHERE card_id = 'fx-typed'"),
        4
    );
    assert_eq!(env.count("SELECT answered FROM session"), 4);
}

#[test]
fn pty_q_quits_at_the_first_card_and_undo_refuses_an_earlier_session() {
    let env = Env::new();
    let mut p = Pty::new(&env, &["review"]);
    p.wait("1/20");
    p.send("q");
    let end = p.eof();
    assert!(end.contains("Session ended before any answer"), "{end}");
    assert_eq!(
        env.count("SELECT COUNT(*) FROM session WHERE end_reason = 'quit'"),
        1
    );
    // An answer, then a new session: undo there refuses to reach back.
    let decks = format!("{FIXTURES}/decks");
    let mut p = Pty::new(&env, &["--decks", &decks, "review", "--deck", "fixture"]);
    p.wait("Space/Enter show answer");
    p.send(" ");
    p.wait("Space/Enter Good");
    p.send("3");
    p.wait("Enter answer");
    p.send("q");
    p.eof();
    let mut p = Pty::new(&env, &["--decks", &decks, "review", "--deck", "fixture"]);
    p.wait("Enter answer");
    p.send("u");
    p.wait("nothing to undo in this session");
    p.send("\x1b");
    p.eof();
    assert_eq!(
        env.count("SELECT COUNT(*) FROM review_log WHERE card_id = 'fx-recall'"),
        1
    );
}

// ---- Reliability ----

/// Any plausible answer for any card of the embedded decks.
fn any_answer(_: &[String], prompt: &str) -> String {
    if prompt.contains("press Enter") {
        String::new()
    } else if prompt.contains("rate") {
        "3".into()
    } else if prompt.contains("choose") {
        "a".into()
    } else if prompt.contains("item numbers") {
        "1 2 3".into()
    } else {
        "awsvpc".into()
    }
}

#[test]
fn sigkill_at_random_moments_never_loses_a_confirmed_answer() {
    let env = Env::new();
    let mut rng = ecsdrill::rng::SplitMix64::new(2026);
    let mut confirmed = 0i64;
    let sessions = 50;
    for session in 0..sessions {
        let kill_after = 1 + rng.below(12);
        let delay_us = rng.below(3000) as u64;
        let mut child = env
            .cmd(DAY0, &["--plain", "review", "--new", "40"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut card: Vec<String> = Vec::new();
        let mut prompts = 0;
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            let l = line.trim_end().to_string();
            if l.starts_with("saved: ") {
                confirmed += 1;
            }
            if l.starts_with("> ") {
                prompts += 1;
                if prompts > kill_after {
                    std::thread::sleep(std::time::Duration::from_micros(delay_us));
                    child.kill().unwrap();
                    break;
                }
                let _ = writeln!(stdin, "{}", any_answer(&card, &l));
            } else {
                card.push(l);
            }
        }
        // Whatever the process printed before it died still counts as confirmed.
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut reader, &mut rest);
        confirmed += rest.lines().filter(|l| l.starts_with("saved: ")).count() as i64;
        child.wait().unwrap();
        let conn = env.conn();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "after session {session}");
        let logged: i64 = conn
            .query_row("SELECT COUNT(*) FROM review_log", [], |r| r.get(0))
            .unwrap();
        // Every confirmed answer is logged; at most one per killed session was committed
        // but not yet confirmed on screen.
        assert!(
            logged >= confirmed,
            "session {session}: {logged} logged < {confirmed} confirmed"
        );
        assert!(
            logged <= confirmed + session as i64 + 1,
            "session {session}: {logged} logged, {confirmed} confirmed"
        );
    }
    assert!(
        confirmed > 100,
        "the sessions answered too little to test anything ({confirmed})"
    );
}

#[test]
fn two_reviews_and_stats_at_once_lose_nothing() {
    let env = Env::new();
    // Create the database first so both sessions start from the same state.
    env.run(DAY0, &["stats"], "");
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let dir = env.path().to_path_buf();
            std::thread::spawn(move || {
                let env = Env {
                    dir: tempfile::TempDir::new_in(&dir).unwrap(),
                };
                // Same database for both: point both at the shared file.
                let db = dir.join("data/ecsdrill/ecsdrill.db");
                let args = [
                    "--db",
                    db.to_str().unwrap(),
                    "--plain",
                    "review",
                    "--new",
                    "40",
                ];
                let mut answered = 0;
                let mut policy = |card: &[String], prompt: &str| -> String {
                    if prompt.contains("rate") {
                        return "3".into();
                    }
                    answered += 1;
                    if answered > 20 {
                        "q".into()
                    } else {
                        any_answer(card, prompt)
                    }
                };
                let (out, code) = drive(&env, DAY0, &args, &mut policy);
                (
                    out.lines().filter(|l| l.starts_with("saved: ")).count(),
                    code,
                    out,
                )
            })
        })
        .collect();
    let mut stats_runs = 0;
    while !handles.iter().all(|h| h.is_finished()) {
        let out = env.run(DAY0, &["stats", "--json"], "");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        stats_runs += 1;
    }
    let mut saved = 0;
    for h in handles {
        let (n, code, out) = h.join().unwrap();
        assert_eq!(code, 0, "{out}");
        // The store's lock message and SQLite's own words, not card text (a card may say a
        // tag "stays locked").
        assert!(
            !out.contains("is busy: another ecsdrill holds a write lock")
                && !out.contains("database is locked"),
            "{out}"
        );
        saved += n;
    }
    assert!(stats_runs > 0);
    assert_eq!(env.count("SELECT COUNT(*) FROM review_log") as usize, saved);
    assert!(saved >= 30);
}

#[test]
fn ctrl_c_in_plain_mode_keeps_answers_and_closes_the_session() {
    let env = Env::new();
    let mut child = env
        .cmd(DAY0, &fixture_args(&[]))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let mut prompts = 0;
    let mut card: Vec<String> = Vec::new();
    // Answer two cards, then press Ctrl-C at the third prompt.
    loop {
        line.clear();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "the session ended early"
        );
        let l = line.trim_end().to_string();
        if l.starts_with("> ") {
            prompts += 1;
            let asks_for_an_answer = ["press Enter", "choose", "type", "item numbers"]
                .iter()
                .any(|p| l.contains(p));
            if asks_for_an_answer && card.iter().filter(|c| c.starts_with("saved: ")).count() == 2 {
                break;
            }
            writeln!(stdin, "{}", right_answer(&card, &l)).unwrap();
        } else {
            card.push(l);
        }
    }
    assert!(prompts >= 3);
    unsafe { kill(child.id() as i32, 2) };
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut reader, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{rest}");
    assert!(rest.contains("interrupted: 2 answers saved."), "{rest}");
    assert_eq!(env.count("SELECT COUNT(*) FROM review_log"), 2);
    assert_eq!(
        env.count(
            "SELECT COUNT(*) FROM session WHERE end_reason = 'interrupted' AND ended_ms IS NOT NULL"
        ),
        1
    );
    drop(stdin);
}

unsafe extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
}

#[test]
fn a_learning_card_from_the_last_session_comes_back_within_the_learn_ahead_window() {
    let env = Env::new();
    // Fail the recall card (due again in 1 minute), then quit.
    let out = env.run(DAY0, &fixture_args(&[]), "\n1\nq\n");
    assert!(
        text(&out.stdout).contains("saved: again · next review in 1 min"),
        "{}",
        text(&out.stdout)
    );
    // A new session at the same moment shows it rather than saying nothing is due.
    let out = env.run(DAY0, &fixture_args(&["--new", "0"]), "");
    let o = text(&out.stdout);
    assert!(
        o.contains("[1/1] Clusters · recall") && o.contains("What is a cluster?"),
        "{o}"
    );
    // An hour later it is simply due.
    let out = env.run(
        "2026-11-22T10:00:00+01:00",
        &fixture_args(&["--new", "0"]),
        "",
    );
    assert!(text(&out.stdout).contains("What is a cluster?"));
}

#[test]
fn doctor_finds_damage_and_restores_the_automatic_backup() {
    let env = Env::new();
    let db = env.path().join("progress.db");
    std::fs::copy(Path::new(FIXTURES).join("db/schema-v1.db"), &db).unwrap();
    let dbs = db.to_str().unwrap();
    // Opening migrates v1 to v2, taking a backup first.
    assert_eq!(
        env.run(DAY0, &["--db", dbs, "stats"], "").status.code(),
        Some(0)
    );
    let ok = env.run(DAY0, &["--db", dbs, "doctor"], "");
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stdout));
    assert!(
        text(&ok.stdout).contains(&format!(": ok, schema version {SCHEMA_VERSION}")),
        "{}",
        text(&ok.stdout)
    );

    std::fs::write(&db, b"\x00garbage after a disk failure").unwrap();
    let _ = std::fs::remove_file(db.with_extension("db-wal"));
    let _ = std::fs::remove_file(db.with_extension("db-shm"));
    let err = env.run(DAY0, &["--db", dbs, "stats"], "");
    assert_eq!(err.status.code(), Some(2));
    assert!(
        text(&err.stderr).contains("ecsdrill doctor"),
        "{}",
        text(&err.stderr)
    );

    let diag = env.run(DAY0, &["--db", dbs, "doctor"], "");
    let o = text(&diag.stdout);
    assert_eq!(diag.status.code(), Some(1), "{o}");
    assert!(o.contains("damaged: it is not an SQLite file"), "{o}");
    assert!(
        o.contains(&format!(
            "schema version 1 (this ecsdrill: {SCHEMA_VERSION}), 2 answers logged"
        )),
        "{o}"
    );
    let backup = o
        .lines()
        .find_map(|l| {
            l.strip_prefix("to restore the newest good backup: ecsdrill doctor --restore ")
        })
        .unwrap()
        .to_string();

    let restored = env.run(DAY0, &["--db", dbs, "doctor", "--restore", &backup], "");
    assert_eq!(
        restored.status.code(),
        Some(0),
        "{}",
        text(&restored.stderr)
    );
    let aside = std::fs::read_dir(env.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| e.file_name().to_string_lossy().contains(".damaged-"));
    assert!(aside, "the damaged file is kept");
    let stats = env.run(DAY0, &["--db", dbs, "stats", "--json"], "");
    let v: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
    assert_eq!(v["reviews_total"], 2);
}

#[test]
fn simulate_compares_schedulers_at_the_same_retention_and_is_seeded() {
    let env = Env::new();
    let args = [
        "simulate",
        "--learners",
        "2",
        "--days",
        "90",
        "--new-per-day",
        "4",
        "--json",
    ];
    let out = env.run(DAY0, &args, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v["rows"].as_array().unwrap();
    let find = |label: &str, nth: usize| {
        rows.iter()
            .filter(|r| r["policy"]["scheduler"] == label)
            .nth(nth)
            .unwrap_or_else(|| panic!("no {label} row {nth}: {v}"))
    };
    let sm2 = find("sm2", 0);
    let matched = find("ecsdrill", 1);
    assert!(matched["final_retention"].as_f64() >= sm2["final_retention"].as_f64());
    assert_eq!(
        matched["policy"]["desired_retention"].as_f64().unwrap() as f32,
        v["matched_desired_retention"].as_f64().unwrap() as f32
    );
    let saving = 1.0 - matched["reviews"].as_f64().unwrap() / sm2["reviews"].as_f64().unwrap();
    assert!((saving - v["saving_vs_sm2"].as_f64().unwrap()).abs() < 1e-9);
    for r in rows {
        assert_eq!(r["cards"], 2 * 90 * 4, "{r}");
        assert!(
            r["reviews"].as_u64().unwrap() > r["cards"].as_u64().unwrap(),
            "{r}"
        );
        let ret = r["final_retention"].as_f64().unwrap();
        assert!((0.5..1.0).contains(&ret), "{r}");
    }
    let again = env.run(DAY0, &args, "");
    assert_eq!(again.stdout, out.stdout, "same seed, same numbers");
    let other = env.run(DAY0, &[&args[..], &["--seed", "2"]].concat(), "");
    assert_ne!(other.stdout, out.stdout, "another seed, other learners");
    let table = env.run(DAY0, &["simulate", "--learners", "1", "--days", "30"], "");
    let table = text(&table.stdout);
    assert!(
        table.contains("SM-2 (Anki defaults)") && table.contains("reviews than SM-2"),
        "{table}"
    );
}

/// Every row of the tables a fixture holds, to prove a migration keeps them all.
fn rows(db: &Path, table: &str) -> Vec<String> {
    let conn = Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2"))
        .unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        Ok((0..n)
            .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
            .collect::<Vec<_>>()
            .join("|"))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

#[test]
fn every_released_schema_migrates_keeping_all_its_history() {
    for version in 1..SCHEMA_VERSION {
        let env = Env::new();
        let db = env.path().join("old.db");
        let fixture = Path::new(FIXTURES).join(format!("db/schema-v{version}.db"));
        std::fs::copy(&fixture, &db).unwrap_or_else(|e| panic!("{}: {e}", fixture.display()));
        let mut tables = vec!["review_log", "session", "setting"];
        if version >= 3 {
            tables.extend(["lab_progress", "lab_check_log", "lab_resource"]);
        }
        if version >= 4 {
            tables.extend(["assessment", "assessment_topic"]);
        }
        let before: Vec<Vec<String>> = tables.iter().map(|t| rows(&db, t)).collect();
        let db_arg = db.to_str().unwrap();
        let decks = format!("{FIXTURES}/decks");
        let out = env.run(
            DAY0,
            &["--db", db_arg, "--decks", &decks, "stats", "--json"],
            "",
        );
        assert!(out.status.success(), "v{version}: {}", text(&out.stderr));
        let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let conn = Connection::open(&db).unwrap();
        let now: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            now, SCHEMA_VERSION,
            "v{version} migrated to the current schema"
        );
        for (table, rows_before) in tables.iter().zip(&before) {
            let after = rows(&db, table);
            for row in rows_before {
                // The catalog key may be rebuilt; every other row must survive unchanged.
                // Columns added later come after the old ones, with their defaults.
                let kept = after
                    .iter()
                    .any(|a| a == row || a.starts_with(&format!("{row}|")));
                if !row.contains("catalog_key") {
                    assert!(kept, "v{version}: {table} lost {row}");
                }
            }
        }
        assert_eq!(
            stats["reviews_total"].as_i64(),
            Some(before[0].len() as i64),
            "v{version}: {stats}"
        );
        if version >= 3 {
            let ecr = stats["topics"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|t| t["labs_passed"].as_array().cloned().unwrap_or_default())
                .any(|l| l == "ecr-push");
            assert!(
                ecr,
                "v{version}: the lab passed before the migration still counts: {stats}"
            );
        }
        // A review works on the migrated file and the stale catalog index was rebuilt.
        let out = env.run(
            DAY0,
            &[
                "--db", db_arg, "--decks", &decks, "--plain", "review", "--deck", "fixture",
                "--limit", "1",
            ],
            "q\n",
        );
        assert!(
            out.status.success() || out.status.code() == Some(130),
            "v{version}: {}",
            text(&out.stderr)
        );
        let ids = rows(&db, "catalog_card");
        assert!(
            !ids.iter()
                .any(|r| r.starts_with("\"fx-gone\"") || r.contains("fx-gone")),
            "v{version}: stale catalog kept"
        );
        let backups = std::fs::read_dir(env.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .contains(&format!(".v{version}-"))
            })
            .count();
        assert_eq!(
            backups, 1,
            "v{version}: one backup of the old file before migrating"
        );
    }
}

#[test]
fn a_truncated_database_is_named_with_the_way_out_and_left_as_it_is() {
    let env = Env::new();
    let db = env.path().join("progress.db");
    std::fs::copy(Path::new(FIXTURES).join("db/schema-v3.db"), &db).unwrap();
    let dbs = db.to_str().unwrap();
    assert!(env.run(DAY0, &["--db", dbs, "stats"], "").status.success());
    let conn = Connection::open(&db).unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    drop(conn);
    // A copy cut short, as by a full disk or an interrupted sync: the first pages survive.
    let bytes = std::fs::read(&db).unwrap();
    let cut = &bytes[..bytes.len() / 3];
    std::fs::write(&db, cut).unwrap();
    for args in [&["stats"][..], &["--plain", "review"][..]] {
        let out = env.run(DAY0, &[&["--db", dbs][..], args].concat(), "1\n");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(dbs) && err.contains("ecsdrill doctor"),
            "{args:?}: {err}"
        );
        assert_eq!(
            std::fs::read(&db).unwrap(),
            cut,
            "the damaged file was changed"
        );
    }
    let diag = env.run(DAY0, &["--db", dbs, "doctor"], "");
    let o = text(&diag.stdout);
    assert_eq!(diag.status.code(), Some(1), "{o}");
    assert!(o.contains("ecsdrill doctor --restore "), "{o}");
}

#[test]
fn pty_source_links_leave_the_screen_intact() {
    let env = Env::new();
    let decks = format!("{FIXTURES}/decks");
    let mut p = Pty::new_with(
        &env,
        &["--decks", &decks, "review", "--deck", "fixture"],
        &[("ECSDRILL_HYPERLINKS", "1")],
    );
    p.wait("Space/Enter show answer");
    p.send(" ");
    p.wait("Space/Enter Good");
    let screen = p.vt.screen().contents();
    assert!(
        screen
            .contains("https://docs.aws.amazon.com/AmazonECS/latest/developerguide/clusters.html"),
        "{screen}"
    );
    assert!(screen.contains("1 Again"), "{screen}");
    p.send("q");
    p.eof();
}

#[test]
fn drills_say_what_to_do_without_a_sandbox_or_an_attempt() {
    let env = Env::new();
    let out = env.run(DAY0, &["drill", "check"], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("no drill is under way"));
    assert!(text(&out.stderr).contains("`ecsdrill drill`"));
    let out = env.run(DAY0, &["drill", "start", "no-such-drill"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("there is no drill `no-such-drill`"));
    let out = env.run(DAY0, &["drill", "--topic", "no-such-topic"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("drills have these topics"));
    // The list names drills by their symptom; the fault (the title) is not shown.
    let out = env.run(DAY0, &["drill", "--list", "--json"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = list.as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r["state"] == "new" && r.get("title").is_none())
    );
    // Building an incident needs the sandbox: the fix is named, nothing is recorded.
    let out = env.run(DAY0, &["drill"], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("ecsdrill sandbox up"),
        "{}",
        text(&out.stderr)
    );
    let out = env.run(DAY0, &["drill", "history", "--json"], "");
    assert_eq!(text(&out.stdout).trim(), "[]");
}

#[test]
fn lab_replay_names_what_is_missing_before_it_needs_a_sandbox() {
    let env = Env::new();
    let out = env.run(DAY0, &["lab", "replay"], "");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no lab started yet"), "{err}");
    let out = env.run(DAY0, &["lab", "replay", "ecr-push"], "");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("lab `ecr-push` has no repository to push")
            && err.contains("ecsdrill lab start github-actions"),
        "{err}"
    );
    let out = env.run(
        DAY0,
        &["lab", "replay", "github-actions", "--var", "NOEQUALS"],
        "",
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--var takes NAME=VALUE, not `NOEQUALS`"),
        "{err}"
    );
}
