//! Labs: hands-on exercises the learner does with the real `aws` CLI, verified by reading the
//! live state of the sandbox (or their own account). A lab is data (YAML with a
//! `format_version`, in `sandbox/labs/`): steps to read, reads (API calls that only look),
//! checks and questions over what the reads return (JMESPath, as `aws --query`), and an
//! optional setup of declarative actions. Lab files hold no shell commands and no code:
//! the commands shown to the learner are text, never run by ecsdrill.

pub mod draw;
pub mod eval;
pub mod load;
pub mod ops;
pub mod plan;
pub mod resource;
pub mod workspace;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

pub use load::{Known, LabSet, check_lab_paths, embedded_labs, load_labs};

/// The lab format this build reads.
pub const FORMAT_VERSION: u32 = 1;

/// The tag every resource ecsdrill creates carries; its value is the lab id.
pub const TAG_KEY: &str = "ecsdrill:lab";

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lab {
    pub format_version: Option<Spanned<u32>>,
    pub id: Spanned<String>,
    pub title: String,
    pub topics: Vec<Spanned<String>>,
    #[serde(default)]
    pub prerequisites: Vec<Spanned<String>>,
    /// The flashcard ids that teach this lab (built-in deck cards); a failed check names
    /// them and `lab check` offers to schedule them. A check's own `cards` take precedence.
    #[serde(default)]
    pub cards: Vec<Spanned<String>>,
    pub minutes: u32,
    /// Billable resources in a real account, stated before a lab starts there.
    pub cost: Option<String>,
    /// The markdown shown by `lab start` before the steps.
    pub intro: String,
    /// Values drawn at each start from a seed kept with the attempt: NAME → the candidates.
    /// `${draw.NAME}` stands for the drawn value in the setup, the text, reads, checks and
    /// questions, so an answer differs between starts and cannot be read off the lab text.
    #[serde(default)]
    pub draw: BTreeMap<String, Spanned<Vec<serde_json::Value>>>,
    #[serde(default)]
    pub setup: Vec<Spanned<SetupAction>>,
    /// Required in a lab; a drill has none (it gives `hints` only).
    #[serde(default)]
    pub steps: Vec<Spanned<Step>>,
    #[serde(default)]
    pub reads: BTreeMap<String, Spanned<Read>>,
    #[serde(default)]
    pub checks: Vec<Spanned<Check>>,
    #[serde(default)]
    pub questions: Vec<Spanned<Question>>,
    /// What the learner should take away, shown when every check passes.
    pub debrief: Option<String>,
    #[serde(default)]
    pub sources: Vec<Spanned<String>>,
    /// A lab about a repository (the CI/CD lab): files ecsdrill writes into the lab's
    /// workspace at each start, and the push `ecsdrill lab replay` replays.
    pub repository: Option<Spanned<LabRepository>>,
    /// Drills only (docs/drill-format.md): the fault's cause, detected from the live state.
    pub cause: Option<Spanned<Cause>>,
    /// Drills only: other drills' cause ids, offered beside the right one.
    #[serde(default)]
    pub distractors: Vec<Spanned<String>>,
    /// Drills only: hints in increasing detail (a lab's hints belong to its steps).
    #[serde(default)]
    pub hints: Vec<String>,
    /// Drills only: the shortest investigation an expert makes, shown when the attempt ends.
    #[serde(default)]
    pub expert_path: Vec<Spanned<ExpertStep>>,
}

/// A drill's cause: what the learner names, and the check over a baseline read that passes
/// when it is present (a read that finds nothing answers `null`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cause {
    pub id: Spanned<String>,
    /// Neutral wording, shown among the options.
    pub text: String,
    pub read: Spanned<String>,
    pub query: Spanned<String>,
    pub expect: Spanned<Expect>,
}

/// The repository of a CI/CD lab. Every string may use `${...}` (drawn values included).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabRepository {
    /// `owner/name`, as GitHub names it (and as the OIDC token's `sub` carries it).
    pub name: String,
    /// The branch a push goes to.
    pub branch: String,
    /// The SHA of the commit pushed (`github.sha`).
    pub commit: String,
    /// The workflow file `lab replay` runs, relative to the repository.
    pub workflow: String,
    /// Files written at each start (path relative to the repository → text); the
    /// learner's own files are left as they are.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpertStep {
    /// Text shown, never run.
    pub command: String,
    pub why: String,
}

