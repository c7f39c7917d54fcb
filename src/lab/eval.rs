//! Lab check evaluation, pure: the answers of the reads and the learner's answers to the
//! questions go in, a verdict per check comes out. No I/O, no clock.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::{AnswerKind, Expect, Lab, Question, Vars};
use crate::grade::{normalize, parse_number};

/// What one read returned.
#[derive(Clone, Debug, PartialEq)]
pub enum ReadResult {
    Found(Value),
    /// The resource is not there; `detail` is the service's own words.
    Missing {
        detail: String,
    },
    /// A read this one depends on was missing, so it was not made.
    Skipped,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outcome {
    pub id: String,
    pub passed: bool,
    pub message: String,
    /// Whether this is a question (answered by the learner) rather than a check.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub question: bool,
    /// The card ids that teach what failed (see [`attach_cards`]); empty when it passed.
    pub cards: Vec<String>,
}

/// Names, on every failed check and question, the cards that teach it (the check's own
/// `cards`, else the lab's).
pub fn attach_cards(lab: &Lab, outcomes: &mut [Outcome]) {
    for o in outcomes.iter_mut().filter(|o| !o.passed) {
        o.cards = lab.cards_for(&o.id);
    }
}

/// The cards of all failed outcomes, each once, in order.
pub fn failed_cards(outcomes: &[Outcome]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in outcomes.iter().filter(|o| !o.passed).flat_map(|o| &o.cards) {
        if !out.contains(c) {
            out.push(c.clone());
        }
    }
    out
}

/// Runs a JMESPath expression (already linted) over a JSON value.
pub fn query(expr: &str, data: &Value) -> Result<Value, String> {
    let compiled = jmespath::compile(expr).map_err(|e| e.to_string())?;
    let var = jmespath::Variable::from_serializable(data).map_err(|e| e.to_string())?;
    let found = compiled.search(var).map_err(|e| e.to_string())?;
    serde_json::to_value(&*found).map_err(|e| e.to_string())
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(false) => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Number(_) | Value::Bool(true) => false,
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() < 1e-9,
        _ => a == b,
    }
}

/// Whether `found` meets `expect`.
pub fn meets(expect: &Expect, found: &Value) -> bool {
    match expect {
        Expect::Equals(v) => same(found, v),
        Expect::NotEquals(v) => !same(found, v),
        Expect::AtLeast(n) => found.as_f64().is_some_and(|x| x >= *n),
        Expect::AtMost(n) => found.as_f64().is_some_and(|x| x <= *n),
        Expect::Contains(v) => contains(found, v),
        Expect::NotContains(v) => !found.is_null() && !contains(found, v),
        Expect::OneOf(vs) => vs.iter().any(|v| same(found, v)),
        Expect::Exists(want) => is_empty(found) != *want,
    }
}

fn contains(found: &Value, v: &Value) -> bool {
    match found {
        Value::Array(items) => items.iter().any(|x| same(x, v)),
        Value::String(s) => v.as_str().is_some_and(|sub| s.contains(sub)),
        _ => false,
    }
}

fn show(v: &Value) -> String {
    // a text (an error message) is shown whole unless very long; JSON is cut sooner
    let (s, limit) = match v {
        Value::String(s) => (s.clone(), 480),
        Value::Null => ("nothing".to_string(), 160),
        other => (other.to_string(), 160),
    };
    if s.chars().count() > limit {
        format!("{}…", s.chars().take(limit).collect::<String>())
    } else {
        s
    }
}

fn missing_text(r: &super::Read) -> String {
    r.missing.clone().unwrap_or_default()
}

