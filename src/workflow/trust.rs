//! Would STS let a GitHub Actions OIDC token assume a role with `sts:AssumeRoleWithWebIdentity`?
//! Evaluates an IAM trust policy the way IAM does, so a learner's `configure-aws-credentials`
//! step can be replayed offline and the trust probed for breadth (other branches, pull requests,
//! other repos). Pure: JSON in, data out.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// The GitHub OIDC issuer (no https://).
pub const GITHUB_ISSUER: &str = "token.actions.githubusercontent.com";
/// The audience configure-aws-credentials asks for by default.
pub const DEFAULT_AUDIENCE: &str = "sts.amazonaws.com";

const ACTION: &str = "sts:AssumeRoleWithWebIdentity";

/// Who asks: the federated principal (the IAM OIDC provider's ARN) and the token's claims
/// ("sub", "aud", and optionally others such as "repository", "ref", "job_workflow_ref").
pub struct WebIdentity<'a> {
    pub provider_arn: &'a str,
    pub issuer: &'a str,
    pub claims: &'a BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// `statement` is the 0-based index of the first Allow statement that matched.
    Allowed { statement: usize },
    /// An explicit Deny statement matched (it wins over any Allow).
    Denied { statement: usize },
    /// Nothing allowed it; `reason` says, in a learner's words, why the closest Allow statement did not match
    NotAllowed { reason: String },
}

/// How far a statement got before it failed; the furthest Allow is the one worth explaining.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Shape,
    Action,
    Principal,
    Condition,
}

struct Miss {
    stage: Stage,
    reason: String,
}

pub fn evaluate(policy: &Value, who: &WebIdentity) -> Decision {
    let statements = match statements(policy) {
        Ok(s) => s,
        Err(reason) => return Decision::NotAllowed { reason },
    };
    let mut allowed = None;
    let mut best: Option<Miss> = None;
    for (i, st) in statements.iter().enumerate() {
        let result = check_statement(i, st, who);
        match st.get("Effect").and_then(Value::as_str) {
            Some("Deny") => {
                if result.is_ok() {
                    return Decision::Denied { statement: i };
                }
            }
            Some("Allow") => match result {
                Ok(()) => {
                    allowed.get_or_insert(i);
                }
                Err(miss) => keep_best(&mut best, miss),
            },
            other => {
                let reason = match other {
                    None if st.is_object() => format!("statement {i} has no Effect"),
                    None => format!("statement {i} is not a JSON object"),
                    Some(e) => format!("statement {i}: Effect is {e:?}, not \"Allow\" or \"Deny\""),
                };
                let stage = Stage::Shape;
                keep_best(&mut best, Miss { stage, reason });
            }
        }
    }
    match (allowed, best) {
        (Some(statement), _) => Decision::Allowed { statement },
        (None, Some(miss)) => Decision::NotAllowed {
            reason: miss.reason,
        },
        (None, None) => Decision::NotAllowed {
            reason: format!(
                "the policy has no Allow statement; it needs one allowing {ACTION} to {}",
                wanted_principal(who.provider_arn)
            ),
        },
    }
}

fn keep_best(best: &mut Option<Miss>, miss: Miss) {
    if best.as_ref().is_none_or(|b| miss.stage > b.stage) {
        *best = Some(miss);
    }
}

fn statements(policy: &Value) -> Result<Vec<&Value>, String> {
    let Some(doc) = policy.as_object() else {
        return Err("the trust policy is not a JSON object".into());
    };
    match doc.get("Statement") {
        Some(Value::Array(list)) => Ok(list.iter().collect()),
        Some(one @ Value::Object(_)) => Ok(vec![one]),
        Some(_) => Err("the trust policy's Statement is neither a list nor an object".into()),
        None => Err("the trust policy has no Statement".into()),
    }
}