impl Lab {
    /// Whether this file is a drill (it has a cause) rather than a lab.
    pub fn is_drill(&self) -> bool {
        self.cause.is_some()
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub title: String,
    pub text: String,
    /// Commands to try, shown to the learner; never run by ecsdrill.
    #[serde(default, rename = "try")]
    pub try_commands: Vec<String>,
    #[serde(default)]
    pub hints: Vec<String>,
}

/// One API read. `params` are the API's own parameter names, as in `--cli-input-json`;
/// `with` fills parameters from earlier reads: name → "read | JMESPath".
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Read {
    pub action: Spanned<ops::ReadAction>,
    #[serde(default)]
    pub params: BTreeMap<String, Spanned<serde_json::Value>>,
    #[serde(default)]
    pub with: BTreeMap<String, Spanned<String>>,
    /// JMESPath that is true when the answer means "not there" (e.g. ECS `failures`).
    pub missing_when: Option<Spanned<String>>,
    /// What to tell the learner when the resource does not exist, and how to create it
    /// (required; optional here only so that its absence is reported at the read).
    pub missing: Option<String>,
}

impl Read {
    /// Each `with` entry as (parameter, source read, JMESPath); the JMESPath is `None` when
    /// the text has no `|` (the linter reports that).
    pub fn sources(&self) -> impl Iterator<Item = (&str, &str, Option<&str>)> {
        self.with
            .iter()
            .map(|(param, src)| match src.value.split_once('|') {
                Some((from, expr)) => (param.as_str(), from.trim(), Some(expr.trim())),
                None => (param.as_str(), src.value.trim(), None),
            })
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub id: Spanned<String>,
    /// What is verified, in a few words; the message of a passed check (required).
    pub title: Option<String>,
    pub read: Spanned<String>,
    pub query: Spanned<String>,
    pub expect: Spanned<Expect>,
    /// What is wrong and how to fix it; the message of a failed check (required).
    pub fail: Option<String>,
    /// The card ids that teach what this check verifies; empty: the lab's `cards`.
    #[serde(default)]
    pub cards: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize, Clone, PartialEq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Expect {
    Equals(serde_json::Value),
    NotEquals(serde_json::Value),
    AtLeast(f64),
    AtMost(f64),
    /// A list holds the value, or a string holds the substring.
    Contains(serde_json::Value),
    NotContains(serde_json::Value),
    OneOf(Vec<serde_json::Value>),
    /// `true`: the query finds something (not null, not empty); `false`: it finds nothing.
    Exists(bool),
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: Spanned<String>,
    pub ask: String,
    pub read: Spanned<String>,
    pub query: Spanned<String>,
    pub answer: Spanned<AnswerKind>,
    /// Why the answer is what it is, shown once it is answered.
    pub explain: String,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum AnswerKind {
    /// The text, normalised (case, spaces, punctuation, small typos on long answers).
    Text,
    /// The text, or only its part before the first colon (an error's name).
    ErrorName,
    Number,
    /// The query gives a list; any element is right, character for character (the lists
    /// are of identifiers: IPs, target ids).
    AnyOf,
    /// An ARN, digest or name: the whole, or any tail after a `/` or `:` (`web:2` for a task
    /// definition ARN ending in `task-definition/web:2`), character for character.
    Tail,
    /// An identifier (a URI, an id): character for character, no typo allowed.
    Identifier,
}

/// What a setup creates. Names may use `${account}`, `${region}` and `${ecr}` (the
/// registry host); everything created is tagged `ecsdrill:lab = <lab id>`.
#[derive(Debug, Deserialize, Serialize, Clone)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SetupAction {
    /// Local sandbox only: stands in for `docker push`, with a behaviour.
    PushImage {
        repository: String,
        tag: String,
        #[serde(default = "healthy")]
        behavior: String,
        /// The exit code of a `crash` image (1 unless given).
        exit_code: Option<Count>,
        /// The setting a `crash` image requires (APP_MODE unless given): it exits without it
        /// and runs healthy when its container sets it. May be drawn (`${draw.NAME}`).
        requires: Option<String>,
        /// A label for a distinct build of the same behaviour: another image digest for the
        /// same tag (so `:latest` can be pushed again). None: the one build of the behaviour.
        build: Option<String>,
    },
    /// An ECR repository made before any push, so its settings are the lab's: immutable
    /// tags (a pushed tag can never be moved again) and scan on push.
    CreateRepository {
        name: String,
        #[serde(default)]
        immutable: bool,
        #[serde(default)]
        scan_on_push: bool,
    },
    CreateCluster {
        name: String,
        /// The cluster's default Service Connect namespace (`serviceConnectDefaults`): a Cloud
        /// Map namespace name; ECS creates an HTTP namespace of that name when there is none.
        service_connect_namespace: Option<String>,
    },
    CreateLogGroup {
        name: String,
    },
    CreateRole {
        name: String,
        #[serde(default)]
        managed_policies: Vec<String>,
        #[serde(default)]
        inline_policies: BTreeMap<String, serde_json::Value>,
        /// The service principal the trust policy admits.
        #[serde(default = "ecs_tasks_service")]
        trusted_service: String,
    },
    /// Puts (adds or replaces) an inline policy of a role the setup created.
    PutRolePolicy {
        role: String,
        name: String,
        document: serde_json::Value,
    },
    DeleteRolePolicy {
        role: String,
        name: String,
    },
    AttachRolePolicy {
        role: String,
        policy_arn: String,
    },
    DetachRolePolicy {
        role: String,
        policy_arn: String,
    },
    PutParameter {
        name: String,
        value: String,
        #[serde(default)]
        secure: bool,
    },
    /// Deletes an SSM parameter (one the setup put, to break what reads it).
    DeleteParameter {
        name: String,
    },
    RegisterTaskDefinition {
        family: String,
        cpu: String,
        memory: String,
        execution_role: Option<String>,
        task_role: Option<String>,
        container: SetupContainer,
        /// Revisions registered and deregistered first, as if the family had a history (so
        /// the revision number is not 1 on a fresh account); 0 unless given.
        earlier_revisions: Option<Count>,
    },
    CreateService {
        cluster: String,
        name: String,
        task_definition: String,
        desired_count: Count,
        #[serde(default)]
        circuit_breaker: bool,
        #[serde(default)]
        rollback: bool,
        /// Registers the tasks with a target group (by name) of a load balancer.
        load_balancer: Option<SetupServiceLoadBalancer>,
        /// Seconds during which ECS ignores failed load balancer health checks of a new task.
        health_check_grace: Option<Count>,
        /// deploymentConfiguration.minimumHealthyPercent (100 unless given).
        min_healthy: Option<Count>,
        /// deploymentConfiguration.maximumPercent (200 unless given).
        max_percent: Option<Count>,
        /// A Service Connect configuration (`serviceConnectConfiguration`).
        service_connect: Option<SetupServiceConnect>,
    },
    /// Changes a service the setup created: another task definition, count, deployment
    /// configuration, or a new deployment of the same one. What is not given is kept.
    UpdateService {
        cluster: String,
        name: String,
        task_definition: Option<String>,
        desired_count: Option<Count>,
        #[serde(default)]
        force_new_deployment: bool,
        min_healthy: Option<Count>,
        max_percent: Option<Count>,
        health_check_grace: Option<Count>,
        /// With `rollback`: sets the deployment circuit breaker (what is not given is kept).
        circuit_breaker: Option<bool>,
        rollback: Option<bool>,
    },
    /// Local sandbox only: an internet-facing Application Load Balancer in the public
    /// subnets, a target group (ip, HTTP) and an HTTP:80 listener forwarding to it.
    CreateLoadBalancer {
        name: String,
        target_group: String,
        /// The target group's port (the containers').
        port: Count,
        health_path: String,
    },
    /// Local sandbox only: another target group (ip, HTTP, the same VPC), on no listener.
    CreateTargetGroup {
        name: String,
        port: Count,
        health_path: String,
    },
    /// The load balancer's port-80 listener forwards to this target group from now on.
    ModifyListener {
        load_balancer: String,
        target_group: String,
    },
    /// Changes a target group's health check: path, port (a number or `traffic-port`) and
    /// the HTTP codes that count as healthy (`200-299`).
    ModifyTargetGroup {
        name: String,
        health_path: Option<String>,
        health_port: Option<Count>,
        matcher: Option<String>,
    },
    /// Local sandbox: move simulated time on (in a real account: wait this long).
    AdvanceClock {
        seconds: u32,
    },
}

fn healthy() -> String {
    "healthy".into()
}

fn ecs_tasks_service() -> String {
    "ecs-tasks.amazonaws.com".into()
}

/// `create_service`'s `load_balancer`: the target group by name, the container and port.
#[derive(Debug, Deserialize, Serialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct SetupServiceLoadBalancer {
    pub target_group: String,
    pub container: String,
    pub port: Count,
}

/// `create_service`'s `service_connect`: the namespace (the cluster's default unless given)
/// and, for a client-server service, the named port it publishes under a client alias.
/// Without `port_name` the service is a client only.
#[derive(Debug, Deserialize, Serialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct SetupServiceConnect {
    pub namespace: Option<String>,
    pub port_name: Option<String>,
    pub discovery_name: Option<String>,
    pub alias: Option<SetupClientAlias>,
}

/// A Service Connect client alias: the port and DNS name clients call (the DNS name is
/// `discoveryName.namespace` unless given).
#[derive(Debug, Deserialize, Serialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct SetupClientAlias {
    pub port: Count,
    pub dns_name: Option<String>,
}

