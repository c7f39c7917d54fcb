//! Incident drills end to end: each drill built in a real sandbox, its symptom seen with the
//! real `aws` CLI, a careless fix and wrong diagnoses failing, the reference fix passing, two
//! seeds giving different incidents; and the schedule across days (tests/drills/ID.yaml holds
//! each drill's scripts).

mod labenv;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use labenv::{Env, text};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct DrillTest {
    drill: String,
    /// Must succeed right after the build: the symptom the drill states, seen with `aws`.
    symptom: String,
    /// The reference fix.
    fix: String,
    /// Distractors named as the cause: each must be graded wrong.
    wrong_causes: Vec<String>,
    wrong_fix: WrongFix,
}

#[derive(Deserialize)]
struct WrongFix {
    name: String,
    script: String,
    fails: Vec<String>,
    message: Option<String>,
}

fn test_file(id: &str) -> DrillTest {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/drills/{id}.yaml"));
    let t: DrillTest = serde_saphyr::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(t.drill, id);
    t
}

fn drills() -> ecsdrill::drill::DrillSet {
    ecsdrill::drill::load_drills(None).unwrap_or_else(|d| panic!("the built-in drills load: {d:?}"))
}

fn seed_for(id: &str, n: u64) -> u64 {
    (ecsdrill::rng::hash_str(id) ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15)) % 1_000_000_000
}

/// `drill start ID --seed S` (or `drill` when `scheduled`), which must build; scripts are
/// filled with what it drew.
fn start(env: &Env, id: &str, seed: u64) {
    let out = env.ecsdrill(&["drill", "start", id, "--seed", &seed.to_string()]);
    assert!(
        out.status.success(),
        "drill start {id}: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let shown = text(&out.stdout);
    assert!(
        !shown.contains("${"),
        "{id}: a variable unexpanded: {shown}"
    );
    let set = drills();
    let drill = set.get(id).unwrap();
    // The symptom only: neither the fault's title nor the cause is shown before the end.
    assert!(
        !shown.contains(&drill.title),
        "{id}: the start gives the fault away: {shown}"
    );
    env.set_drawn(id, ecsdrill::lab::draw::draw(drill, seed));
}

fn check(env: &Env, cause: &str) -> (Output, Value) {
    let out = env.ecsdrill(&["drill", "check", "--cause", cause, "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "drill check --json: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        )
    });
    (out, v)
}

fn failed(v: &Value) -> Vec<String> {
    v["checks"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|c| c["passed"] == false)
                .map(|c| format!("{}: {}", c["id"].as_str().unwrap(), c["message"]))
                .collect()
        })
        .unwrap_or_default()
}