/// Why a check or question on `read` cannot be judged: the read's `missing` text (or the
/// one of the read it depends on), or `gone` when the lab's own resources are gone.
fn missing_message(
    lab: &Lab,
    read: &str,
    results: &BTreeMap<String, ReadResult>,
    gone: Option<&str>,
) -> Option<String> {
    let r = lab.reads.get(read)?;
    match results.get(read)? {
        ReadResult::Found(_) => None,
        _ if gone.is_some() => gone.map(str::to_string),
        ReadResult::Missing { detail } if detail.is_empty() => Some(missing_text(&r.value)),
        ReadResult::Missing { detail } => Some(format!("{} ({detail})", missing_text(&r.value))),
        ReadResult::Skipped => {
            // Name the first missing read this one depends on.
            let dep = r
                .value
                .sources()
                .map(|(_, from, _)| from)
                .find(|d| !matches!(results.get(*d), Some(ReadResult::Found(_))));
            Some(match dep {
                Some(d) => missing_message(lab, d, results, None).unwrap_or(missing_text(&r.value)),
                None => missing_text(&r.value),
            })
        }
    }
}

/// `${account}`, `${region}` and `${ecr}` in an expectation's values.
pub(crate) fn expand(expect: &Expect, vars: &Vars) -> Expect {
    let x = |v: &Value| vars.expand_json(v);
    match expect {
        Expect::Equals(v) => Expect::Equals(x(v)),
        Expect::NotEquals(v) => Expect::NotEquals(x(v)),
        Expect::Contains(v) => Expect::Contains(x(v)),
        Expect::NotContains(v) => Expect::NotContains(x(v)),
        Expect::OneOf(vs) => Expect::OneOf(vs.iter().map(x).collect()),
        other => other.clone(),
    }
}

/// What an expectation asks for, in words, for a failed check's message.
fn expected(expect: &Expect) -> String {
    let list = |vs: &[Value]| vs.iter().map(show).collect::<Vec<_>>().join(", ");
    match expect {
        Expect::Equals(v) => show(v),
        Expect::NotEquals(v) => format!("anything but {}", show(v)),
        Expect::AtLeast(n) => format!("at least {n}"),
        Expect::AtMost(n) => format!("at most {n}"),
        Expect::Contains(v) => format!("something that contains {}", show(v)),
        Expect::NotContains(v) => format!("something without {}", show(v)),
        Expect::OneOf(vs) => format!("one of {}", list(vs)),
        Expect::Exists(true) => "something".into(),
        Expect::Exists(false) => "nothing".into(),
    }
}

/// Whether a check or question on `read` cannot be judged because the read (or one it
/// depends on) found nothing.
pub fn read_missing(results: &BTreeMap<String, ReadResult>, read: &str) -> bool {
    !matches!(results.get(read), Some(ReadResult::Found(_)))
}

/// Every check of the lab, in file order. `gone`: the message for checks whose reads find
/// nothing because the lab's own resources are gone (see `commands::lab`).
pub fn evaluate_checks(
    lab: &Lab,
    results: &BTreeMap<String, ReadResult>,
    vars: &Vars,
    gone: Option<&str>,
) -> Vec<Outcome> {
    lab.checks
        .iter()
        .map(|c| {
            let c = &c.value;
            let id = c.id.value.clone();
            if let Some(msg) = missing_message(lab, &c.read.value, results, gone) {
                return Outcome {
                    id,
                    passed: false,
                    message: msg,
                    question: false,
                    cards: Vec::new(),
                };
            }
            let Some(ReadResult::Found(data)) = results.get(&c.read.value) else {
                return Outcome {
                    id,
                    passed: false,
                    message: format!("internal: read `{}` was not made", c.read.value),
                    question: false,
                    cards: Vec::new(),
                };
            };
            let expect = expand(&c.expect.value, vars);
            match query(&vars.expand(&c.query.value), data) {
                Ok(found) if meets(&expect, &found) => Outcome {
                    id,
                    passed: true,
                    message: c.title.clone().unwrap_or_default(),
                    question: false,
                    cards: Vec::new(),
                },
                Ok(found) => Outcome {
                    id,
                    passed: false,
                    message: format!(
                        "{} (expected {}; found {})",
                        c.fail.as_deref().unwrap_or_default(),
                        expected(&expect),
                        show(&found)
                    ),
                    question: false,
                    cards: Vec::new(),
                },
                Err(e) => Outcome {
                    id,
                    passed: false,
                    message: format!("the check's query failed: {e}"),
                    question: false,
                    cards: Vec::new(),
                },
            }
        })
        .map(|o| with_vars(o, vars))
        .collect()
}