/// A whole number in a setup action: written out, or `${draw.NAME}` (a number drawn per start).
#[derive(Debug, Deserialize, Serialize, Clone, PartialEq)]
#[serde(untagged)]
pub enum Count {
    Fixed(i32),
    Drawn(String),
}

impl SetupAction {
    /// The action with `${...}` expanded in every string, and drawn numbers as numbers.
    pub fn expanded(&self, vars: &Vars) -> SetupAction {
        serde_json::to_value(self)
            .ok()
            .map(|v| vars.expand_json(&v))
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_else(|| self.clone())
    }
}

impl Count {
    /// The number, with a drawn value looked up; `None` when the text is not a drawn number.
    pub fn resolve(&self, vars: &Vars) -> Option<i32> {
        match self {
            Count::Fixed(n) => Some(*n),
            Count::Drawn(s) => vars.expand(s).trim().parse().ok(),
        }
    }
}

#[derive(Debug, Deserialize, Serialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct SetupContainer {
    pub name: String,
    pub image: String,
    pub port: Option<i32>,
    /// The port mapping's name: what a Service Connect `portName` refers to.
    pub port_name: Option<String>,
    pub log_group: Option<String>,
    /// The container's hard memory limit in MiB.
    pub memory: Option<Count>,
    /// Environment variables: NAME → value (a number or true/false is sent as its text).
    #[serde(default)]
    pub environment: BTreeMap<String, serde_json::Value>,
    /// Secrets: NAME → an SSM parameter's name (`/x/y`, sent as its ARN) or an ARN.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    pub health_check: Option<SetupHealthCheck>,
}

