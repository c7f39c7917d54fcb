use super::*;
use serde_json::json;

const BASE: &str = r#"format_version: 1
id: baseline
title: A healthy service
topics: [troubleshooting]
minutes: 1
intro: The baseline.
draw:
  service: [orders, billing]
setup:
  - create_cluster: {name: "${draw.service}"}
steps:
  - title: Nothing to do
    text: Built by every drill.
reads:
  service:
    action: ecs:DescribeServices
    params: {cluster: "${draw.service}", services: ["${draw.service}"]}
    missing: There is no service `${draw.service}`.
checks:
  - id: tasks-running
    title: the service runs its tasks
    read: service
    query: "services[0].runningCount"
    expect: {at_least: 1}
    fail: The service runs no task.
"#;

fn drill(id: &str, cause: &str, query: &str, distractors: &str) -> String {
    format!(
        r#"format_version: 1
id: {id}
title: The fault of {id}
topics: [troubleshooting]
cards: [some-card]
minutes: 5
intro: Users see errors from `${{draw.service}}`.
setup:
  - advance_clock: {{seconds: 60}}
cause:
  id: {cause}
  text: The cause {cause}
  read: service
  query: "{query}"
  expect: {{equals: true}}
distractors: [{distractors}]
hints: [Look at the service.]
expert_path:
  - command: aws ecs describe-services --cluster ${{draw.service}} --services ${{draw.service}}
    why: its events
"#
    )
}

fn set() -> Vec<(String, String)> {
    vec![
        ("d/baseline.yaml".into(), BASE.into()),
        (
            "d/zero-tasks.yaml".into(),
            drill(
                "zero-tasks",
                "desired-zero",
                "services[0].desiredCount == `0`",
                "b, c, d",
            ),
        ),
        (
            "d/b.yaml".into(),
            drill(
                "b",
                "b",
                "services[0].status == 'DRAINING'",
                "desired-zero, c, d",
            ),
        ),
        (
            "d/c.yaml".into(),
            drill(
                "c",
                "c",
                "services[0].runningCount > `5`",
                "desired-zero, b, d",
            ),
        ),
        (
            "d/d.yaml".into(),
            drill(
                "d",
                "d",
                "services[0].pendingCount > `5`",
                "desired-zero, b, c",
            ),
        ),
    ]
}

fn errors(files: &[(String, String)]) -> Vec<String> {
    match lint(files, None) {
        Ok(_) => vec![],
        Err(d) => d.iter().map(|d| d.to_string()).collect(),
    }
}

#[test]
fn drills_merge_the_baseline() {
    let set = lint(&set(), None).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(set.ids(), ["zero-tasks", "b", "c", "d"]);
    let d = set.get("zero-tasks").unwrap();
    // the baseline's setup first, then the fault
    assert_eq!(d.setup.len(), 2);
    assert!(matches!(
        d.setup[0].value,
        crate::lab::SetupAction::CreateCluster { .. }
    ));
    assert!(d.reads.contains_key("service"));
    assert_eq!(d.checks[0].value.id.value, "tasks-running");
    assert!(d.draw.contains_key("service"));
    assert_eq!(set.causes().len(), 4);
}

#[test]
fn broken_drills_are_located() {
    let mut files = set();
    files[1].1 = files[1].1.replace("read: service", "read: nothing");
    files[2].1 = files[2]
        .1
        .replace("desired-zero, c, d", "desired-zero, c, e");
    files[3].1 = files[3]
        .1
        .replace("distractors: [desired-zero, b, d]", "distractors: [b]");
    files[4].1 = files[4].1.replacen("id: d\n", "id: e\n", 1);
    let e = errors(&files);
    let has = |file: &str, what: &str| {
        assert!(
            e.iter().any(|x| x.starts_with(file) && x.contains(what)),
            "no `{what}` in {file}: {e:#?}"
        )
    };
    has("d/zero-tasks.yaml:", "only the baseline's reads");
    has("d/b.yaml:", "unknown cause `e`");
    has("d/c.yaml:", "at least 3 other causes");
    has("d/d.yaml:", "does not match its file name");
    // every problem has a line and a column
    assert!(e.iter().all(|x| {
        x.split(':')
            .nth(1)
            .is_some_and(|l| l.parse::<u32>().is_ok())
    }));
}

#[test]
fn labs_may_not_carry_drill_fields_nor_drills_lab_steps() {
    let mut files = set();
    files[1].1.push_str("steps:\n  - title: x\n    text: y\n");
    assert!(
        errors(&files)
            .iter()
            .any(|e| e.contains("a drill has no steps"))
    );
    assert!(
        errors(&[("d/zero-tasks.yaml".into(), set()[1].1.clone())])
            .iter()
            .any(|e| e.contains("no baseline.yaml"))
    );
}

