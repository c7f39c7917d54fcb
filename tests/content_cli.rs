//! End-to-end tests of content and output: a user deck with errors is skipped with a
//! warning while the built-in decks load, unknown ids get "did you mean", `decks list
//! --topics/--misconceptions`, ASCII charts without colour, and quiet ends on a closed
//! pipe. Each test has its own data, cache and deck directories and a fixed clock.

mod home;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const DAY0: &str = "2026-11-22T09:00:00+01:00";

/// A deck with one recall card; `topic` and `misconceptions` are where the errors go.
/// The topic is at 6:12, the misconception list at 12:22.
fn deck(id: &str, card: &str, topic: &str, misconception: &str) -> String {
    format!(
        "format_version: 1
id: {id}
title: My deck
cards:
  - id: {card}
    topic: {topic}
    kind: recall
    prompt: My own prompt for {card}
    answer: a
    explanation: e
    sources: [https://docs.aws.amazon.com/AmazonECS/latest/developerguide/Welcome.html]
    misconceptions: [{misconception}]
"
    )
}

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The user's deck directory (`decks/` under the data directory).
    fn user_decks(&self) -> PathBuf {
        let d = self.dir.path().join("data/ecsdrill/decks");
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = home::hermetic(self.dir.path(), DAY0, args);
        c.env("XDG_CACHE_HOME", self.dir.path().join("cache"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    fn run_with(&self, mut cmd: Command, stdin: &str) -> Output {
        let mut child = cmd.spawn().unwrap();
        // A command that does not read its input may be gone already.
        let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
        child.wait_with_output().unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_with(self.cmd(args), "")
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The cards of `decks export --format json`, as (id, prompt).
fn exported(env: &Env, args: &[&str]) -> Vec<(String, String)> {
    let out = env.run(&[args, &["decks", "export", "--format", "json"]].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["prompt"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn warnings(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("warning: skipped "))
        .collect()
}

#[test]
fn a_user_deck_with_errors_is_skipped_and_the_built_in_decks_stay() {
    let env = Env::new();
    let builtin = exported(&env, &[]);
    let (overridden, builtin_prompt) = builtin[0].clone();
    let decks = env.user_decks();
    let mine = decks.join("mine.yaml");
    // Overrides a built-in card, with a typo in the topic and in a misconception id.
    std::fs::write(
        &mine,
        deck("mine", &overridden, "servce", "ecs-stores-image"),
    )
    .unwrap();
    std::fs::write(
        decks.join("good.yaml"),
        deck("good", "my-own-card", "cluster", "ecs-stores-images"),
    )
    .unwrap();
    let want = format!(
        "warning: skipped {}:6:12: card `{overridden}` has unknown topic `servce` (did you mean `service`? `ecsdrill decks list --topics` lists every topic); run `ecsdrill decks check` for every problem",
        mine.display()
    );

    // Every command that loads the decks runs, naming the skipped file once.
    for args in [
        &["stats", "--json"][..],
        &[],
        &["decks", "list"],
        &["--plain", "review", "--limit", "1"],
        &["--plain", "review", "--limit", "1"], // again: the warning comes from the cache
        &["--plain", "assess", "--topic", "cluster"],
    ] {
        let out = env.run_with(env.cmd(args), "q\n");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert_eq!(warnings(&err), [want.as_str()], "{args:?}: {err}");
    }

    // The built-in card the skipped file overrides is still the built-in one.
    let cards = exported(&env, &[]);
    assert_eq!(cards.len(), builtin.len() + 1, "the good user file loads");
    assert!(cards.iter().any(|(id, _)| id == "my-own-card"));
    let kept = cards.iter().find(|(id, _)| *id == overridden).unwrap();
    assert_eq!(kept.1, builtin_prompt);

    // `decks check` still lists every problem and fails.
    let out = env.run(&["decks", "check"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for located in [
        format!(
            "{}:6:12: error: card `{overridden}` has unknown topic `servce` (did you mean `service`?",
            mine.display()
        ),
        format!(
            "{}:12:22: error: card `{overridden}` names unknown misconception `ecs-stores-image` (did you mean `ecs-stores-images`? `ecsdrill decks list --misconceptions` lists every misconception)",
            mine.display()
        ),
    ] {
        assert!(err.contains(&located), "wanted {located}\ngot: {err}");
    }
    assert!(warnings(&err).is_empty(), "{err}");

    // Fixed: no warning, and the override takes effect (the cache sees the change).
    std::fs::write(
        &mine,
        deck("mine", &overridden, "service", "ecs-stores-images"),
    )
    .unwrap();
    let out = env.run(&["stats", "--json"]);
    assert!(warnings(&text(&out.stderr)).is_empty());
    let cards = exported(&env, &[]);
    assert_eq!(cards.len(), builtin.len() + 1);
    let replaced = cards.iter().find(|(id, _)| *id == overridden).unwrap();
    assert!(replaced.1.starts_with("My own prompt"), "{replaced:?}");
}

#[test]
fn a_decks_directory_with_a_broken_file_is_skipped_the_same_way() {
    let env = Env::new();
    let dir = env.dir.path().join("extra");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("broken.yaml"), "format_version: 1\nid: [\n").unwrap();
    std::fs::write(
        dir.join("fine.yaml"),
        deck("fine", "fine-card", "task", "ecs-stores-images"),
    )
    .unwrap();
    let decks = dir.to_str().unwrap();
    let out = env.run(&["--decks", decks, "stats", "--json"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let w = warnings(&err);
    assert_eq!(w.len(), 1, "{err}");
    assert!(
        w[0].starts_with(&format!("warning: skipped {decks}/broken.yaml:")),
        "{err}"
    );
    assert!(
        exported(&env, &["--decks", decks])
            .iter()
            .any(|(id, _)| id == "fine-card")
    );
    assert_eq!(
        env.run(&["--decks", decks, "decks", "check"]).status.code(),
        Some(1)
    );
}

#[test]
fn unknown_ids_name_the_closest_known_one_and_a_list_the_user_can_see() {
    let env = Env::new();
    let file = env.dir.path().join("far.yaml");
    std::fs::write(&file, deck("far", "far-card", "kubernetes", "ecs-is-magic")).unwrap();
    let out = env.run(&["decks", "check", file.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "has unknown topic `kubernetes` (`ecsdrill decks list --topics` lists every topic)"
        ),
        "nothing close, no guess: {err}"
    );
    assert!(
        err.contains(
            "unknown misconception `ecs-is-magic` (`ecsdrill decks list --misconceptions`"
        ),
        "{err}"
    );
    assert!(
        !err.contains("topics.yaml") && !err.contains("misconceptions.yaml"),
        "{err}"
    );
}

#[test]
fn decks_list_shows_the_topic_and_misconception_ids() {
    let env = Env::new();
    let out = env.run(&["decks", "list", "--topics"]);
    assert!(out.status.success());
    let t = text(&out.stdout);
    assert!(
        t.lines()
            .any(|l| l.starts_with("service ") && l.ends_with("  Services")),
        "{t}"
    );
    assert!(t.lines().last().unwrap().ends_with(" topics"), "{t}");

    let out = env.run(&["decks", "list", "--topics", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let service = v.as_array().unwrap().iter().find(|t| t["id"] == "service");
    assert_eq!(service.unwrap()["title"], "Services");

    let out = env.run(&["decks", "list", "--misconceptions"]);
    let t = text(&out.stdout);
    assert!(
        t.lines()
            .any(|l| l.starts_with("ecs-stores-images ")
                && l.contains("ECS stores my container images")),
        "{t}"
    );
    assert!(
        t.lines().last().unwrap().ends_with(" misconceptions"),
        "{t}"
    );

    let out = env.run(&["decks", "list", "--misconceptions", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "ecs-stores-images"
                && m["wrong"].as_str().is_some()
                && m["correct"].as_str().is_some())
    );

    let out = env.run(&["decks", "list", "--topics", "--misconceptions"]);
    assert_eq!(out.status.code(), Some(2), "one list at a time");
}

#[test]
fn stats_charts_are_ascii_when_colour_is_off_or_output_is_piped() {
    let env = Env::new();
    // Some history, so the charts have shades and bars: "1" to every prompt.
    let out = env.run_with(
        env.cmd(&["--plain", "review", "--limit", "5"]),
        &"1\n".repeat(200),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut no_color = env.cmd(&["stats"]);
    no_color.env("NO_COLOR", "1");
    for (name, cmd) in [("NO_COLOR", no_color), ("piped", env.cmd(&["stats"]))] {
        let out = env.run_with(cmd, "");
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        let t = text(&out.stdout);
        // From the topic bars to the retention chart: everything is drawn, nothing is content.
        let charts: Vec<&str> = t
            .lines()
            .skip_while(|l| !l.starts_with("Topics ("))
            .take_while(|l| !l.starts_with("Misconceptions still held"))
            .collect();
        assert!(charts.len() > 30, "{name}: {t}");
        for line in &charts {
            assert!(line.is_ascii(), "{name}: not ASCII: {line:?}\n{t}");
        }
        assert!(
            t.contains("    less .:+*# more, busiest day: "),
            "{name}: {t}"
        );
        assert!(t.contains("\ntoday |#"), "{name}: {t}");
        assert!(!t.contains('\u{1b}'), "{name}: no colour codes: {t}");
    }
}

#[test]
fn a_closed_pipe_ends_every_command_quietly() {
    let env = Env::new();
    for args in [
        &["completions", "bash"][..],
        &["decks", "list"],
        &["decks", "list", "--topics"],
        &["decks", "export", "--format", "json"],
        &["decks", "export", "--format", "csv"],
        &["stats"],
        &["stats", "--json"],
        &["lab", "list"],
    ] {
        for read_first in [0, 8] {
            let mut child = env.cmd(args).stdin(Stdio::null()).spawn().unwrap();
            let mut stdout = child.stdout.take().unwrap();
            let mut head = vec![0; read_first];
            stdout.read_exact(&mut head).unwrap();
            drop(stdout); // the reader is gone: `| head -c 8`
            let out = child.wait_with_output().unwrap();
            let err = text(&out.stderr);
            let case = format!("{args:?} after {read_first} bytes");
            assert!(!err.contains("panicked"), "{case}: {err}");
            assert_ne!(out.status.code(), Some(101), "{case}: {err}");
            assert_eq!(out.status.code(), Some(0), "{case}: {err}");
            assert!(!err.contains("error"), "{case}: {err}");
        }
    }
}