/// A container health check; what is not given is ECS's default (30 s, 3 retries, 0 s).
#[derive(Debug, Deserialize, Serialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct SetupHealthCheck {
    /// As in ECS: `["CMD-SHELL", "curl -f http://localhost/health || exit 1"]`.
    pub command: Vec<String>,
    pub interval: Option<Count>,
    pub retries: Option<Count>,
    pub start_period: Option<Count>,
}

impl Lab {
    pub fn id(&self) -> &str {
        &self.id.value
    }

    pub fn topics(&self) -> impl Iterator<Item = &str> {
        self.topics.iter().map(|t| t.value.as_str())
    }

    /// The card ids that teach what the check (or question) `id` verifies: the check's own
    /// `cards`, else the lab's.
    pub fn cards_for(&self, id: &str) -> Vec<String> {
        let own = self
            .checks
            .iter()
            .find(|c| c.value.id.value == id)
            .map(|c| &c.value.cards)
            .filter(|c| !c.is_empty());
        own.unwrap_or(&self.cards)
            .iter()
            .map(|c| c.value.clone())
            .collect()
    }

    pub fn hints(&self) -> impl Iterator<Item = (usize, &str)> {
        self.steps
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.value.hints.iter().map(move |h| (i, h.as_str())))
    }

    /// Whether a query of this lab (a check's, a question's, a read's `with` or
    /// `missing_when`) uses `${NAME}`; a variable that costs a call is only looked up then.
    pub fn queries_use(&self, name: &str) -> bool {
        let var = format!("${{{name}}}");
        let reads = self.reads.values().flat_map(|r| {
            r.value
                .with
                .values()
                .map(|w| w.value.as_str())
                .chain(r.value.missing_when.iter().map(|m| m.value.as_str()))
        });
        let checks = self.checks.iter().map(|c| c.value.query.value.as_str());
        let questions = self.questions.iter().map(|q| q.value.query.value.as_str());
        reads
            .chain(checks)
            .chain(questions)
            .any(|q| q.contains(&var))
    }

    pub fn needs_local_sandbox(&self) -> bool {
        self.setup
            .iter()
            .any(|a| matches!(a.value, SetupAction::PushImage { .. }))
    }
}