fn vars(service: &str) -> Vars {
    let mut v = Vars::sample();
    v.drawn.insert("service".into(), json!(service));
    v
}

#[test]
fn causes_are_detected_from_what_the_reads_return() {
    let set = lint(&set(), None).unwrap();
    let found = |v: Value| {
        let mut r = BTreeMap::new();
        r.insert("service".to_string(), ReadResult::Found(v));
        detect(&set, &r, &vars("orders"))
    };
    assert_eq!(
        found(
            json!({"services": [{"desiredCount": 0, "runningCount": 0, "pendingCount": 0, "status": "ACTIVE"}]})
        ),
        ["desired-zero"]
    );
    assert_eq!(
        found(
            json!({"services": [{"desiredCount": 9, "runningCount": 9, "pendingCount": 9, "status": "ACTIVE"}]})
        ),
        ["c", "d"]
    );
    assert!(
        found(json!({"services": [{"desiredCount": 2, "runningCount": 2, "pendingCount": 0, "status": "ACTIVE"}]}))
            .is_empty()
    );
    // a read that found nothing answers null: no cause is present
    let mut r = BTreeMap::new();
    r.insert(
        "service".to_string(),
        ReadResult::Missing {
            detail: String::new(),
        },
    );
    assert!(detect(&set, &r, &vars("orders")).is_empty());
}

#[test]
fn options_hold_the_cause_and_its_distractors_in_a_seeded_order() {
    let set = lint(&set(), None).unwrap();
    let d = set.get("zero-tasks").unwrap();
    let a = options(&set, d, 1);
    let mut ids: Vec<&str> = a.iter().map(|(id, _)| id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["b", "c", "d", "desired-zero"]);
    assert_eq!(a, options(&set, d, 1));
    assert!(
        (2..20).any(|s| options(&set, d, s) != a),
        "the order depends on the seed"
    );
    assert_eq!(pick(&a, "2"), Some(a[1].0.clone()));
    assert_eq!(pick(&a, "C"), Some(a[2].0.clone()));
    assert_eq!(pick(&a, "desired-zero"), Some("desired-zero".into()));
    assert_eq!(pick(&a, "9"), None);
    assert_eq!(pick(&a, "0"), None);
    assert_eq!(pick(&a, "nonsense"), None);
}

#[test]
fn attempts_are_rated_by_cause_fix_hints_and_time() {
    use Ending::*;
    assert_eq!(rating(WrongCause, 0, 10, 8), Rating::Again);
    assert_eq!(rating(GaveUp, 0, 10, 8), Rating::Again);
    assert_eq!(rating(Fixed, 0, 7 * 60, 8), Rating::Easy);
    assert_eq!(rating(Fixed, 0, 7 * 60 + 30, 8), Rating::Good);
    assert_eq!(rating(Fixed, 0, 8 * 60, 8), Rating::Good);
    assert_eq!(rating(Fixed, 0, 8 * 60 + 1, 8), Rating::Hard);
    assert_eq!(rating(Fixed, 1, 60, 8), Rating::Hard);
    for e in [WrongCause, GaveUp, Fixed] {
        assert_eq!(Ending::parse(e.as_str()), Some(e));
    }
}

#[test]
fn the_embedded_drills_lint_clean() {
    let catalog = crate::deck::load_catalog(&crate::deck::LoadOptions { user_dirs: vec![] })
        .unwrap_or_else(|d| panic!("{d:?}"));
    let known = crate::lab::Known::of(&catalog);
    if let Err(d) = load_drills(Some(&known)) {
        panic!(
            "{}",
            d.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[test]
fn the_plan_puts_the_most_overdue_first_and_limits_new_drills() {
    use crate::sched::CardState;
    let set = lint(&set(), None).unwrap();
    let at = |due_ms| CardState {
        due_ms,
        ..CardState::new_card()
    };
    let mut states = std::collections::HashMap::new();
    states.insert("b".to_string(), at(500));
    states.insert("c".to_string(), at(100));
    states.insert("d".to_string(), at(5000));
    let p = plan(&set, &states, 1000, 0);
    assert_eq!(p.due, ["c", "b"]);
    assert_eq!(p.new, ["zero-tasks"]);
    assert_eq!(p.next_due_ms, Some(5000));
    assert_eq!(p.next(), Some("c"));
    assert_eq!(p.today(&set), (3, 15));
    // one new drill a day: none left once one was met today
    let p = plan(&set, &states, 1000, 1);
    assert!(p.new.is_empty());
    states.clear();
    let p = plan(&set, &states, 1000, 0);
    assert_eq!((p.next(), p.due.len()), (Some("zero-tasks"), 0));
}