fn check_statement(i: usize, st: &Value, who: &WebIdentity) -> Result<(), Miss> {
    let miss = |stage, reason| Miss { stage, reason };
    let Some(st) = st.as_object() else {
        return Err(miss(
            Stage::Shape,
            format!("statement {i} is not a JSON object"),
        ));
    };
    check_action(st).map_err(|r| miss(Stage::Action, format!("statement {i}: {r}")))?;
    check_principal(st, who.provider_arn)
        .map_err(|r| miss(Stage::Principal, format!("statement {i} {r}")))?;
    check_conditions(st.get("Condition"), who)
        .map_err(|r| miss(Stage::Condition, format!("statement {i}: {r}")))
}

/// Strings of a `"x"` or `["x", "y"]` element; numbers and booleans as IAM reads them.
fn strings(v: &Value) -> Option<Vec<String>> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match v {
        Value::Array(list) => list.iter().map(one).collect(),
        v => one(v).map(|s| vec![s]),
    }
}

fn check_action(st: &serde_json::Map<String, Value>) -> Result<(), String> {
    let covers = |p: &str| glob(&p.to_lowercase(), &ACTION.to_lowercase());
    if let Some(v) = st.get("Action") {
        let patterns = strings(v).unwrap_or_default();
        if patterns.iter().any(|p| covers(p)) {
            return Ok(());
        }
        let allows = if patterns
            .iter()
            .any(|p| p.eq_ignore_ascii_case("sts:AssumeRole"))
        {
            "sts:AssumeRole".to_string()
        } else if patterns.is_empty() {
            "no action".to_string()
        } else {
            patterns.join(", ")
        };
        return Err(format!(
            "the statement allows {allows}, a web identity needs {ACTION}"
        ));
    }
    if let Some(v) = st.get("NotAction") {
        let patterns = strings(v).unwrap_or_default();
        return match patterns.iter().find(|p| covers(p)) {
            Some(p) => Err(format!("its NotAction {p} excludes {ACTION}")),
            None => Ok(()),
        };
    }
    Err(format!(
        "the statement has no Action; it needs \"Action\": \"{ACTION}\""
    ))
}

fn wanted_principal(arn: &str) -> String {
    format!("{{\"Federated\": \"{arn}\"}}")
}

fn check_principal(st: &serde_json::Map<String, Value>, arn: &str) -> Result<(), String> {
    let needs = || format!("it needs \"Principal\": {}", wanted_principal(arn));
    if st.contains_key("NotPrincipal") {
        return Err(format!(
            "uses NotPrincipal, which is unsupported in trust policies for a web identity; {}",
            needs()
        ));
    }
    let principals = match st.get("Principal") {
        None => return Err(format!("has no Principal; {}", needs())),
        Some(Value::String(s)) if s == "*" => return Ok(()),
        Some(Value::Object(map)) => map,
        Some(other) => return Err(format!("has Principal {other}; {}", needs())),
    };
    let mut trusted = Vec::new();
    for (kind, v) in principals {
        let names = strings(v).unwrap_or_default();
        match kind.as_str() {
            "Federated" if names.iter().any(|n| n == arn) => return Ok(()),
            // {"AWS": "*"} is IAM's other spelling of "*".
            "AWS" if names.iter().any(|n| n == "*") => return Ok(()),
            _ => {}
        }
        let label = match kind.as_str() {
            "Federated" => "the federated provider",
            "AWS" => "the AWS principal",
            "Service" => "the service",
            "CanonicalUser" => "the canonical user",
            other => other,
        };
        trusted.push(format!("{label} {}", names.join(", ")));
    }
    if trusted.is_empty() {
        return Err(format!("has an empty Principal; {}", needs()));
    }
    Err(format!(
        "trusts {}, not the OIDC provider {arn}; {}",
        trusted.join(" and "),
        needs()
    ))
}

#[derive(Clone, Copy, PartialEq)]
enum Base {
    Equals,
    NotEquals,
    EqualsIgnoreCase,
    NotEqualsIgnoreCase,
    Like,
    NotLike,
    Null,
}

#[derive(Clone, Copy, PartialEq)]
enum Set {
    Single,
    AnyValue,
    AllValues,
}

struct Operator {
    base: Base,
    set: Set,
    if_exists: bool,
}