/// `${account}`, `${region}`, `${ecr}`, `${lab_started}` and `${private_subnets}` in a lab's
/// strings and queries.
pub struct Vars {
    pub account: String,
    pub region: String,
    /// When `lab start` finished, in epoch seconds of the target's clock (the sandbox's
    /// simulated time), as ECS timestamps are; 0 when the lab was not started here.
    pub lab_started: f64,
    /// The subnets without a route to an internet gateway that tasks belong in: the
    /// sandbox's private subnets, or the subnets given for an AWS account. Looked up only for
    /// a lab whose queries use it (`Lab::queries_use`); in a query it is a JSON list.
    pub private_subnets: Vec<String>,
    /// The values of the lab's `draw` for this attempt (`${draw.NAME}`).
    pub drawn: BTreeMap<String, serde_json::Value>,
    /// The directory of the lab's repository on this machine (`${workspace}`), for a lab
    /// with a `repository`; empty otherwise.
    pub workspace: String,
}

impl Vars {
    /// Values that stand for any target, for the linter.
    pub fn sample() -> Vars {
        Vars {
            account: "123456789012".into(),
            region: "us-east-1".into(),
            lab_started: 0.0,
            workspace: String::new(),
            private_subnets: vec!["subnet-0a".into(), "subnet-0b".into()],
            drawn: BTreeMap::new(),
        }
    }

    /// The sample values with a lab's draws set to their first candidates, for the linter.
    pub fn sample_for(lab: &Lab) -> Vars {
        Vars {
            drawn: lab
                .draw
                .iter()
                .filter_map(|(k, v)| v.value.first().map(|x| (k.clone(), x.clone())))
                .collect(),
            ..Vars::sample()
        }
    }

    pub fn expand(&self, s: &str) -> String {
        if !s.contains("${") {
            return s.to_string();
        }
        draw::fill(s, &self.drawn)
            .replace(
                "${ecr}",
                &format!("{}.dkr.ecr.{}.amazonaws.com", self.account, self.region),
            )
            .replace("${account}", &self.account)
            .replace("${region}", &self.region)
            .replace("${lab_started}", &self.lab_started.to_string())
            .replace("${workspace}", &self.workspace)
            .replace(
                "${private_subnets}",
                &serde_json::to_string(&self.private_subnets).unwrap_or_else(|_| "[]".into()),
            )
    }

    /// `${...}` in a JSON value's strings; a string that is one `${draw.NAME}` and nothing
    /// else becomes the drawn value itself, so a drawn number compares as a number.
    pub fn expand_json(&self, v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::String(s) => s
                .strip_prefix("${draw.")
                .and_then(|rest| rest.strip_suffix('}'))
                .and_then(|name| self.drawn.get(name))
                .cloned()
                .unwrap_or_else(|| serde_json::Value::String(self.expand(s))),
            serde_json::Value::Array(a) => a.iter().map(|x| self.expand_json(x)).collect(),
            serde_json::Value::Object(o) => o
                .iter()
                .map(|(k, x)| (k.clone(), self.expand_json(x)))
                .collect(),
            other => other.clone(),
        }
    }
}