/// An outcome's message with `${...}` filled in: titles, fail texts, `missing` texts and
/// explanations may name what the attempt drew.
fn with_vars(o: Outcome, vars: &Vars) -> Outcome {
    Outcome {
        message: vars.expand(&o.message),
        ..o
    }
}

/// The answer the live state gives to a question, if the state can answer it now.
pub fn expected_answer(
    q: &Question,
    results: &BTreeMap<String, ReadResult>,
    vars: &Vars,
) -> Option<Value> {
    let ReadResult::Found(data) = results.get(&q.read.value)? else {
        return None;
    };
    let v = query(&vars.expand(&q.query.value), data).ok()?;
    (!v.is_null()).then_some(v)
}

/// A reply as typed, without the spaces, quotes or backticks around it: identifiers compare
/// character for character after this.
fn bare(reply: &str) -> &str {
    reply
        .trim()
        .trim_matches(|c: char| c == '`' || c == '"' || c == '\'')
        .trim()
}

/// Whether the learner's reply is the answer the live state gives. Prose (`text`,
/// `error-name`) is normalised and allows one typo on long answers; identifiers (`tail`,
/// `any-of`, `identifier`: digests, ARNs, IPs, ids) and numbers compare exactly, since an
/// identifier one character off names something else.
pub fn answer_matches(kind: AnswerKind, expected: &Value, reply: &str) -> bool {
    let reply_norm = normalize(reply);
    if reply_norm.is_empty() {
        return false;
    }
    let text_matches = |want: &str| {
        let want = normalize(want);
        want == reply_norm
            || (want.chars().count() >= 12 && crate::grade::within_edits(&want, &reply_norm, 1))
    };
    let exact = bare(reply);
    let same_number = |v: &Value| {
        parse_number(reply)
            .zip(v.as_f64())
            .is_some_and(|(a, b)| (a - b).abs() < 1e-9)
    };
    match kind {
        AnswerKind::Number => same_number(expected),
        AnswerKind::Text => expected.as_str().is_some_and(text_matches),
        AnswerKind::ErrorName => expected.as_str().is_some_and(|s| {
            text_matches(s)
                || s.split_once(':')
                    .is_some_and(|(name, _)| text_matches(name))
        }),
        AnswerKind::Identifier => expected.as_str().is_some_and(|s| s == exact),
        AnswerKind::Tail => expected.as_str().is_some_and(|s| {
            s == exact
                || s.char_indices()
                    .filter(|(_, c)| *c == '/' || *c == ':')
                    .any(|(i, _)| &s[i + 1..] == exact)
        }),
        AnswerKind::AnyOf => match expected {
            Value::Array(items) => items.iter().any(|v| match v {
                Value::String(s) => s == exact,
                other => same_number(other),
            }),
            Value::String(s) => s == exact,
            other => same_number(other),
        },
    }
}