fn parse_operator(name: &str) -> Option<Operator> {
    let (set, rest) = if let Some(r) = name.strip_prefix("ForAnyValue:") {
        (Set::AnyValue, r)
    } else if let Some(r) = name.strip_prefix("ForAllValues:") {
        (Set::AllValues, r)
    } else {
        (Set::Single, name)
    };
    let (rest, if_exists) = match rest.strip_suffix("IfExists") {
        Some(r) => (r, true),
        None => (rest, false),
    };
    let base = match rest {
        "StringEquals" => Base::Equals,
        "StringNotEquals" => Base::NotEquals,
        "StringEqualsIgnoreCase" => Base::EqualsIgnoreCase,
        "StringNotEqualsIgnoreCase" => Base::NotEqualsIgnoreCase,
        "StringLike" => Base::Like,
        "StringNotLike" => Base::NotLike,
        "Null" if set == Set::Single && !if_exists => Base::Null,
        _ => return None,
    };
    Some(Operator {
        base,
        set,
        if_exists,
    })
}

fn check_conditions(cond: Option<&Value>, who: &WebIdentity) -> Result<(), String> {
    let Some(cond) = cond else { return Ok(()) };
    let Some(cond) = cond.as_object() else {
        return Err("its Condition is not an object".into());
    };
    for (name, block) in cond {
        let op = parse_operator(name).ok_or(format!("unsupported condition operator {name}"))?;
        let Some(block) = block.as_object() else {
            return Err(format!("its {name} condition is not an object"));
        };
        for (key, v) in block {
            let values =
                strings(v).ok_or(format!("the {name} values for {key} are not strings"))?;
            check_one(&op, name, key, &values, who)?;
        }
    }
    Ok(())
}

enum Lookup<'a> {
    Present(&'a str, &'a str),
    /// Why the key is missing, for the reason.
    Absent(String),
}

fn strip_scheme(s: &str) -> &str {
    s.strip_prefix("https://").unwrap_or(s)
}

fn lookup<'a>(key: &str, who: &'a WebIdentity) -> Lookup<'a> {
    if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
        return Lookup::Absent(format!("this request has no {key}"));
    }
    let Some((issuer, claim)) = key.rsplit_once(':') else {
        return Lookup::Absent(format!("this token has no {key}"));
    };
    if !strip_scheme(issuer).eq_ignore_ascii_case(strip_scheme(who.issuer)) {
        return Lookup::Absent(format!(
            "this token comes from {}, so it has no {key}",
            who.issuer
        ));
    }
    match who
        .claims
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(claim))
    {
        Some((k, v)) => Lookup::Present(k, v),
        None => Lookup::Absent(format!("this token has no {claim}")),
    }
}

fn check_one(
    op: &Operator,
    name: &str,
    key: &str,
    values: &[String],
    who: &WebIdentity,
) -> Result<(), String> {
    let flag = |f: &str| values.iter().any(|v| v.eq_ignore_ascii_case(f));
    match (op.base, lookup(key, who)) {
        (Base::Null, Lookup::Absent(why)) => match flag("true") {
            true => Ok(()),
            false => Err(format!("Null on {key} wants {key} present; {why}")),
        },
        (Base::Null, Lookup::Present(claim, got)) => match flag("false") {
            true => Ok(()),
            false => Err(format!(
                "Null on {key} wants {key} absent; this token's {claim} is {got}"
            )),
        },
        (_, Lookup::Absent(_)) if op.if_exists || op.set == Set::AllValues => Ok(()),
        (base, Lookup::Absent(why)) => Err(format!(
            "{name} on {key} wants {}; {why}",
            describe(base, values)
        )),
        (base, Lookup::Present(claim, got)) => match holds(base, values, got) {
            true => Ok(()),
            false => Err(format!(
                "{name} on {key} wants {}; this token's {claim} is {got}",
                describe(base, values)
            )),
        },
    }
}

/// A single present value (a one-element set, so ForAnyValue/ForAllValues behave alike).
fn holds(base: Base, values: &[String], got: &str) -> bool {
    let ic = |v: &String| v.to_lowercase() == got.to_lowercase();
    match base {
        Base::Equals => values.iter().any(|v| v == got),
        Base::NotEquals => !values.iter().any(|v| v == got),
        Base::EqualsIgnoreCase => values.iter().any(ic),
        Base::NotEqualsIgnoreCase => !values.iter().any(ic),
        Base::Like => values.iter().any(|v| glob(v, got)),
        Base::NotLike => !values.iter().any(|v| glob(v, got)),
        Base::Null => false,
    }
}

