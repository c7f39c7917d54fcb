//! The read plan of a lab: which reads run in which wave, the parameters of each (its own,
//! with `${...}` expanded, plus those `with` takes from earlier answers), and what a read
//! stands for when it cannot be made or finds nothing. It is pure and synchronous; making
//! the calls is a [`Reader`]'s job (the AWS edge runs a wave's calls concurrently), so the
//! plan is tested with a fake one.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::eval::{ReadResult, query};
use super::load::read_waves;
use super::ops::ReadAction;
use super::{Lab, Vars};
use crate::error::Failure;

/// One call to make: the operation and its parameters, ready to send.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadCall {
    pub action: ReadAction,
    pub params: Map<String, Value>,
}

/// Makes the calls of one wave; answers come back in the order of `calls`.
pub trait Reader {
    fn read_wave(&self, calls: &[ReadCall]) -> Vec<Result<Value, Failure>>;
}

/// Makes every read of a lab, wave after wave. "Not found" is an answer (missing); any other
/// failure stops the plan.
pub fn read_all(
    lab: &Lab,
    vars: &Vars,
    reader: &dyn Reader,
) -> Result<BTreeMap<String, ReadResult>, Failure> {
    read_some(lab, vars, reader, None)
}

/// The reads named in `wanted` and those they take parameters from (`with`); every read
/// when `None`. A drill's check needs a few of the many reads its baseline has.
pub fn read_some(
    lab: &Lab,
    vars: &Vars,
    reader: &dyn Reader,
    wanted: Option<&[&str]>,
) -> Result<BTreeMap<String, ReadResult>, Failure> {
    let needed = wanted.map(|w| with_sources(lab, w));
    let mut done: BTreeMap<String, ReadResult> = BTreeMap::new();
    for wave in read_waves(lab) {
        let mut names = Vec::new();
        let mut calls = Vec::new();
        for name in wave {
            if needed.as_ref().is_some_and(|n| !n.contains(name)) {
                continue;
            }
            match read_params(lab, name, vars, &done) {
                Ok(params) => {
                    names.push(name);
                    calls.push(ReadCall {
                        action: lab.reads[name].value.action.value,
                        params,
                    });
                }
                Err(instead) => {
                    done.insert(name.to_string(), instead);
                }
            }
        }
        if calls.is_empty() {
            continue;
        }
        for (name, answer) in names.into_iter().zip(reader.read_wave(&calls)) {
            let result = match answer {
                Ok(v) if missing_when(lab, name, vars, &v) => ReadResult::Missing {
                    detail: String::new(),
                },
                Ok(v) => ReadResult::Found(v),
                Err(Failure::NotFound(detail)) => ReadResult::Missing { detail },
                Err(f) => return Err(f),
            };
            done.insert(name.to_string(), result);
        }
    }
    Ok(done)
}

/// `names` and, transitively, the reads they take parameters from.
fn with_sources<'a>(lab: &'a Lab, names: &[&str]) -> std::collections::BTreeSet<&'a str> {
    let mut out = std::collections::BTreeSet::new();
    let mut todo: Vec<&str> = names.to_vec();
    while let Some(n) = todo.pop() {
        let Some((name, read)) = lab.reads.get_key_value(n) else {
            continue;
        };
        if out.insert(name.as_str()) {
            todo.extend(read.value.sources().map(|(_, from, _)| from));
        }
    }
    out
}

/// Whether the read's `missing_when` says this answer means "not there".
fn missing_when(lab: &Lab, name: &str, vars: &Vars, answer: &Value) -> bool {
    lab.reads[name]
        .value
        .missing_when
        .as_ref()
        .and_then(|m| query(&vars.expand(&m.value), answer).ok())
        .is_some_and(|x| x == Value::Bool(true))
}