fn script_ok(env: &Env, what: &str, script: &str) {
    let out = env.script(script);
    assert!(
        out.status.success(),
        "{what}: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// The drawn service's deployments, latest events and unstopped tasks, and the sandbox's time,
/// for a failure message: enough to tell a fix that needs more time from one that is wrong.
fn service_state(env: &Env) -> String {
    let out = env.script(
        r#"C=${draw.cluster}
        aws ecs describe-services --cluster $C --services ${draw.service} --output text \
          --query 'services[0].deployments[].[status,rolloutState,taskDefinition,runningCount,failedTasks]'
        aws ecs describe-services --cluster $C --services ${draw.service} --output text \
          --query 'services[0].events[:10].[createdAt,message]'
        for d in RUNNING STOPPED; do
          T=$(aws ecs list-tasks --cluster $C --desired-status $d --query 'taskArns[:90]' --output text)
          [ -z "$T" ] || aws ecs describe-tasks --cluster $C --tasks $T --output text \
            --query 'tasks[?lastStatus!=`STOPPED`].[taskDefinitionArn,lastStatus,desiredStatus,stoppingAt]'
        done
        curl -s "$AWS_ENDPOINT_URL/_ecsdrill/status" | grep -o '"sim_time": "[^"]*"'"#,
    );
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

fn run_drill(id: &str) {
    let t = test_file(id);
    let set = drills();
    let drill = set.get(id).unwrap_or_else(|| panic!("no drill `{id}`"));
    let cause = drill.cause.as_ref().unwrap().value.id.value.clone();
    assert!(
        t.wrong_causes.len() >= 2,
        "{id}: at least two wrong diagnoses"
    );
    for w in &t.wrong_causes {
        assert!(
            drill.distractors.iter().any(|d| &d.value == w),
            "{id}: `{w}` is not one of the causes it offers"
        );
    }
    // Two seeds, the second the first after it to draw another incident (names and values).
    let a = seed_for(id, 1);
    let da = ecsdrill::lab::draw::draw(drill, a);
    let b = (2..20)
        .map(|n| seed_for(id, n))
        .find(|&b| ecsdrill::lab::draw::draw(drill, b) != da)
        .unwrap_or_else(|| panic!("{id}: every seed draws the same incident"));
    let env = Env::new(&format!("drill-{id}"));

    // The symptom, then a careless fix that must fail with the fix named.
    start(&env, id, a);
    script_ok(&env, &format!("{id}: symptom"), &t.symptom);
    script_ok(
        &env,
        &format!("{id}: {}", t.wrong_fix.name),
        &t.wrong_fix.script,
    );
    let (out, v) = check(&env, &cause);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{id} / {}: must fail: {v:#}",
        t.wrong_fix.name
    );
    assert_eq!(v["ended"], false, "{id}: a right cause with no fix goes on");
    let f = failed(&v);
    for want in &t.wrong_fix.fails {
        assert!(
            f.iter().any(|x| x.starts_with(&format!("{want}: "))),
            "{id} / {}: `{want}` should fail; failed: {f:#?}",
            t.wrong_fix.name
        );
    }
    if let Some(m) = &t.wrong_fix.message {
        let m = env.fill(m);
        assert!(
            f.iter().any(|x| x.contains(&m)),
            "{id} / {}: no message with {m:?} in {f:#?}",
            t.wrong_fix.name
        );
    }
    let out = env.ecsdrill(&["drill", "give-up"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(&drill.title),
        "{id}: giving up names the fault"
    );

    // Wrong diagnoses are graded Again, each on an incident of its own.
    for w in &t.wrong_causes {
        start(&env, id, b);
        let (out, v) = check(&env, w);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{id}: cause {w} must fail: {v:#}"
        );
        assert_eq!(v["cause"]["right"], false);
        assert_eq!(v["rating"], "again");
        assert_eq!(v["cause"]["actual"], cause.as_str());
    }

    // The reference fix passes: every check, and the cause gone from the live state.
    start(&env, id, b);
    script_ok(&env, &format!("{id}: fix"), &t.fix);
    let (out, v) = check(&env, &cause);
    assert!(
        out.status.success() && v["passed"] == true,
        "{id}: the reference fix must pass: {:#?}\n{}\nthe service now:\n{}",
        failed(&v),
        text(&out.stderr),
        service_state(&env)
    );
    assert_eq!(v["rating"], "easy", "{id}: right, fixed at once, no hint");
    // The timeline has the learner's own calls, from the sandbox's call log.
    assert!(
        v["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["who"] == "you"),
        "{id}: the fix's calls are in the timeline: {:#}",
        v["timeline"]
    );
}

/// Every drill file has a test file and a test below, and the other way round.
#[test]
fn every_drill_has_a_test() {
    let set = drills();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/drills");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| {
                    e.file_name()
                        .to_str()?
                        .strip_suffix(".yaml")
                        .map(String::from)
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut ids: Vec<String> = set.ids().iter().map(|s| s.to_string()).collect();
    ids.sort();
    assert_eq!(files, ids, "tests/drills/ID.yaml for every drill");
    let this = std::fs::read_to_string(file!()).unwrap();
    for id in &ids {
        assert!(
            this.contains(&format!("=> \"{id}\"")),
            "tests/drills.rs runs no test for `{id}`"
        );
    }
    assert!(ids.len() >= 20, "at least 20 drills: {}", ids.len());
}

macro_rules! drill_tests {
    ($($name:ident => $id:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run_drill($id);
            }
        )*
    };
}

drill_tests! {
    drill_new_version_not_live_a => "new-version-not-live-a",
    drill_new_version_not_live_b => "new-version-not-live-b",
    drill_outage_during_release_a => "outage-during-release-a",
    drill_redeploy_never_finishes => "redeploy-never-finishes",
    drill_redeploy_never_finishes_2 => "redeploy-never-finishes-2",
    drill_redeploy_never_finishes_3 => "redeploy-never-finishes-3",
    drill_redeploy_stuck_a => "redeploy-stuck-a",
    drill_release_never_finishes => "release-never-finishes",
    drill_release_never_finishes_2 => "release-never-finishes-2",
    drill_release_never_settles_a => "release-never-settles-a",
    drill_release_stuck_a => "release-stuck-a",
    drill_release_stuck_b => "release-stuck-b",
    drill_release_targets_unhealthy => "release-targets-unhealthy",
    drill_release_targets_unhealthy_2 => "release-targets-unhealthy-2",
    drill_release_tasks_keep_restarting => "release-tasks-keep-restarting",
    drill_release_tasks_keep_restarting_2 => "release-tasks-keep-restarting-2",
    drill_site_returns_503_a => "site-returns-503-a",
    drill_site_returns_503_b => "site-returns-503-b",
    drill_tasks_keep_being_replaced_a => "tasks-keep-being-replaced-a",
    drill_tasks_replaced_every_few_minutes => "tasks-replaced-every-few-minutes",
}

/// The schedule across days: a new drill a day; a fixed drill is not due again before its
/// interval; a wrong cause brings the drill's cards due today; practice changes nothing.
#[test]
fn drills_come_back_when_they_are_due() {
    let set = drills();
    let first = set.drills[0].id().to_string();
    let t = test_file(&first);
    let env = Env::new("drill-schedule");
    let at = |day: u32| format!("2026-11-{day:02}T10:00:00+00:00");
    let at_time = |now: &str, args: &[&str]| -> Output {
        env.cmd(Path::new(env!("CARGO_BIN_EXE_ecsdrill")))
            .env("ECSDRILL_NOW", now)
            .args(args)
            .output()
            .unwrap()
    };
    let on = |day: u32, args: &[&str]| at_time(&at(day), args);
    // `ecsdrill` today lists the drill to do, `ecsdrill drill` starts the first new one.
    let today = text(&on(22, &[]).stdout);
    assert!(today.contains("Drills due: 1"), "{today}");
    let out = on(22, &["drill"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let seed = env_seed(&env, &first);
    env.set_drawn(
        &first,
        ecsdrill::lab::draw::draw(set.get(&first).unwrap(), seed),
    );
    script_ok(&env, "fix", &t.fix);
    let cause = set
        .get(&first)
        .unwrap()
        .cause
        .as_ref()
        .unwrap()
        .value
        .id
        .value
        .clone();
    let out = on(22, &["drill", "check", "--cause", &cause, "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rating"], "easy", "{v:#}");
    let next_due = v["next_due"].as_str().unwrap().to_string();
    // Nothing more today: the day's one new drill has been met.
    let out = on(22, &["drill"]);
    assert!(
        text(&out.stdout).contains("No drill is due today"),
        "{}",
        text(&out.stdout)
    );
    assert!(!text(&on(22, &[]).stdout).contains("Drills due"));
    // Next day: a new drill, not the one just fixed (its interval is days).
    assert!(next_due.as_str() > at(23).as_str(), "{next_due}");
    let list: Value =
        serde_json::from_slice(&on(23, &["drill", "--list", "--json"]).stdout).unwrap();
    let row = |id: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone()
    };
    assert!(
        row(&first)["state"].as_str().unwrap().starts_with("due "),
        "{list:#}"
    );
    let second = set.drills[1].id().to_string();
    let out = on(23, &["drill"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let a: Value = serde_json::from_slice(&on(23, &["drill", "history", "--json"]).stdout).unwrap();
    assert_eq!(
        a.as_array().unwrap().last().unwrap()["drill"],
        second.as_str()
    );
    // A wrong cause: Again, and the drill's cards are due now.
    let wrong = set.get(&second).unwrap().distractors[0].value.clone();
    let out = on(23, &["drill", "check", "--cause", &wrong, "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["rating"].as_str(), out.status.code()),
        (Some("again"), Some(1))
    );
    let cards: Vec<String> = set
        .get(&second)
        .unwrap()
        .cards
        .iter()
        .map(|c| c.value.clone())
        .collect();
    assert!(!cards.is_empty());
    for c in v["cards_due_now"].as_array().unwrap() {
        assert!(cards.iter().any(|x| x == c.as_str().unwrap()));
    }
    assert_eq!(v["cards_due_now"].as_array().unwrap().len(), cards.len());
    // Practice outside the schedule changes no due date.
    let before = on(23, &["drill", "--list", "--json"]).stdout;
    let out = on(23, &["drill", "start", &first, "--seed", "7"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = on(23, &["drill", "give-up"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("practice: the schedule is unchanged"));
    let after = on(23, &["drill", "--list", "--json"]).stdout;
    let due = |raw: &[u8]| -> BTreeMap<String, Value> {
        let v: Value = serde_json::from_slice(raw).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| (r["id"].as_str().unwrap().to_string(), r["due_ms"].clone()))
            .collect()
    };
    assert_eq!(due(&before), due(&after));
    // The first drill is due again at its due time.
    let list: Value =
        serde_json::from_slice(&at_time(&next_due, &["drill", "--list", "--json"]).stdout).unwrap();
    let r = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == first.as_str())
        .unwrap();
    assert_eq!(r["state"], "due", "{list:#}");
}

/// The seed of the newest attempt at `drill`, from `drill history --json`.
fn env_seed(env: &Env, drill: &str) -> u64 {
    let v: Value =
        serde_json::from_slice(&env.ecsdrill(&["drill", "history", "--json"]).stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|a| a["drill"] == drill)
        .and_then(|a| a["seed"].as_u64())
        .unwrap()
}