fn describe(base: Base, values: &[String]) -> String {
    let list = values.join(", ");
    let any = if values.len() == 1 {
        list.clone()
    } else {
        format!("one of {list}")
    };
    let not = if values.len() == 1 {
        format!("anything but {list}")
    } else {
        format!("none of {list}")
    };
    match base {
        Base::Equals | Base::Like => any,
        Base::EqualsIgnoreCase => format!("{any} (ignoring case)"),
        Base::NotEquals | Base::NotLike => not,
        Base::NotEqualsIgnoreCase => format!("{not} (ignoring case)"),
        Base::Null => String::new(),
    }
}

/// IAM glob: `*` is any run (even empty), `?` one character; case-sensitive.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

fn token(repo: &str, sub: String, git_ref: &str, aud: &str) -> BTreeMap<String, String> {
    let owner = repo.split_once('/').map_or(repo, |(o, _)| o);
    [
        ("sub", sub),
        ("aud", aud.to_string()),
        ("repository", repo.to_string()),
        ("ref", git_ref.to_string()),
        ("repository_owner", owner.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The token GitHub gives a job of `repo` ("owner/name") on a push to `branch`, for the default audience.
pub fn push_claims(repo: &str, branch: &str) -> BTreeMap<String, String> {
    let sub = format!("repo:{repo}:ref:refs/heads/{branch}");
    token(repo, sub, &format!("refs/heads/{branch}"), DEFAULT_AUDIENCE)
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Probe {
    /// kebab-case id, one of: "push-to-branch", "other-branch", "pull-request", "environment", "other-repo-same-owner", "other-owner", "other-audience"
    pub id: &'static str,
    pub sub: String,
    pub aud: String,
    pub allowed: bool,
}

/// A name different from `taken` (so a probe never coincides with the real token).
fn other<'a>(preferred: &'a str, fallback: &'a str, taken: &str) -> &'a str {
    if preferred == taken {
        fallback
    } else {
        preferred
    }
}

/// Evaluates the trust policy against the token of a push of `repo` to `branch` and tokens
/// that must NOT get in: the same repo's other branch ("feature/x"), a pull request
/// ("repo:O/R:pull_request"), an environment job ("repo:O/R:environment:production"), another repo of the same
/// owner ("repo:O/other-repo:ref:refs/heads/BRANCH"), another owner ("repo:someone-else/R:ref:refs/heads/BRANCH"),
/// and the right sub with another audience ("https://github.com/O"). All with the same provider ARN. In that order.
pub fn probes(policy: &Value, provider_arn: &str, repo: &str, branch: &str) -> Vec<Probe> {
    let (owner, name) = repo.split_once('/').unwrap_or((repo, repo));
    let push = push_claims(repo, branch);
    let head = format!("refs/heads/{branch}");

    let pull_request = token(
        repo,
        format!("repo:{repo}:pull_request"),
        "refs/pull/1/merge",
        DEFAULT_AUDIENCE,
    );
    let mut environment = token(
        repo,
        format!("repo:{repo}:environment:production"),
        &head,
        DEFAULT_AUDIENCE,
    );
    environment.insert("environment".into(), "production".into());
    let sibling = format!("{owner}/{}", other("other-repo", "other-repo-2", name));
    let stranger = format!("{}/{name}", other("someone-else", "someone-else-2", owner));
    let mut audience = push.clone();
    audience.insert("aud".into(), format!("https://github.com/{owner}"));

    let cases = [
        ("push-to-branch", push),
        (
            "other-branch",
            push_claims(repo, other("feature/x", "feature/y", branch)),
        ),
        ("pull-request", pull_request),
        ("environment", environment),
        ("other-repo-same-owner", push_claims(&sibling, branch)),
        ("other-owner", push_claims(&stranger, branch)),
        ("other-audience", audience),
    ];
    cases
        .into_iter()
        .map(|(id, claims)| {
            let who = WebIdentity {
                provider_arn,
                issuer: GITHUB_ISSUER,
                claims: &claims,
            };
            let allowed = matches!(evaluate(policy, &who), Decision::Allowed { .. });
            Probe {
                id,
                sub: claims["sub"].clone(),
                aud: claims["aud"].clone(),
                allowed,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ARN: &str = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
    const SUB: &str = "token.actions.githubusercontent.com:sub";
    const AUD: &str = "token.actions.githubusercontent.com:aud";

    /// The policy AWS documents, with `condition` as its Condition.
    fn trust(condition: Value) -> Value {
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": ARN},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": condition
            }]
        })
    }

    fn documented(sub: &str) -> Value {
        trust(json!({
            "StringEquals": {AUD: "sts.amazonaws.com"},
            "StringLike": {SUB: sub}
        }))
    }

    fn run(policy: &Value, claims: &BTreeMap<String, String>) -> Decision {
        let who = WebIdentity {
            provider_arn: ARN,
            issuer: GITHUB_ISSUER,
            claims,
        };
        evaluate(policy, &who)
    }

    fn push(policy: &Value) -> Decision {
        run(policy, &push_claims("acme/shop", "main"))
    }

    fn with_sub(sub: &str) -> BTreeMap<String, String> {
        let mut c = push_claims("acme/shop", "main");
        c.insert("sub".into(), sub.into());
        c
    }

    fn reason(d: Decision) -> String {
        match d {
            Decision::NotAllowed { reason } => reason,
            other => panic!("expected NotAllowed, got {other:?}"),
        }
    }

    fn let_in(policy: &Value) -> Vec<&'static str> {
        probes(policy, ARN, "acme/shop", "main")
            .into_iter()
            .filter(|p| p.allowed)
            .map(|p| p.id)
            .collect()
    }

    #[test]
    fn documented_policy_admits_only_the_push() {
        let policy = documented("repo:acme/shop:ref:refs/heads/main");
        assert_eq!(push(&policy), Decision::Allowed { statement: 0 });
        assert_eq!(let_in(&policy), ["push-to-branch"]);
    }

    #[test]
    fn probes_carry_the_right_tokens_in_order() {
        let all = probes(&documented("*"), ARN, "acme/shop", "main");
        let rows: Vec<(&str, &str, &str)> = all
            .iter()
            .map(|p| (p.id, p.sub.as_str(), p.aud.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                (
                    "push-to-branch",
                    "repo:acme/shop:ref:refs/heads/main",
                    DEFAULT_AUDIENCE
                ),
                (
                    "other-branch",
                    "repo:acme/shop:ref:refs/heads/feature/x",
                    DEFAULT_AUDIENCE
                ),
                (
                    "pull-request",
                    "repo:acme/shop:pull_request",
                    DEFAULT_AUDIENCE
                ),
                (
                    "environment",
                    "repo:acme/shop:environment:production",
                    DEFAULT_AUDIENCE
                ),
                (
                    "other-repo-same-owner",
                    "repo:acme/other-repo:ref:refs/heads/main",
                    DEFAULT_AUDIENCE
                ),
                (
                    "other-owner",
                    "repo:someone-else/shop:ref:refs/heads/main",
                    DEFAULT_AUDIENCE
                ),
                (
                    "other-audience",
                    "repo:acme/shop:ref:refs/heads/main",
                    "https://github.com/acme"
                ),
            ]
        );
    }

    #[test]
    fn push_claims_match_github() {
        let c = push_claims("acme/shop", "main");
        assert_eq!(c["sub"], "repo:acme/shop:ref:refs/heads/main");
        assert_eq!(c["aud"], "sts.amazonaws.com");
        assert_eq!(c["repository"], "acme/shop");
        assert_eq!(c["ref"], "refs/heads/main");
        assert_eq!(c["repository_owner"], "acme");
        assert_eq!(c.len(), 5);
    }

    #[test]
    fn repo_wildcard_admits_branches_prs_and_environments() {
        assert_eq!(
            let_in(&documented("repo:acme/shop:*")),
            [
                "push-to-branch",
                "other-branch",
                "pull-request",
                "environment"
            ]
        );
    }

    #[test]
    fn owner_wildcard_admits_sibling_repos() {
        assert_eq!(
            let_in(&documented("repo:acme/*")),
            [
                "push-to-branch",
                "other-branch",
                "pull-request",
                "environment",
                "other-repo-same-owner"
            ]
        );
    }

    #[test]
    fn no_sub_condition_admits_any_owner() {
        let policy = trust(json!({"StringEquals": {AUD: "sts.amazonaws.com"}}));
        let ids = let_in(&policy);
        assert!(ids.contains(&"other-owner"), "{ids:?}");
        assert!(!ids.contains(&"other-audience"), "{ids:?}");
    }

    #[test]
    fn missing_aud_condition_admits_another_audience() {
        let policy = trust(json!({"StringLike": {SUB: "repo:acme/shop:ref:refs/heads/main"}}));
        assert_eq!(let_in(&policy), ["push-to-branch", "other-audience"]);
    }

    #[test]
    fn wrong_audience_names_aud() {
        let policy = trust(json!({
            "StringEquals": {AUD: "sts.amazonaws.com.cn"},
            "StringLike": {SUB: "repo:acme/shop:*"}
        }));
        assert_eq!(
            reason(push(&policy)),
            "statement 0: StringEquals on token.actions.githubusercontent.com:aud wants \
             sts.amazonaws.com.cn; this token's aud is sts.amazonaws.com"
        );
    }

    #[test]
    fn pull_request_reason_names_the_sub() {
        let policy = trust(json!({
            "StringEquals": {AUD: "sts.amazonaws.com", SUB: "repo:acme/shop:ref:refs/heads/main"}
        }));
        let d = run(&policy, &with_sub("repo:acme/shop:pull_request"));
        assert_eq!(
            reason(d),
            "statement 0: StringEquals on token.actions.githubusercontent.com:sub wants \
             repo:acme/shop:ref:refs/heads/main; this token's sub is repo:acme/shop:pull_request"
        );
    }

    #[test]
    fn assume_role_is_not_enough() {
        let mut policy = documented("repo:acme/shop:*");
        policy["Statement"][0]["Action"] = json!("sts:AssumeRole");
        let r = reason(push(&policy));
        assert!(
            r.contains(
                "the statement allows sts:AssumeRole, a web identity needs sts:AssumeRoleWithWebIdentity"
            ),
            "{r}"
        );
    }

    #[test]
    fn action_wildcards_are_case_insensitive() {
        for action in [
            json!("sts:*"),
            json!("*"),
            json!("STS:assumerole*"),
            json!(["s3:GetObject", "sts:AssumeRoleWith?ebIdentity"]),
        ] {
            let mut policy = documented("repo:acme/shop:*");
            policy["Statement"][0]["Action"] = action.clone();
            assert_eq!(
                push(&policy),
                Decision::Allowed { statement: 0 },
                "{action}"
            );
        }
        let mut policy = documented("repo:acme/shop:*");
        policy["Statement"][0]["Action"] = json!("sts:AssumeRole?");
        assert!(matches!(push(&policy), Decision::NotAllowed { .. }));
    }

    #[test]
    fn service_principal_is_named() {
        let policy = json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRoleWithWebIdentity"
            }]
        });
        let r = reason(push(&policy));
        assert!(
            r.starts_with(&format!(
                "statement 0 trusts the service ecs-tasks.amazonaws.com, not the OIDC provider {ARN}"
            )),
            "{r}"
        );
        assert!(r.contains(&format!("{{\"Federated\": \"{ARN}\"}}")), "{r}");
    }

    #[test]
    fn other_accounts_provider_does_not_match() {
        let other = "arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com";
        let mut policy = documented("repo:acme/shop:*");
        policy["Statement"][0]["Principal"] = json!({"Federated": [other]});
        let r = reason(push(&policy));
        assert!(
            r.contains(&format!("trusts the federated provider {other}")),
            "{r}"
        );
        policy["Statement"][0]["Principal"] = json!("*");
        assert_eq!(push(&policy), Decision::Allowed { statement: 0 });
    }

    #[test]
    fn not_principal_is_unsupported() {
        let mut policy = documented("repo:acme/shop:*");
        let st = policy["Statement"][0].as_object_mut().unwrap();
        let p = st.remove("Principal").unwrap();
        st.insert("NotPrincipal".into(), p);
        assert!(reason(push(&policy)).contains("NotPrincipal, which is unsupported"));
    }

    #[test]
    fn explicit_deny_wins() {
        let mut policy = documented("repo:acme/shop:*");
        policy["Statement"].as_array_mut().unwrap().push(json!({
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sts:*",
            "Condition": {"StringEquals": {SUB: "repo:acme/shop:pull_request"}}
        }));
        assert_eq!(
            run(&policy, &with_sub("repo:acme/shop:pull_request")),
            Decision::Denied { statement: 1 }
        );
        assert_eq!(push(&policy), Decision::Allowed { statement: 0 });
    }

    #[test]
    fn statement_may_be_a_single_object() {
        let mut policy = documented("repo:acme/shop:ref:refs/heads/main");
        policy["Statement"] = policy["Statement"][0].clone();
        assert_eq!(push(&policy), Decision::Allowed { statement: 0 });
        assert!(matches!(
            run(&policy, &with_sub("repo:acme/shop:pull_request")),
            Decision::NotAllowed { .. }
        ));
    }

    #[test]
    fn for_any_value_string_like_with_a_list() {
        let policy = trust(json!({
            "StringEquals": {AUD: "sts.amazonaws.com"},
            "ForAnyValue:StringLike": {SUB: [
                "repo:acme/shop:ref:refs/heads/main",
                "repo:acme/shop:environment:*"
            ]}
        }));
        assert_eq!(let_in(&policy), ["push-to-branch", "environment"]);
        let r = reason(run(&policy, &with_sub("repo:acme/shop:pull_request")));
        assert!(
            r.contains(
                "wants one of repo:acme/shop:ref:refs/heads/main, repo:acme/shop:environment:*"
            ),
            "{r}"
        );
    }

    #[test]
    fn if_exists_holds_for_an_absent_claim_only() {
        let key = "token.actions.githubusercontent.com:job_workflow_ref";
        let pattern = "acme/shop/.github/workflows/deploy.yml@*";
        let lenient = trust(json!({"StringLikeIfExists": {key: pattern}}));
        assert_eq!(push(&lenient), Decision::Allowed { statement: 0 });

        let mut claims = push_claims("acme/shop", "main");
        claims.insert(
            "job_workflow_ref".into(),
            "acme/shop/.github/workflows/ci.yml@refs/heads/main".into(),
        );
        assert!(reason(run(&lenient, &claims)).contains("this token's job_workflow_ref is"));

        let strict = trust(json!({"StringLike": {key: pattern}}));
        assert!(reason(push(&strict)).ends_with("this token has no job_workflow_ref"));
    }

    #[test]
    fn condition_keys_match_case_insensitively() {
        let policy = trust(json!({
            "StringEquals": {"Token.Actions.GitHubUserContent.com:Aud": "sts.amazonaws.com"},
            "StringLike": {"TOKEN.ACTIONS.GITHUBUSERCONTENT.COM:SUB": "repo:acme/shop:ref:refs/heads/main"}
        }));
        assert_eq!(let_in(&policy), ["push-to-branch"]);
    }

    #[test]
    fn question_mark_is_one_character() {
        let policy = documented("repo:acme/sho?:ref:refs/heads/main");
        assert_eq!(push(&policy), Decision::Allowed { statement: 0 });
        assert!(matches!(
            run(&policy, &push_claims("acme/sho", "main")),
            Decision::NotAllowed { .. }
        ));
        assert!(glob("a?c", "abc") && !glob("a?c", "ac") && !glob("a?c", "abbc"));
        assert!(glob("a*", "a") && glob("*b*", "abc") && !glob("Abc", "abc"));
    }

    #[test]
    fn malformed_documents_say_so() {
        assert_eq!(
            reason(push(&json!(["not", "a", "policy"]))),
            "the trust policy is not a JSON object"
        );
        assert_eq!(
            reason(push(&json!({"Version": "2012-10-17"}))),
            "the trust policy has no Statement"
        );
        let r = reason(push(&json!({"Statement": [{"Effect": "Permit"}]})));
        assert!(r.contains("\"Permit\""), "{r}");
    }

    #[test]
    fn no_allow_at_all_says_what_is_needed() {
        let r = reason(push(&json!({"Version": "2012-10-17", "Statement": []})));
        assert!(
            r.contains("sts:AssumeRoleWithWebIdentity") && r.contains(ARN),
            "{r}"
        );
    }

    #[test]
    fn unknown_operator_fails_the_statement() {
        let policy = trust(json!({"StringEqualz": {SUB: "repo:acme/shop:ref:refs/heads/main"}}));
        assert_eq!(
            reason(push(&policy)),
            "statement 0: unsupported condition operator StringEqualz"
        );
    }

    #[test]
    fn null_and_for_all_values_on_absent_keys() {
        let present = trust(json!({"Null": {SUB: "false"}}));
        assert_eq!(push(&present), Decision::Allowed { statement: 0 });
        let absent = trust(json!({"Null": {SUB: "true"}}));
        assert!(
            reason(push(&absent)).contains("wants token.actions.githubusercontent.com:sub absent")
        );
        let all = trust(
            json!({"ForAllValues:StringEquals": {"token.actions.githubusercontent.com:environment": "prod"}}),
        );
        assert_eq!(push(&all), Decision::Allowed { statement: 0 });
        let any = trust(
            json!({"ForAnyValue:StringEquals": {"token.actions.githubusercontent.com:environment": "prod"}}),
        );
        assert!(matches!(push(&any), Decision::NotAllowed { .. }));
    }

    #[test]
    fn aws_keys_are_absent() {
        let strict =
            trust(json!({"IpAddress": {}, "StringEquals": {"aws:SourceAccount": "123456789012"}}));
        // IpAddress is not supported here, so the statement fails on it first.
        assert!(reason(push(&strict)).contains("unsupported condition operator IpAddress"));
        let strict = trust(json!({"StringEquals": {"aws:SourceAccount": "123456789012"}}));
        assert!(reason(push(&strict)).ends_with("this request has no aws:SourceAccount"));
        let lenient = trust(json!({"StringEqualsIfExists": {"aws:SourceAccount": "123456789012"}}));
        assert_eq!(push(&lenient), Decision::Allowed { statement: 0 });
    }

    #[test]
    fn negated_and_ignore_case_operators() {
        let policy = trust(json!({
            "StringEqualsIgnoreCase": {AUD: "STS.amazonaws.com"},
            "StringNotEquals": {SUB: "repo:acme/shop:pull_request"}
        }));
        assert_eq!(push(&policy), Decision::Allowed { statement: 0 });
        let r = reason(run(&policy, &with_sub("repo:acme/shop:pull_request")));
        assert!(
            r.contains("wants anything but repo:acme/shop:pull_request"),
            "{r}"
        );
    }

    #[test]
    fn closest_allow_is_explained() {
        let policy = json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Federated": ARN}, "Action": "sts:AssumeRole"},
                {"Effect": "Allow", "Principal": {"Federated": ARN},
                 "Action": "sts:AssumeRoleWithWebIdentity",
                 "Condition": {"StringEquals": {SUB: "repo:acme/shop:ref:refs/heads/main"}}}
            ]
        });
        assert_eq!(push(&policy), Decision::Allowed { statement: 1 });
        let r = reason(run(&policy, &with_sub("repo:acme/shop:pull_request")));
        assert!(r.starts_with("statement 1: StringEquals on"), "{r}");
    }

    #[test]
    fn decision_serializes_with_a_tag() {
        assert_eq!(
            serde_json::to_value(Decision::Allowed { statement: 0 }).unwrap(),
            json!({"decision": "allowed", "statement": 0})
        );
        assert_eq!(
            serde_json::to_value(Decision::NotAllowed { reason: "x".into() }).unwrap(),
            json!({"decision": "not_allowed", "reason": "x"})
        );
    }
}