/// The parameters of one read: its own (with `${...}` expanded) plus those `with` computes
/// from earlier answers. When it cannot be made, the result it stands for instead: skipped
/// (a source read is not there) or missing (a source is there but gives nothing to ask about).
fn read_params(
    lab: &Lab,
    name: &str,
    vars: &Vars,
    done: &BTreeMap<String, ReadResult>,
) -> Result<Map<String, Value>, ReadResult> {
    let read = &lab.reads[name].value;
    let mut params: Map<String, Value> = read
        .params
        .iter()
        .map(|(k, v)| (k.clone(), vars.expand_json(&v.value)))
        .collect();
    let nothing = || ReadResult::Missing {
        detail: String::new(),
    };
    for (param, from, expr) in read.sources() {
        let Some(ReadResult::Found(data)) = done.get(from) else {
            return Err(ReadResult::Skipped);
        };
        let v = query(&vars.expand(expr.unwrap_or("@")), data).map_err(|_| nothing())?;
        // a list parameter holds what is there: `[null]` (a field not set) asks about nothing
        let v = match v {
            Value::Array(items) => {
                Value::Array(items.into_iter().filter(|x| !x.is_null()).collect())
            }
            other => other,
        };
        if v.is_null() || v.as_array().is_some_and(Vec::is_empty) {
            return Err(nothing());
        }
        params.insert(param.to_string(), v);
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use serde_json::json;

    use super::*;

    /// What the fake answers an operation, given its parameters.
    type Answer = fn(&Map<String, Value>) -> Result<Value, Failure>;

    /// Answers by operation, and records each wave it was asked.
    struct Fake {
        answers: Vec<(ReadAction, Answer)>,
        waves: RefCell<Vec<Vec<ReadCall>>>,
    }

    impl Fake {
        /// The operations asked, wave by wave.
        fn actions(&self) -> Vec<Vec<ReadAction>> {
            self.waves
                .borrow()
                .iter()
                .map(|w| w.iter().map(|c| c.action).collect())
                .collect()
        }
    }

    impl Reader for Fake {
        fn read_wave(&self, calls: &[ReadCall]) -> Vec<Result<Value, Failure>> {
            self.waves.borrow_mut().push(calls.to_vec());
            calls
                .iter()
                .map(|c| {
                    let (_, answer) = self
                        .answers
                        .iter()
                        .find(|(a, _)| *a == c.action)
                        .expect("an answer for every action");
                    answer(&c.params)
                })
                .collect()
        }
    }

    fn fake(answers: Vec<(ReadAction, Answer)>) -> Fake {
        Fake {
            answers,
            waves: RefCell::new(Vec::new()),
        }
    }

    const LAB: &str = r#"format_version: 1
id: plan
title: Plan
topics: [cluster]
minutes: 5
intro: Reads.
steps:
  - title: One
    text: Do it.
reads:
  cluster:
    action: ecs:DescribeClusters
    params: {clusters: ["drill-${region}"]}
    missing_when: "length(clusters[?status=='ACTIVE']) == `0`"
    missing: "No cluster."
  names:
    action: ecs:ListServices
    params: {cluster: drill}
    missing: "No cluster."
  services:
    action: ecs:DescribeServices
    params: {cluster: drill}
    with: {services: "names | serviceArns"}
    missing: "No services."
  tasks:
    action: ecs:ListTasks
    params: {cluster: drill}
    with: {serviceName: "services | services[0].serviceName"}
    missing: "No tasks."
checks:
  - id: active
    title: the cluster is active
    read: cluster
    query: "clusters[0].status"
    expect: {equals: ACTIVE}
    fail: "Create the cluster."
"#;

    fn lab() -> Lab {
        let set = super::super::load::lint(&[("labs/plan.yaml".into(), LAB.into())], None)
            .unwrap_or_else(|d| {
                panic!("{:?}", d.iter().map(|d| d.to_string()).collect::<Vec<_>>())
            });
        set.labs.into_iter().next().unwrap()
    }

    fn active(_: &Map<String, Value>) -> Result<Value, Failure> {
        Ok(json!({"clusters": [{"status": "ACTIVE"}]}))
    }

    fn two_services(_: &Map<String, Value>) -> Result<Value, Failure> {
        Ok(json!({"serviceArns": ["arn:web", "arn:api"]}))
    }

    fn web(params: &Map<String, Value>) -> Result<Value, Failure> {
        assert_eq!(params["services"], json!(["arn:web", "arn:api"]));
        Ok(json!({"services": [{"serviceName": "web"}]}))
    }

    fn tasks(params: &Map<String, Value>) -> Result<Value, Failure> {
        assert_eq!(params["serviceName"], json!("web"));
        Ok(json!({"taskArns": ["arn:task"]}))
    }

    fn found(results: &BTreeMap<String, ReadResult>, name: &str) -> bool {
        matches!(results[name], ReadResult::Found(_))
    }

    #[test]
    fn reads_run_in_waves_with_params_from_earlier_answers() {
        let reader = fake(vec![
            (ReadAction::EcsDescribeClusters, active),
            (ReadAction::EcsListServices, two_services),
            (ReadAction::EcsDescribeServices, web),
            (ReadAction::EcsListTasks, tasks),
        ]);
        let results = read_all(&lab(), &Vars::sample(), &reader).unwrap();
        assert!(
            ["cluster", "names", "services", "tasks"]
                .iter()
                .all(|n| found(&results, n))
        );
        let waves = reader.actions();
        assert_eq!(
            waves,
            vec![
                vec![ReadAction::EcsDescribeClusters, ReadAction::EcsListServices],
                vec![ReadAction::EcsDescribeServices],
                vec![ReadAction::EcsListTasks],
            ]
        );
        let first = &reader.waves.borrow()[0][0];
        assert_eq!(first.params["clusters"], json!(["drill-us-east-1"]));
    }

    #[test]
    fn some_reads_bring_only_their_sources() {
        let reader = fake(vec![
            (ReadAction::EcsDescribeClusters, active),
            (ReadAction::EcsListServices, two_services),
            (ReadAction::EcsDescribeServices, web),
            (ReadAction::EcsListTasks, tasks),
        ]);
        let results = read_some(&lab(), &Vars::sample(), &reader, Some(&["services"])).unwrap();
        assert!(found(&results, "services") && found(&results, "names"));
        assert!(!results.contains_key("cluster") && !results.contains_key("tasks"));
        let waves = reader.actions();
        assert_eq!(
            waves,
            vec![
                vec![ReadAction::EcsListServices],
                vec![ReadAction::EcsDescribeServices]
            ]
        );
    }

    #[test]
    fn a_missing_source_skips_and_an_empty_one_is_missing() {
        fn not_found(_: &Map<String, Value>) -> Result<Value, Failure> {
            Err(Failure::NotFound("ClusterNotFoundException: gone".into()))
        }
        fn no_services(_: &Map<String, Value>) -> Result<Value, Failure> {
            Ok(json!({"serviceArns": []}))
        }
        let reader = fake(vec![
            (ReadAction::EcsDescribeClusters, active),
            (ReadAction::EcsListServices, not_found),
        ]);
        let results = read_all(&lab(), &Vars::sample(), &reader).unwrap();
        assert_eq!(
            results["names"],
            ReadResult::Missing {
                detail: "ClusterNotFoundException: gone".into()
            }
        );
        assert_eq!(results["services"], ReadResult::Skipped);
        assert_eq!(results["tasks"], ReadResult::Skipped);
        assert_eq!(reader.waves.borrow().len(), 1, "nothing left to call");

        let reader = fake(vec![
            (ReadAction::EcsDescribeClusters, active),
            (ReadAction::EcsListServices, no_services),
        ]);
        let results = read_all(&lab(), &Vars::sample(), &reader).unwrap();
        let nothing = ReadResult::Missing {
            detail: String::new(),
        };
        assert_eq!(results["services"], nothing);
        assert_eq!(results["tasks"], ReadResult::Skipped);

        // a list of fields that are not set (`[null]`) asks about nothing either
        fn unset(_: &Map<String, Value>) -> Result<Value, Failure> {
            Ok(json!({"serviceArns": [null]}))
        }
        let reader = fake(vec![
            (ReadAction::EcsDescribeClusters, active),
            (ReadAction::EcsListServices, unset),
        ]);
        let results = read_all(&lab(), &Vars::sample(), &reader).unwrap();
        assert_eq!(results["services"], nothing);
    }

    #[test]
    fn missing_when_makes_an_answer_missing() {
        fn inactive(_: &Map<String, Value>) -> Result<Value, Failure> {
            Ok(json!({"clusters": [{"status": "INACTIVE"}]}))
        }
        let reader = fake(vec![
            (ReadAction::EcsDescribeClusters, inactive),
            (ReadAction::EcsListServices, two_services),
            (ReadAction::EcsDescribeServices, web),
            (ReadAction::EcsListTasks, tasks),
        ]);
        let results = read_all(&lab(), &Vars::sample(), &reader).unwrap();
        assert_eq!(
            results["cluster"],
            ReadResult::Missing {
                detail: String::new()
            }
        );
        assert!(found(&results, "tasks"));
    }

    #[test]
    fn another_failure_stops_the_plan() {
        fn denied(_: &Map<String, Value>) -> Result<Value, Failure> {
            Err(Failure::AccessDenied {
                action: "ecs:ListServices".into(),
                message: "no".into(),
            })
        }
        let reader = fake(vec![
            (ReadAction::EcsDescribeClusters, active),
            (ReadAction::EcsListServices, denied),
        ]);
        let err = read_all(&lab(), &Vars::sample(), &reader).unwrap_err();
        assert!(matches!(err, Failure::AccessDenied { .. }), "{err:?}");
        assert_eq!(reader.waves.borrow().len(), 1);
    }
}