/// Every question, judged against the learner's replies (question id → reply).
pub fn evaluate_questions(
    lab: &Lab,
    results: &BTreeMap<String, ReadResult>,
    replies: &BTreeMap<String, String>,
    vars: &Vars,
    gone: Option<&str>,
) -> Vec<Outcome> {
    lab.questions
        .iter()
        .map(|q| {
            let q = &q.value;
            let id = q.id.value.clone();
            let outcome = |passed, message| Outcome {
                id: id.clone(),
                passed,
                message,
                question: true,
                cards: Vec::new(),
            };
            let Some(expected) = expected_answer(q, results, vars) else {
                let why = missing_message(lab, &q.read.value, results, gone)
                    .unwrap_or_else(|| "the sandbox has nothing to answer it from yet".into());
                return outcome(false, format!("{} — cannot be answered yet: {why}", q.ask));
            };
            match replies.get(&id) {
                None => outcome(
                    false,
                    format!("{} — not answered (run `ecsdrill lab check` in a terminal, or pass --answer {id}=...)", q.ask),
                ),
                Some(r) if answer_matches(q.answer.value, &expected, r) => {
                    outcome(true, format!("{} — right: {}", q.ask, q.explain))
                }
                Some(r) => outcome(
                    false,
                    format!("{} — `{r}` is not what the live state says; look again with the commands of the lab's steps", q.ask),
                ),
            }
        })
        .map(|o| with_vars(o, vars))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expectations() {
        let cases = [
            (Expect::Equals(json!("ACTIVE")), json!("ACTIVE"), true),
            (Expect::Equals(json!(2)), json!(2.0), true),
            (Expect::Equals(json!(true)), json!(null), false),
            (Expect::NotEquals(json!("a")), json!("b"), true),
            (Expect::AtLeast(2.0), json!(2), true),
            (Expect::AtLeast(2.0), json!(1), false),
            (Expect::AtLeast(2.0), json!(null), false),
            (Expect::AtMost(2.0), json!(3), false),
            (Expect::Contains(json!("x")), json!(["a", "x"]), true),
            (Expect::Contains(json!("ecr")), json!("1.dkr.ecr.x"), true),
            (Expect::Contains(json!("x")), json!(null), false),
            (Expect::NotContains(json!("x")), json!(["a"]), true),
            (Expect::NotContains(json!("x")), json!(null), false),
            (Expect::OneOf(vec![json!(1), json!(2)]), json!(2), true),
            (Expect::Exists(true), json!([]), false),
            (Expect::Exists(true), json!(["a"]), true),
            (Expect::Exists(false), json!(null), true),
        ];
        for (e, v, want) in cases {
            assert_eq!(meets(&e, &v), want, "{e:?} on {v}");
        }
    }

    #[test]
    fn a_failed_check_says_what_was_expected_and_what_was_found() {
        let cases = [
            (Expect::AtLeast(2.0), "at least 2"),
            (Expect::Equals(json!("ACTIVE")), "ACTIVE"),
            (Expect::NotEquals(json!(0)), "anything but 0"),
            (Expect::OneOf(vec![json!(1), json!(2)]), "one of 1, 2"),
            (Expect::Exists(true), "something"),
        ];
        for (e, want) in cases {
            assert_eq!(expected(&e), want);
        }
        assert_eq!(show(&json!(null)), "nothing");
    }

    #[test]
    fn queries_may_compare_with_the_lab_start() {
        let vars = Vars {
            lab_started: 1_700_000_100.0,
            workspace: String::new(),
            ..Vars::sample()
        };
        let data = json!({"tasks": [
            {"createdAt": 1_700_000_000.5, "stopCode": "UserInitiated"},
            {"createdAt": 1_700_000_200.25, "stopCode": "EssentialContainerExited"},
            {"createdAt": 1_700_000_150, "stopCode": "UserInitiated"}]});
        let newest = "sort_by(tasks[?createdAt >= `${lab_started}`], &createdAt)[-1].stopCode";
        assert_eq!(
            query(&vars.expand(newest), &data).unwrap(),
            json!("EssentialContainerExited")
        );
        let since = "length(tasks[?createdAt >= `${lab_started}`])";
        assert_eq!(query(&vars.expand(since), &data).unwrap(), json!(2));
    }

    #[test]
    fn queries_are_jmespath() {
        let data =
            json!({"services": [{"deployments": [{"status": "PRIMARY"}, {"status": "ACTIVE"}]}]});
        assert_eq!(
            query("length(services[0].deployments)", &data).unwrap(),
            json!(2)
        );
        assert_eq!(
            query(
                "services[0].deployments[?status=='PRIMARY'] | [0].status",
                &data
            )
            .unwrap(),
            json!("PRIMARY")
        );
    }

    #[test]
    fn answers() {
        let reason =
            json!("CannotPullContainerError: pull image manifest has been retried 5 time(s): 403");
        assert!(answer_matches(
            AnswerKind::ErrorName,
            &reason,
            "cannotpullcontainererror"
        ));
        assert!(answer_matches(
            AnswerKind::ErrorName,
            &reason,
            reason.as_str().unwrap()
        ));
        assert!(!answer_matches(
            AnswerKind::ErrorName,
            &reason,
            "ResourceInitializationError"
        ));
        assert!(answer_matches(
            AnswerKind::Text,
            &json!("Essential container in task exited"),
            "essential container in task exitd"
        ));
        assert!(!answer_matches(AnswerKind::Text, &json!("x"), ""));
        assert!(answer_matches(AnswerKind::Number, &json!(4), "4"));
        assert!(!answer_matches(
            AnswerKind::Number,
            &json!(4),
            "four and a half"
        ));
        assert!(answer_matches(AnswerKind::AnyOf, &json!([3, 4]), "4"));
        let arn = json!("arn:aws:ecs:us-east-1:123456789012:task-definition/web:2");
        assert!(answer_matches(AnswerKind::Tail, &arn, "web:2"));
        assert!(answer_matches(
            AnswerKind::Tail,
            &arn,
            arn.as_str().unwrap()
        ));
        assert!(!answer_matches(AnswerKind::Tail, &arn, "web:3"));
        assert!(answer_matches(
            AnswerKind::AnyOf,
            &json!(["web:2"]),
            "web:2"
        ));
    }

    /// Identifiers one character off name something else: no typo tolerance (issue 13).
    #[test]
    fn identifiers_and_numbers_compare_exactly() {
        let digest = "sha256:6b1f9e0c2d3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c";
        let wrong_digest =
            "sha256:6b1f9e0c2d3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9d";
        assert!(answer_matches(AnswerKind::Tail, &json!(digest), digest));
        assert!(answer_matches(
            AnswerKind::Tail,
            &json!(digest),
            &format!(" `{digest}` ")
        ));
        assert!(answer_matches(
            AnswerKind::Tail,
            &json!(digest),
            &digest[7..]
        ));
        assert!(!answer_matches(
            AnswerKind::Tail,
            &json!(digest),
            wrong_digest
        ));
        assert!(!answer_matches(
            AnswerKind::Tail,
            &json!(digest),
            &wrong_digest[7..]
        ));
        assert!(!answer_matches(
            AnswerKind::Tail,
            &json!(digest),
            &digest.to_uppercase()
        ));
        let ips = json!(["172.31.96.21"]);
        assert!(answer_matches(AnswerKind::AnyOf, &ips, "172.31.96.21"));
        assert!(!answer_matches(AnswerKind::AnyOf, &ips, "172.31.96.22"));
        assert!(!answer_matches(AnswerKind::AnyOf, &ips, "172.31.96.2"));
        assert!(!answer_matches(AnswerKind::AnyOf, &ips, "172 31 96 21"));
        let uri = json!("123456789012.dkr.ecr.us-east-1.amazonaws.com/web");
        assert!(answer_matches(
            AnswerKind::Identifier,
            &uri,
            uri.as_str().unwrap()
        ));
        assert!(!answer_matches(
            AnswerKind::Identifier,
            &uri,
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/wep"
        ));
        assert!(!answer_matches(AnswerKind::Identifier, &uri, "web"));
        let arn = json!("arn:aws:iam::123456789012:role/ecsdrill-exec");
        assert!(answer_matches(AnswerKind::Tail, &arn, "ecsdrill-exec"));
        assert!(!answer_matches(AnswerKind::Tail, &arn, "ecsdrill-exek"));
        assert!(!answer_matches(AnswerKind::Number, &json!(1), "2"));
        assert!(!answer_matches(AnswerKind::Number, &json!(10), "1"));
        assert!(answer_matches(AnswerKind::Number, &json!(1), "1.0"));
    }
}
