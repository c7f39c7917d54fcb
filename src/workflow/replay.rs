//! The replay: what GitHub Actions would do on a push, step by step, with the AWS effects
//! made through a [`Cloud`] (the sandbox, or a fake in tests). It follows the official
//! actions' own logic and error texts: configure-aws-credentials exchanges the job's OIDC
//! token (its `sub` built from the push) only if the role's trust policy admits it, every
//! later AWS call is allowed only if the assumed role's policies allow it (IAM simulation),
//! `docker push` needs a login and an image built with that tag, render rewrites one
//! container's image, and deploy registers, updates the service and waits as the action's
//! waiter does. A `run:` line it does not understand is shown as not replayed, never run.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Value, json};

use super::actions::{
    CONFIGURE_CREDENTIALS, DEPLOY_TASK_DEFINITION, ECR_LOGIN, RENDER_TASK_DEFINITION,
};
use super::expr::{self, ExprError};
use super::lint::{self, Rule};
use super::shell::{Command, Shell};
use super::trust::{self, Decision, WebIdentity};
use super::{Job, Step, Workflow, scalar_text};

/// The push being replayed.
#[derive(Clone, Debug)]
pub struct Push {
    /// `owner/name`.
    pub repository: String,
    pub branch: String,
    pub sha: String,
}

/// A failure of one AWS call: the API's error, which fails the step, or an environment
/// problem (the sandbox went away), which stops the replay.
#[derive(Debug)]
pub enum CloudError {
    Api { code: String, message: String },
    Env(anyhow::Error),
}

pub type CloudResult<T> = Result<T, CloudError>;

/// The AWS account the replayed steps act on.
pub trait Cloud {
    fn account(&self) -> String;
    fn region(&self) -> String;
    /// The role's trust policy, decoded; `None` when there is no such role.
    fn role_trust_policy(&mut self, role_name: &str) -> CloudResult<Option<Value>>;
    /// The client IDs (audiences) of the account's OIDC provider for `issuer` (no https://);
    /// `None` when none is registered.
    fn oidc_provider_audiences(&mut self, issuer: &str) -> CloudResult<Option<Vec<String>>>;
    /// What the role's policies say of each of `actions` on `resource`, in order, for a
    /// request with these context keys (IAM's policy simulation, one call).
    fn simulate(
        &mut self,
        role_arn: &str,
        actions: &[&str],
        resource: &str,
        context: &[(&'static str, String)],
    ) -> CloudResult<Vec<Permission>>;
    fn repository_exists(&mut self, name: &str) -> CloudResult<bool>;
    /// Stands in for `docker push` of the build `build`: stores it under repository:tag and
    /// returns its digest. The same build pushed again changes nothing; another build under
    /// a tag of an immutable repository is refused, as ECR refuses it.
    fn push_image(&mut self, repository: &str, tag: &str, build: &str) -> CloudResult<String>;
    /// The task definition (family, family:revision or ARN), as DescribeTaskDefinition gives it.
    fn describe_task_definition(&mut self, name: &str) -> CloudResult<Value>;
    /// Registers a task definition (RegisterTaskDefinition's input); returns the one made.
    fn register_task_definition(&mut self, input: &Value) -> CloudResult<Value>;
    /// The service as DescribeServices gives it; `None` when it is MISSING.
    fn describe_service(&mut self, cluster: &str, service: &str) -> CloudResult<Option<Value>>;
    fn update_service(
        &mut self,
        cluster: &str,
        service: &str,
        task_definition: &str,
        force_new_deployment: bool,
        desired_count: Option<i32>,
    ) -> CloudResult<Value>;
    /// Lets `seconds` of the account's time pass (the sandbox's clock; real time elsewhere).
    fn pass(&mut self, seconds: u32) -> CloudResult<()>;
}

/// IAM's policy simulation of one call (SimulatePrincipalPolicy's answer, reduced).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permission {
    pub verdict: Verdict,
    /// The context keys the role's conditions read that the request did not give.
    pub missing_context: Vec<String>,
}

/// IAM's EvalDecision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    ExplicitDeny,
    ImplicitDeny,
}

impl Verdict {
    /// From SimulatePrincipalPolicy's `EvalDecision` (anything unknown denies).
    pub fn from_eval_decision(decision: &str) -> Verdict {
        match decision {
            "allowed" => Verdict::Allowed,
            "explicitDeny" => Verdict::ExplicitDeny,
            _ => Verdict::ImplicitDeny,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    Skipped,
}

#[derive(Clone, Debug, Serialize)]
pub struct StepRun {
    pub title: String,
    pub uses: Option<String>,
    pub outcome: Outcome,
    pub log: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct JobRun {
    pub id: String,
    pub conclusion: Outcome,
    pub steps: Vec<StepRun>,
}

/// How the job got AWS credentials.
#[derive(Clone, Debug, Serialize)]
pub struct Credentials {
    pub role_arn: String,
    /// The `sub` of the token that was exchanged.
    pub sub: String,
    pub region: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct PushedImage {
    pub repository: String,
    pub tag: String,
    pub digest: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Deploy {
    pub cluster: String,
    pub service: String,
    pub task_definition: String,
    /// The images of the registered task definition's containers.
    pub images: Vec<String>,
    pub waited: bool,
    pub deployment_id: Option<String>,
    /// The new deployment's rollout state when the step ended.
    pub rollout_state: Option<String>,
}

/// What a replay did: the record `lab check` reads (`ecsdrill:GetWorkflowRun`).
#[derive(Clone, Debug, Serialize)]
pub struct Run {
    pub workflow: String,
    pub event: &'static str,
    pub repository: String,
    pub branch: String,
    pub sha: String,
    pub triggered: bool,
    pub conclusion: Outcome,
    /// Why it failed or did not run, when it did not succeed.
    pub reason: Option<String>,
    pub jobs: Vec<JobRun>,
    pub credentials: Vec<Credentials>,
    pub pushed: Vec<PushedImage>,
    pub registered: Vec<String>,
    pub deploys: Vec<Deploy>,
}

/// What the repository holds and GitHub is configured with.
pub struct Inputs<'a> {
    /// The workflow's path in the repository, as shown in messages.
    pub path: &'a str,
    /// The repository's files at the pushed commit: path → text.
    pub files: &'a BTreeMap<String, String>,
    pub vars: &'a BTreeMap<String, String>,
    pub secrets: &'a BTreeMap<String, String>,
}

const WORKSPACE_ROOT: &str = "/home/runner/work";
const RUNNER_TEMP: &str = "/home/runner/work/_temp";
const SESSION_NAME: &str = "GitHubActions";
/// configure-aws-credentials' error when it has neither keys nor a token to trade.
const CREDENTIALS_NOT_LOADED: &str = "Credentials could not be loaded, please check your action inputs: Could not load credentials from any providers";

/// Why a step stopped: it failed (the message, as the action prints it), or the account
/// could not be reached, which stops the whole replay.
enum Stop {
    Failed(String),
    Env(anyhow::Error),
}

type StepResult<T = ()> = Result<T, Stop>;

fn fail(message: impl Into<String>) -> Stop {
    Stop::Failed(message.into())
}

impl Stop {
    /// The failure with the action's words in front (`Failed to register task definition
    /// in ECS: ...`).
    fn prefixed(self, prefix: &str) -> Stop {
        match self {
            Stop::Failed(m) => Stop::Failed(format!("{prefix}{m}")),
            env => env,
        }
    }
}

impl From<CloudError> for Stop {
    fn from(e: CloudError) -> Stop {
        match e {
            CloudError::Api { message, .. } => Stop::Failed(message),
            CloudError::Env(e) => Stop::Env(e),
        }
    }
}

impl From<ExprError> for Stop {
    fn from(e: ExprError) -> Stop {
        fail(format!("The template is not valid. {e}"))
    }
}

/// State across the whole run.
struct Runner<'a> {
    cloud: &'a mut dyn Cloud,
    inputs: &'a Inputs<'a>,
    push: &'a Push,
    run: Run,
    say: &'a mut dyn FnMut(&str),
    /// The steps context of the job that ran last, for its `outputs`.
    last_steps: serde_json::Map<String, Value>,
}

/// State of one job.
struct JobState {
    id: String,
    env: BTreeMap<String, String>,
    steps: serde_json::Map<String, Value>,
    failed: bool,
    checked_out: bool,
    credentials: Option<Credentials>,
    logins: BTreeSet<String>,
    /// Images built or tagged on the runner, by reference.
    local_images: BTreeSet<String>,
    /// Files written on the runner (rendered task definitions): path → text.
    temp_files: BTreeMap<String, String>,
    environment: Option<String>,
    id_token: bool,
    log: Vec<String>,
}

/// Replays `w` for `push`. `Err` only when the account cannot be reached at all.
pub fn replay(
    w: &Workflow,
    push: &Push,
    inputs: &Inputs,
    cloud: &mut dyn Cloud,
    say: &mut dyn FnMut(&str),
) -> anyhow::Result<Run> {
    let mut r = Runner {
        cloud,
        inputs,
        push,
        run: Run {
            workflow: inputs.path.to_string(),
            event: "push",
            repository: push.repository.clone(),
            branch: push.branch.clone(),
            sha: push.sha.clone(),
            triggered: false,
            conclusion: Outcome::Skipped,
            reason: None,
            jobs: Vec::new(),
            credentials: Vec::new(),
            pushed: Vec::new(),
            registered: Vec::new(),
            deploys: Vec::new(),
        },
        say,
        last_steps: serde_json::Map::new(),
    };
    let on =
        w.on.as_ref()
            .map(|o| o.value.clone())
            .unwrap_or(Value::Null);
    if let Err(why) = lint::runs_on_push(&on, &push.branch) {
        r.run.reason = Some(format!(
            "a push to `{}` does not run {}: {why}",
            push.branch, inputs.path
        ));
        return Ok(r.run);
    }
    r.run.triggered = true;
    // GitHub refuses a workflow whose expressions do not parse, before any job starts.
    let invalid: Vec<String> = lint::lint(inputs.path, w, &push.branch)
        .into_iter()
        .filter(|f| {
            f.rule == Rule::Expression
                && (f.message.starts_with("Unrecognized")
                    || f.message.starts_with("Unexpected")
                    || f.message.starts_with("Expected")
                    || f.message.starts_with("An expression"))
        })
        .map(|f| f.text)
        .collect();
    if !invalid.is_empty() {
        r.run.conclusion = Outcome::Failure;
        r.run.reason = Some(format!("Invalid workflow file: {}", invalid.join("; ")));
        return Ok(r.run);
    }
    let mut needs_ctx = serde_json::Map::new();
    for id in job_order(w) {
        let job = w.job(&id).expect("ordered ids are jobs");
        let blocked = job
            .needs()
            .iter()
            .any(|n| needs_ctx.get(n).and_then(|x| x["result"].as_str()) != Some("success"));
        let job_run = if blocked {
            JobRun {
                id: id.clone(),
                conclusion: Outcome::Skipped,
                steps: Vec::new(),
            }
        } else {
            r.job(w, &id, job, &needs_ctx)?
        };
        let outputs = job_run_outputs(&r, job, &job_run, &needs_ctx);
        let result = match job_run.conclusion {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Skipped => "skipped",
        };
        needs_ctx.insert(id.clone(), json!({"result": result, "outputs": outputs}));
        r.run.jobs.push(job_run);
    }
    let failed = r.run.jobs.iter().any(|j| j.conclusion == Outcome::Failure);
    r.run.conclusion = if failed {
        Outcome::Failure
    } else if r.run.jobs.iter().any(|j| j.conclusion == Outcome::Success) {
        Outcome::Success
    } else {
        Outcome::Skipped
    };
    if failed {
        let several_jobs = r.run.jobs.len() > 1;
        r.run.reason = r
            .run
            .jobs
            .iter()
            .flat_map(|j| j.steps.iter().map(move |s| (j, s)))
            .find(|(_, s)| s.outcome == Outcome::Failure)
            .map(|(j, s)| {
                let error = s
                    .log
                    .last()
                    .map_or("", |l| l.strip_prefix("Error: ").unwrap_or(l));
                if several_jobs {
                    format!("job `{}`, step `{}`: {error}", j.id, s.title)
                } else {
                    format!("step `{}`: {error}", s.title)
                }
            });
    }
    Ok(r.run)
}

/// The job ids in the order they run: each after the jobs it needs, otherwise as written.
fn job_order(w: &Workflow) -> Vec<String> {
    let mut done: Vec<String> = Vec::new();
    let all: Vec<&String> = w.jobs.iter().map(|(id, _)| id).collect();
    while done.len() < all.len() {
        let next = w.jobs.iter().find(|(id, j)| {
            !done.contains(id)
                && j.value
                    .needs()
                    .iter()
                    .all(|n| done.contains(n) || !all.contains(&n))
        });
        match next {
            Some((id, _)) => done.push(id.clone()),
            // a cycle: GitHub rejects it; run the rest as written
            None => done.extend(
                all.iter()
                    .filter(|id| !done.contains(id))
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>(),
            ),
        }
    }
    done
}

/// A job's `outputs`, from the steps of its run (empty when it did not run).
fn job_run_outputs(
    r: &Runner,
    job: &Job,
    run: &JobRun,
    needs: &serde_json::Map<String, Value>,
) -> Value {
    if run.conclusion == Outcome::Skipped {
        return json!({});
    }
    let ctx = r.context(None, &r.last_steps, needs, "success");
    let mut out = serde_json::Map::new();
    for (k, v) in &job.outputs {
        out.insert(
            k.clone(),
            Value::String(expr::interpolate(&v.value, &ctx).unwrap_or_default()),
        );
    }
    Value::Object(out)
}

impl Runner<'_> {
    fn line(&mut self, js: &mut JobState, s: impl Into<String>) {
        let s = s.into();
        (self.say)(&format!("  {s}"));
        js.log.push(s);
    }

    fn registry(&self, region: &str) -> String {
        format!("{}.dkr.ecr.{region}.amazonaws.com", self.cloud.account())
    }

    /// The expression context of a step.
    fn context(
        &self,
        js: Option<&JobState>,
        steps: &serde_json::Map<String, Value>,
        needs: &serde_json::Map<String, Value>,
        status: &str,
    ) -> Value {
        let p = self.push;
        let name = p.repository.split('/').nth(1).unwrap_or(&p.repository);
        let env: serde_json::Map<String, Value> = js
            .map(|j| {
                j.env
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect()
            })
            .unwrap_or_default();
        json!({
            "github": {
                "sha": p.sha,
                "ref": format!("refs/heads/{}", p.branch),
                "ref_name": p.branch,
                "ref_type": "branch",
                "repository": p.repository,
                "repository_owner": p.repository.split('/').next().unwrap_or(""),
                "event_name": "push",
                "actor": "learner",
                "workspace": format!("{WORKSPACE_ROOT}/{name}/{name}"),
                "server_url": "https://github.com",
                "run_id": "1",
                "run_number": "1",
                "run_attempt": "1",
            },
            "env": env,
            "vars": self.inputs.vars,
            "secrets": self.inputs.secrets,
            "steps": steps,
            "needs": needs,
            "runner": {"os": "Linux", "arch": "X64", "temp": RUNNER_TEMP},
            "job": {"status": status},
        })
    }
}

impl Runner<'_> {
    fn job(
        &mut self,
        w: &Workflow,
        id: &str,
        job: &Job,
        needs: &serde_json::Map<String, Value>,
    ) -> anyhow::Result<JobRun> {
        (self.say)(&format!("job {id}"));
        let mut js = JobState {
            id: id.to_string(),
            env: BTreeMap::new(),
            steps: serde_json::Map::new(),
            failed: false,
            checked_out: false,
            credentials: None,
            logins: BTreeSet::new(),
            local_images: BTreeSet::new(),
            temp_files: BTreeMap::new(),
            environment: job.environment_name(),
            id_token: job_id_token(w, job),
            log: Vec::new(),
        };
        if let Some(c) = &job.condition {
            let ctx = self.context(Some(&js), &js.steps, needs, "success");
            let cond = scalar_text(&c.value);
            if !expr::condition_holds(&cond, &ctx).unwrap_or(false) {
                (self.say)(&format!("  skipped: `if: {cond}` is false"));
                return Ok(JobRun {
                    id: id.to_string(),
                    conclusion: Outcome::Skipped,
                    steps: Vec::new(),
                });
            }
        }
        // workflow env, then job env, each interpolated
        for (k, v) in w.env.iter().chain(job.env.iter()) {
            let ctx = self.context(Some(&js), &js.steps, needs, "success");
            let value = expr::interpolate(&scalar_text(&v.value), &ctx).unwrap_or_default();
            js.env.insert(k.clone(), value);
        }
        let mut steps = Vec::new();
        for step in &job.steps {
            let s = &step.value;
            let title = s.title();
            let status = if js.failed { "failure" } else { "success" };
            let mut ctx = self.context(Some(&js), &js.steps, needs, status);
            let runs = match &s.condition {
                Some(c) => expr::condition_holds(&scalar_text(&c.value), &ctx).unwrap_or(false),
                None => !js.failed,
            };
            if !runs {
                (self.say)(&format!("- {title}: skipped"));
                steps.push(StepRun {
                    title,
                    uses: s.uses.as_ref().map(|u| u.value.clone()),
                    outcome: Outcome::Skipped,
                    log: Vec::new(),
                });
                if let Some(sid) = &s.id {
                    js.steps.insert(
                        sid.value.clone(),
                        json!({"outputs": {}, "outcome": "skipped", "conclusion": "skipped"}),
                    );
                }
                continue;
            }
            (self.say)(&format!("- {title}"));
            js.log.clear();
            // the step's env on top of the job's
            let mut step_env = js.env.clone();
            for (k, v) in &s.env {
                step_env.insert(
                    k.clone(),
                    expr::interpolate(&scalar_text(&v.value), &ctx).unwrap_or_default(),
                );
            }
            ctx["env"] = json!(step_env);
            let mut outputs = serde_json::Map::new();
            let outcome = match self.step(&mut js, s, &ctx, &step_env, &mut outputs) {
                Ok(()) => Outcome::Success,
                Err(Stop::Failed(msg)) => {
                    self.line(&mut js, format!("Error: {msg}"));
                    Outcome::Failure
                }
                Err(Stop::Env(e)) => return Err(e),
            };
            let continue_on_error = s.continue_on_error.as_ref().is_some_and(expr::truthy);
            if outcome == Outcome::Failure && !continue_on_error {
                js.failed = true;
            }
            let conclusion = if continue_on_error && outcome == Outcome::Failure {
                "success"
            } else if outcome == Outcome::Failure {
                "failure"
            } else {
                "success"
            };
            if let Some(sid) = &s.id {
                js.steps.insert(
                    sid.value.clone(),
                    json!({"outputs": outputs, "outcome": if outcome == Outcome::Failure {"failure"} else {"success"}, "conclusion": conclusion}),
                );
            }
            steps.push(StepRun {
                title,
                uses: s.uses.as_ref().map(|u| u.value.clone()),
                outcome,
                log: std::mem::take(&mut js.log),
            });
        }
        self.last_steps = js.steps.clone();
        Ok(JobRun {
            id: js.id,
            conclusion: if js.failed {
                Outcome::Failure
            } else {
                Outcome::Success
            },
            steps,
        })
    }

    /// Runs one step. The outer `Err` is an environment failure; the inner one the step's.
    fn step(
        &mut self,
        js: &mut JobState,
        s: &Step,
        ctx: &Value,
        env: &BTreeMap<String, String>,
        outputs: &mut serde_json::Map<String, Value>,
    ) -> StepResult {
        self.name_unset_settings(js, s);
        let inputs: Result<BTreeMap<String, String>, ExprError> = s
            .with
            .iter()
            .map(|(k, v)| Ok((k.clone(), expr::interpolate(&scalar_text(&v.value), ctx)?)))
            .collect();
        let inputs = inputs?;
        if let Some(run) = &s.run {
            let script = expr::interpolate(&run.value, ctx)?;
            self.script(js, &script, env, outputs)
        } else if let Some((name, _)) = s.action() {
            let lower = name.to_ascii_lowercase();
            match lower.as_str() {
                "actions/checkout" => {
                    js.checked_out = true;
                    let line = format!("checked out {} at {}", self.push.repository, self.push.sha);
                    self.line(js, line);
                    Ok(())
                }
                CONFIGURE_CREDENTIALS => self.configure(js, &inputs, outputs),
                ECR_LOGIN => self.ecr_login(js, &inputs, outputs),
                RENDER_TASK_DEFINITION => self.render(js, &inputs, outputs),
                DEPLOY_TASK_DEFINITION => self.deploy(js, &inputs, outputs),
                "docker/setup-buildx-action" | "docker/setup-qemu-action" => {
                    self.line(js, "nothing to set up: the replay builds no image");
                    Ok(())
                }
                "docker/login-action" => {
                    let registry = inputs.get("registry").cloned().unwrap_or_default();
                    self.docker_login(js, &registry)
                }
                "docker/build-push-action" => {
                    let tags: Vec<String> = inputs
                        .get("tags")
                        .map(|t| {
                            t.split([',', '\n'])
                                .map(|x| x.trim().to_string())
                                .filter(|x| !x.is_empty())
                                .collect()
                        })
                        .unwrap_or_default();
                    let push = inputs.get("push").is_some_and(|p| p.trim() == "true");
                    let context = inputs.get("context").cloned().unwrap_or_else(|| ".".into());
                    self.docker(
                        js,
                        Command::Build {
                            tags,
                            context,
                            push,
                        },
                        outputs,
                    )
                }
                _ => {
                    let line = format!(
                        "not replayed: ecsdrill replays checkout, the AWS actions and Docker; `{name}` is taken to succeed with no outputs"
                    );
                    self.line(js, line);
                    Ok(())
                }
            }
        } else {
            Ok(())
        }
    }

    fn script(
        &mut self,
        js: &mut JobState,
        script: &str,
        env: &BTreeMap<String, String>,
        outputs: &mut serde_json::Map<String, Value>,
    ) -> StepResult {
        let mut vars = env.clone();
        let name = self
            .push
            .repository
            .split('/')
            .nth(1)
            .unwrap_or("repo")
            .to_string();
        for (k, v) in [
            ("GITHUB_SHA", self.push.sha.clone()),
            ("GITHUB_REF", format!("refs/heads/{}", self.push.branch)),
            ("GITHUB_REF_NAME", self.push.branch.clone()),
            ("GITHUB_REPOSITORY", self.push.repository.clone()),
            (
                "GITHUB_WORKSPACE",
                format!("{WORKSPACE_ROOT}/{name}/{name}"),
            ),
            (
                "GITHUB_OUTPUT",
                format!("{RUNNER_TEMP}/_runner_file_commands/set_output"),
            ),
            (
                "GITHUB_ENV",
                format!("{RUNNER_TEMP}/_runner_file_commands/set_env"),
            ),
            ("RUNNER_TEMP", RUNNER_TEMP.to_string()),
        ] {
            vars.entry(k.to_string()).or_insert(v);
        }
        let mut sh = Shell::new(vars);
        for c in sh.run(script) {
            match c {
                Command::Output {
                    name,
                    value,
                    deprecated,
                } => {
                    if deprecated {
                        self.line(js, "Warning: The `set-output` command is deprecated; write `name=value` to $GITHUB_OUTPUT");
                    }
                    outputs.insert(name, Value::String(value));
                }
                Command::Env { name, value } => {
                    js.env.insert(name, value);
                }
                Command::Other { line } => {
                    self.line(js, format!("not replayed: `{line}`"));
                }
                Command::Login { registry } => self.docker_login(js, &registry)?,
                c => self.docker(js, c, outputs)?,
            }
        }
        Ok(())
    }

    /// Says which `vars.X` / `secrets.X` the step reads that the replay was not given: on
    /// GitHub they come from the repository's settings, here from `--var` / `--secret`.
    fn name_unset_settings(&mut self, js: &mut JobState, s: &Step) {
        let texts = s
            .with
            .values()
            .chain(s.env.values())
            .map(|v| scalar_text(&v.value))
            .chain(s.run.iter().map(|r| r.value.clone()));
        let mut unset = BTreeSet::new();
        for text in texts {
            for e in expr::expressions(&text) {
                for (ctx, member) in expr::references(e) {
                    let (given, flag) = match ctx.as_str() {
                        "vars" => (self.inputs.vars, "--var"),
                        "secrets" => (self.inputs.secrets, "--secret"),
                        _ => continue,
                    };
                    if let Some(member) = member.filter(|m| !given.contains_key(m)) {
                        unset.insert(format!(
                            "{ctx}.{member} is empty here: give it with `ecsdrill lab replay {flag} {member}=VALUE`"
                        ));
                    }
                }
            }
        }
        for line in unset {
            self.line(js, line);
        }
    }

    /// The caller as IAM names it in an AccessDenied message.
    fn caller(&self, c: &Credentials) -> String {
        let role = c.role_arn.rsplit('/').next().unwrap_or("");
        format!(
            "arn:aws:sts::{}:assumed-role/{role}/{SESSION_NAME}",
            self.cloud.account()
        )
    }

    /// The request context of the workflow's calls of `actions`, as far as the replay knows it;
    /// another key a condition reads is unknown here, and its condition fails.
    fn request_context(&self, c: &Credentials, actions: &[&str]) -> Vec<(&'static str, String)> {
        let mut keys = vec![
            ("aws:RequestedRegion", c.region.clone()),
            // for a role session, IAM gives the role's ARN, not the session's
            ("aws:PrincipalArn", c.role_arn.clone()),
            ("aws:PrincipalAccount", self.cloud.account()),
            ("aws:PrincipalType", "AssumedRole".into()),
            ("aws:SecureTransport", "true".into()),
        ];
        if actions.contains(&"iam:PassRole") {
            // the one PassRole of the workflow: RegisterTaskDefinition hands the task's roles to ECS tasks
            keys.push(("iam:PassedToService", "ecs-tasks.amazonaws.com".into()));
        }
        keys
    }

    /// Whether the assumed role may call each of `actions` on `resource` (one simulation);
    /// the AccessDenied text of the first it may not call.
    fn authorize(
        &mut self,
        js: &mut JobState,
        c: &Credentials,
        actions: &[&str],
        resource: &str,
    ) -> StepResult {
        let context = self.request_context(c, actions);
        let permissions = self
            .cloud
            .simulate(&c.role_arn, actions, resource, &context)?;
        let Some((action, permission)) = actions
            .iter()
            .zip(&permissions)
            .find(|(_, p)| p.verdict != Verdict::Allowed)
        else {
            return Ok(());
        };
        let why = if permission.verdict == Verdict::ExplicitDeny {
            "with an explicit deny in an identity-based policy".to_string()
        } else {
            format!("because no identity-based policy allows the {action} action")
        };
        if !permission.missing_context.is_empty() {
            let known: Vec<&str> = context.iter().map(|(key, _)| *key).collect();
            self.line(
                js,
                format!(
                    "ecsdrill: a condition of the role's policies reads {}, which this replay does not know (it knows {}), so the condition fails here",
                    permission.missing_context.join(", "),
                    known.join(", ")
                ),
            );
        }
        Err(fail(format!(
            "User: {} is not authorized to perform: {action} on resource: {resource} {why}",
            self.caller(c)
        )))
    }

    /// The job's AWS credentials, as configure-aws-credentials left them.
    fn credentials(js: &JobState) -> Result<Credentials, Stop> {
        js.credentials
            .clone()
            .ok_or_else(|| fail("Could not load credentials from any providers"))
    }

    fn configure(
        &mut self,
        js: &mut JobState,
        inputs: &BTreeMap<String, String>,
        outputs: &mut serde_json::Map<String, Value>,
    ) -> StepResult {
        let region = inputs.get("aws-region").cloned().unwrap_or_default();
        if region.is_empty() {
            return Err(fail("Input required and not supplied: aws-region"));
        }
        if inputs
            .get("aws-access-key-id")
            .is_some_and(|k| !k.is_empty())
        {
            return Err(fail(
                "ecsdrill replays OIDC credentials only: no IAM user has these access keys here. Assume a role with `role-to-assume` (and remove the keys from GitHub)",
            ));
        }
        let role = inputs.get("role-to-assume").cloned().unwrap_or_default();
        if role.is_empty() {
            return Err(fail(CREDENTIALS_NOT_LOADED));
        }
        if !js.id_token {
            self.line(js, "It looks like you might be trying to authenticate with OIDC. Did you mean to set the `id-token` permission? If you are not trying to authenticate with OIDC and the action is working successfully, you can ignore this message.");
            return Err(fail(CREDENTIALS_NOT_LOADED));
        }
        let not_authorized = "Could not assume role with OIDC: Not authorized to perform sts:AssumeRoleWithWebIdentity";
        let Some(role_name) = role
            .strip_prefix("arn:aws:iam::")
            .and_then(|r| r.split_once(":role/"))
            .map(|(acct, name)| {
                (
                    acct.to_string(),
                    name.rsplit('/').next().unwrap_or(name).to_string(),
                )
            })
        else {
            return Err(fail(format!(
                "Could not assume role with OIDC: `{role}` is not a role ARN; role-to-assume takes arn:aws:iam::ACCOUNT:role/NAME"
            )));
        };
        let (acct, name) = role_name;
        let sub = match &js.environment {
            Some(e) => format!("repo:{}:environment:{e}", self.push.repository),
            None => format!(
                "repo:{}:ref:refs/heads/{}",
                self.push.repository, self.push.branch
            ),
        };
        let audience = inputs
            .get("audience")
            .cloned()
            .unwrap_or_else(|| trust::DEFAULT_AUDIENCE.into());
        self.line(
            js,
            format!("OIDC token from GitHub: sub={sub} aud={audience}"),
        );
        if acct != self.cloud.account() {
            self.line(
                js,
                format!(
                    "ecsdrill: the role is in account {acct}, not in this account ({})",
                    self.cloud.account()
                ),
            );
            return Err(fail(not_authorized));
        }
        let audiences = self.cloud.oidc_provider_audiences(trust::GITHUB_ISSUER)?;
        let Some(audiences) = audiences else {
            return Err(fail(format!(
                "Could not assume role with OIDC: No OpenIDConnect provider found in your account for https://{}",
                trust::GITHUB_ISSUER
            )));
        };
        if !audiences.iter().any(|a| a == &audience) {
            return Err(fail(format!(
                "Could not assume role with OIDC: Incorrect token audience (the provider's client IDs are: {})",
                audiences.join(", ")
            )));
        }
        let policy = self.cloud.role_trust_policy(&name)?;
        let Some(policy) = policy else {
            self.line(
                js,
                format!("ecsdrill: there is no role `{name}` in this account"),
            );
            return Err(fail(not_authorized));
        };
        let provider_arn = format!(
            "arn:aws:iam::{}:oidc-provider/{}",
            self.cloud.account(),
            trust::GITHUB_ISSUER
        );
        let mut claims = trust::push_claims(&self.push.repository, &self.push.branch);
        claims.insert("sub".into(), sub.clone());
        claims.insert("aud".into(), audience);
        let who = WebIdentity {
            provider_arn: &provider_arn,
            issuer: trust::GITHUB_ISSUER,
            claims: &claims,
        };
        match trust::evaluate(&policy, &who) {
            Decision::Allowed { .. } => {}
            Decision::Denied { statement } => {
                self.line(
                    js,
                    format!(
                        "ecsdrill: statement {statement} of the trust policy denies this token"
                    ),
                );
                return Err(fail(not_authorized));
            }
            Decision::NotAllowed { reason } => {
                self.line(js, format!("ecsdrill: {reason}"));
                return Err(fail(not_authorized));
            }
        }
        let creds = Credentials {
            role_arn: role.clone(),
            sub,
            region: region.clone(),
        };
        let caller = self.caller(&creds);
        self.line(js, format!("Authenticated as assumedRoleId {caller}"));
        outputs.insert("aws-account-id".into(), Value::String(self.cloud.account()));
        for k in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
            js.env.insert(k.into(), region.clone());
        }
        self.run.credentials.push(creds.clone());
        js.credentials = Some(creds);
        Ok(())
    }

    fn ecr_login(
        &mut self,
        js: &mut JobState,
        inputs: &BTreeMap<String, String>,
        outputs: &mut serde_json::Map<String, Value>,
    ) -> StepResult {
        let c = Self::credentials(js)?;
        self.authorize(js, &c, &["ecr:GetAuthorizationToken"], "*")?;
        let accounts: Vec<String> = match inputs.get("registries") {
            Some(r) if !r.trim().is_empty() => r.split(',').map(|x| x.trim().to_string()).collect(),
            _ => vec![self.cloud.account()],
        };
        for a in &accounts {
            let reg = format!("{a}.dkr.ecr.{}.amazonaws.com", c.region);
            self.line(js, format!("Logging into registry {reg}"));
            js.logins.insert(reg);
        }
        if accounts.len() == 1 {
            outputs.insert(
                "registry".into(),
                Value::String(format!(
                    "{}.dkr.ecr.{}.amazonaws.com",
                    accounts[0], c.region
                )),
            );
        }
        Ok(())
    }

    fn docker_login(&mut self, js: &mut JobState, registry: &str) -> StepResult {
        let Some(c) = js.credentials.clone() else {
            return Err(fail(format!(
                "Error response from daemon: Get \"https://{registry}/v2/\": no basic auth credentials (no AWS credentials to get a password with)"
            )));
        };
        self.authorize(js, &c, &["ecr:GetAuthorizationToken"], "*")?;
        js.logins.insert(registry.to_string());
        self.line(js, "Login Succeeded");
        Ok(())
    }

    fn docker(
        &mut self,
        js: &mut JobState,
        c: Command,
        outputs: &mut serde_json::Map<String, Value>,
    ) -> StepResult {
        match c {
            Command::Build {
                tags,
                context,
                push,
            } => {
                let dockerfile = format!("{}/Dockerfile", context.trim_end_matches('/'));
                let dockerfile = dockerfile.trim_start_matches("./").to_string();
                if !js.checked_out || !self.inputs.files.contains_key(&dockerfile) {
                    let why = if js.checked_out {
                        ""
                    } else {
                        " (the repository was not checked out: add actions/checkout first)"
                    };
                    return Err(fail(format!(
                        "ERROR: failed to build: failed to read dockerfile: open {dockerfile}: no such file or directory{why}"
                    )));
                }
                if let Some(bad) = tags.iter().find(|t| !valid_reference(t)) {
                    return Err(fail(format!(
                        "ERROR: invalid tag \"{bad}\": invalid reference format (an expression in it may have been empty)"
                    )));
                }
                if tags.is_empty() {
                    self.line(js, "built an image with no tag: nothing can push it");
                }
                for t in &tags {
                    js.local_images.insert(normal_ref(t));
                }
                self.line(
                    js,
                    format!(
                        "built {} (the replay stands in for the build: the image is this commit's)",
                        tags.join(", ")
                    ),
                );
                if push {
                    for t in tags {
                        self.docker_push(js, &t, outputs)?;
                    }
                }
                Ok(())
            }
            Command::Tag { source, target } => {
                if !js.local_images.contains(&normal_ref(&source)) {
                    return Err(fail(format!(
                        "Error response from daemon: No such image: {source}"
                    )));
                }
                js.local_images.insert(normal_ref(&target));
                Ok(())
            }
            Command::Push { image } => self.docker_push(js, &image, outputs),
            _ => Ok(()),
        }
    }

    fn docker_push(
        &mut self,
        js: &mut JobState,
        image: &str,
        _outputs: &mut serde_json::Map<String, Value>,
    ) -> StepResult {
        let image = normal_ref(image);
        if !js.local_images.contains(&image) {
            return Err(fail(format!(
                "An image does not exist locally with the tag: {}",
                image.rsplit_once(':').map_or(image.as_str(), |(r, _)| r)
            )));
        }
        let (host, rest) = image
            .split_once('/')
            .unwrap_or(("docker.io", image.as_str()));
        let (repo, tag) = rest.rsplit_once(':').unwrap_or((rest, "latest"));
        if !js.logins.contains(host) {
            return Err(fail(format!(
                "no basic auth credentials (docker is not logged in to {host}: run aws-actions/amazon-ecr-login first)"
            )));
        }
        let Some(c) = js.credentials.clone() else {
            return Err(fail("no basic auth credentials"));
        };
        let here = self.registry(&self.cloud.region());
        if host != here {
            return Err(fail(format!(
                "denied: ecsdrill's sandbox holds only the registry {here}; {host} is another account or Region"
            )));
        }
        let repo_arn = format!(
            "arn:aws:ecr:{}:{}:repository/{repo}",
            c.region,
            self.cloud.account()
        );
        let push_actions = [
            "ecr:BatchCheckLayerAvailability",
            "ecr:InitiateLayerUpload",
            "ecr:UploadLayerPart",
            "ecr:CompleteLayerUpload",
            "ecr:PutImage",
        ];
        self.authorize(js, &c, &push_actions, &repo_arn)
            .map_err(|s| s.prefixed("denied: "))?;
        if !self.cloud.repository_exists(repo)? {
            return Err(fail(format!(
                "name unknown: The repository with name '{repo}' does not exist in the registry with id '{}'",
                self.cloud.account()
            )));
        }
        let build = format!("commit-{}", self.push.sha);
        let digest = self
            .cloud
            .push_image(repo, tag, &build)
            .map_err(|e| Stop::from(e).prefixed("tag invalid: "))?;
        self.line(js, format!("{tag}: digest: {digest}"));
        self.run.pushed.push(PushedImage {
            repository: repo.to_string(),
            tag: tag.to_string(),
            digest,
        });
        Ok(())
    }

    /// A file of the checkout (relative to the workspace) or one a step wrote.
    fn read_file(&self, js: &JobState, path: &str) -> Option<String> {
        if let Some(t) = js.temp_files.get(path) {
            return Some(t.clone());
        }
        if !js.checked_out {
            return None;
        }
        let name = self.push.repository.split('/').nth(1).unwrap_or("repo");
        let ws = format!("{WORKSPACE_ROOT}/{name}/{name}/");
        let rel = path
            .strip_prefix(&ws)
            .unwrap_or(path)
            .trim_start_matches("./");
        self.inputs.files.get(rel).cloned()
    }

    fn render(
        &mut self,
        js: &mut JobState,
        inputs: &BTreeMap<String, String>,
        outputs: &mut serde_json::Map<String, Value>,
    ) -> StepResult {
        let mut td: Value = if let Some(path) =
            inputs.get("task-definition").filter(|p| !p.is_empty())
        {
            let Some(text) = self.read_file(js, path) else {
                let why = if js.checked_out {
                    ""
                } else {
                    " (the repository was not checked out: add actions/checkout first)"
                };
                return Err(fail(format!(
                    "Task definition file does not exist: {path}{why}"
                )));
            };
            match serde_json::from_str(&text) {
                Ok(v) => v,
                Err(e) => {
                    return Err(fail(format!(
                        "Invalid task definition format: {path} is not JSON ({e})"
                    )));
                }
            }
        } else if let Some(family) = inputs
            .get("task-definition-family")
            .or(inputs.get("task-definition-arn"))
        {
            let c = Self::credentials(js)?;
            self.authorize(js, &c, &["ecs:DescribeTaskDefinition"], "*")
                .map_err(|s| s.prefixed("Failed to describe task definition in ECS: "))?;
            self.cloud.describe_task_definition(family).map_err(|e| {
                Stop::from(e).prefixed("Failed to describe task definition in ECS: ")
            })?
        } else {
            return Err(fail(
                "Either task definition, task definition arn or task definition family must be provided",
            ));
        };
        let names: Vec<String> = inputs
            .get("container-name")
            .map(|n| {
                n.split(',')
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let image = inputs.get("image").cloned().unwrap_or_default();
        if names.is_empty() || image.is_empty() {
            let missing = if names.is_empty() {
                "container-name"
            } else {
                "image"
            };
            return Err(fail(format!("Input required and not supplied: {missing}")));
        }
        let Some(containers) = td
            .get_mut("containerDefinitions")
            .and_then(|c| c.as_array_mut())
        else {
            return Err(fail(
                "Invalid task definition format: containerDefinitions section is not present or is not an array",
            ));
        };
        for n in &names {
            let Some(c) = containers
                .iter_mut()
                .find(|c| c["name"].as_str() == Some(n))
            else {
                return Err(fail(
                    "Invalid task definition: Could not find container definition with matching name",
                ));
            };
            c["image"] = Value::String(image.clone());
        }
        for k in inputs.keys() {
            if ![
                "task-definition",
                "task-definition-family",
                "task-definition-arn",
                "task-definition-revision",
                "container-name",
                "image",
            ]
            .contains(&k.as_str())
            {
                self.line(js, format!("not replayed: the input `{k}`"));
            }
        }
        let path = format!(
            "{RUNNER_TEMP}/task-definition-{}.json",
            js.temp_files.len() + 1
        );
        js.temp_files.insert(
            path.clone(),
            serde_json::to_string_pretty(&td).unwrap_or_default(),
        );
        self.line(
            js,
            format!(
                "rendered {} with image {image} into {path}",
                names.join(", ")
            ),
        );
        outputs.insert("task-definition".into(), Value::String(path));
        Ok(())
    }

    fn deploy(
        &mut self,
        js: &mut JobState,
        inputs: &BTreeMap<String, String>,
        outputs: &mut serde_json::Map<String, Value>,
    ) -> StepResult {
        let c = Self::credentials(js)?;
        let td_input = inputs.get("task-definition").cloned().unwrap_or_default();
        if td_input.is_empty() {
            return Err(fail("Input required and not supplied: task-definition"));
        }
        let mut td: Value = match self.read_file(js, &td_input) {
            Some(text) => match serde_json::from_str(&text) {
                Ok(v) => v,
                Err(e) => {
                    return Err(fail(format!(
                        "Failed to register task definition in ECS: {td_input} is not JSON ({e})"
                    )));
                }
            },
            None if td_input.ends_with(".json") => {
                let why = if js.checked_out {
                    ""
                } else {
                    " (the repository was not checked out: add actions/checkout first)"
                };
                return Err(fail(format!(
                    "ENOENT: no such file or directory, open '{td_input}'{why}"
                )));
            }
            None => {
                // a family name: the latest ACTIVE revision
                self.cloud.describe_task_definition(&td_input)?
            }
        };
        const IGNORED: &[&str] = &[
            "compatibilities",
            "taskDefinitionArn",
            "requiresAttributes",
            "revision",
            "status",
            "registeredAt",
            "deregisteredAt",
            "registeredBy",
        ];
        if let Some(o) = td.as_object_mut() {
            for k in IGNORED {
                if o.remove(*k).is_some() {
                    let line = format!(
                        "Warning: Ignoring property '{k}' in the task definition file. This property is returned by the Amazon ECS DescribeTaskDefinition API and may be shown in the ECS console, but it is not a valid field when registering a new task definition. This field can be safely removed from your task definition file."
                    );
                    self.line(js, line);
                }
            }
        }
        self.authorize(js, &c, &["ecs:RegisterTaskDefinition"], "*")
            .map_err(|s| s.prefixed("Failed to register task definition in ECS: "))?;
        for key in ["executionRoleArn", "taskRoleArn"] {
            if let Some(role) = td
                .get(key)
                .and_then(|r| r.as_str())
                .filter(|r| !r.is_empty())
            {
                let role = role.to_string();
                self.authorize(js, &c, &["iam:PassRole"], &role)
                    .map_err(|s| s.prefixed("Failed to register task definition in ECS: "))?;
            }
        }
        let registered = self
            .cloud
            .register_task_definition(&td)
            .map_err(|e| Stop::from(e).prefixed("Failed to register task definition in ECS: "))?;
        let arn = registered["taskDefinitionArn"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.line(js, format!("Registered task definition ARN: {arn}"));
        self.run.registered.push(arn.clone());
        outputs.insert("task-definition-arn".into(), Value::String(arn.clone()));
        let images: Vec<String> = registered["containerDefinitions"]
            .as_array()
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| c["image"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let Some(service) = inputs.get("service").filter(|s| !s.is_empty()).cloned() else {
            self.line(
                js,
                "no service given: the task definition is registered, nothing is deployed",
            );
            return Ok(());
        };
        let cluster = inputs
            .get("cluster")
            .filter(|s| !s.is_empty())
            .cloned()
            .unwrap_or_else(|| "default".into());
        let service_arn = format!(
            "arn:aws:ecs:{}:{}:service/{cluster}/{service}",
            c.region,
            self.cloud.account()
        );
        self.authorize(js, &c, &["ecs:DescribeServices"], &service_arn)?;
        let Some(before) = self.service_in_region(&c, &cluster, &service)? else {
            return Err(fail(format!("{service_arn} is MISSING")));
        };
        if before["status"].as_str() != Some("ACTIVE") {
            return Err(fail(format!(
                "Service is {}",
                before["status"].as_str().unwrap_or("")
            )));
        }
        let before_id = primary_id(&before);
        self.authorize(js, &c, &["ecs:UpdateService"], &service_arn)?;
        let force = inputs
            .get("force-new-deployment")
            .is_some_and(|f| f.trim() == "true");
        let desired = inputs
            .get("desired-count")
            .and_then(|d| d.trim().parse().ok());
        let updated = self
            .cloud
            .update_service(&cluster, &service, &arn, force, desired)?;
        let after_id = primary_id(&updated);
        let region = c.region.clone();
        self.line(js, format!("Deployment started. Watch this deployment's progress in the Amazon ECS console: https://{region}.console.aws.amazon.com/ecs/v2/clusters/{cluster}/services/{service}/deployments?region={region}"));
        let mut record = Deploy {
            cluster: cluster.clone(),
            service: service.clone(),
            task_definition: arn,
            images,
            waited: false,
            deployment_id: after_id.clone(),
            rollout_state: None,
        };
        let waits = inputs
            .get("wait-for-service-stability")
            .is_some_and(|w| w.trim().eq_ignore_ascii_case("true"));
        if !waits {
            record.rollout_state = rollout_state(&updated, after_id.as_deref());
            self.run.deploys.push(record);
            return Ok(());
        }
        record.waited = true;
        let minutes: u32 = inputs
            .get("wait-for-minutes")
            .and_then(|m| m.trim().parse().ok())
            .unwrap_or(30)
            .min(360);
        self.line(
            js,
            format!("Waiting for the service to become stable (at most {minutes} minutes)"),
        );
        let svc = match self.wait_stable(&cluster, &service, minutes) {
            Ok(s) => s,
            Err(stop) => {
                self.run.deploys.push(record);
                return Err(stop);
            }
        };
        record.rollout_state = rollout_state(&svc, after_id.as_deref());
        self.run.deploys.push(record);
        if let Some(id) = after_id.filter(|a| Some(a) != before_id.as_ref()) {
            let deployment = svc["deployments"]
                .as_array()
                .and_then(|ds| ds.iter().find(|d| d["id"].as_str() == Some(&id)));
            match deployment {
                None => {
                    return Err(fail(format!(
                        "Deployment {id} not found after stabilization. The deployment was likely rolled back by the deployment circuit breaker."
                    )));
                }
                Some(d) if d["rolloutState"].as_str() == Some("FAILED") => {
                    return Err(fail(format!(
                        "Deployment {id} FAILED: {}",
                        d["rolloutStateReason"].as_str().unwrap_or("unknown reason")
                    )));
                }
                Some(d) => {
                    let state = d["rolloutState"].as_str().unwrap_or("N/A").to_string();
                    self.line(
                        js,
                        format!("Deployment {id} verified: rolloutState={state}"),
                    );
                }
            }
        }
        Ok(())
    }

    /// DescribeServices in the Region the credentials were configured for: the sandbox has
    /// one Region, so any other one holds no service.
    fn service_in_region(
        &mut self,
        c: &Credentials,
        cluster: &str,
        service: &str,
    ) -> CloudResult<Option<Value>> {
        if c.region != self.cloud.region() {
            return Ok(None);
        }
        self.cloud.describe_service(cluster, service)
    }

    /// The `services-stable` waiter: one deployment left and as many running as desired,
    /// polled every 15 seconds.
    fn wait_stable(&mut self, cluster: &str, service: &str, minutes: u32) -> StepResult<Value> {
        let mut waited = 0;
        loop {
            let Some(svc) = self.cloud.describe_service(cluster, service)? else {
                return Err(fail("Waiter ServicesStable failed: the service is MISSING"));
            };
            let status = svc["status"].as_str().unwrap_or("");
            if status == "DRAINING" || status == "INACTIVE" {
                return Err(fail(format!(
                    "Waiter ServicesStable failed: the service is {status}"
                )));
            }
            let deployments = svc["deployments"].as_array().map_or(0, |d| d.len());
            if deployments == 1 && svc["runningCount"] == svc["desiredCount"] {
                (self.say)(&format!("  stable after {}", mmss(waited)));
                return Ok(svc);
            }
            if waited >= minutes * 60 {
                return Err(fail(format!(
                    "Waiter has timed out: the service was not stable after {minutes} minutes ({deployments} deployments, {} of {} tasks running)",
                    svc["runningCount"], svc["desiredCount"]
                )));
            }
            self.cloud.pass(15)?;
            waited += 15;
        }
    }
}

fn mmss(s: u32) -> String {
    format!("{}:{:02}", s / 60, s % 60)
}

fn primary_id(service: &Value) -> Option<String> {
    service["deployments"]
        .as_array()?
        .iter()
        .find(|d| d["status"] == "PRIMARY")
        .and_then(|d| d["id"].as_str())
        .map(String::from)
}

fn rollout_state(service: &Value, id: Option<&str>) -> Option<String> {
    service["deployments"]
        .as_array()?
        .iter()
        .find(|d| d["id"].as_str() == id)
        .and_then(|d| d["rolloutState"].as_str())
        .map(String::from)
}

/// Whether Docker accepts `r` as an image reference: path components of lowercase letters,
/// digits and separators (the first may be a registry host, with a port), then an optional
/// `:tag` of at most 128 word characters, dots and dashes.
fn valid_reference(r: &str) -> bool {
    let (name, tag) = match r.rsplit_once(':') {
        Some((n, t)) if !t.contains('/') => (n, Some(t)),
        _ => (r, None),
    };
    let tag_ok = tag.is_none_or(|t| {
        !t.is_empty()
            && t.len() <= 128
            && !t.starts_with(['.', '-'])
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    });
    let mut parts = name.split('/').peekable();
    let host = parts
        .peek()
        .is_some_and(|h| h.contains(['.', ':']) || *h == "localhost")
        .then(|| parts.next());
    let host_ok = host.flatten().is_none_or(|h| !h.is_empty());
    let path: Vec<&str> = parts.collect();
    let path_ok = !path.is_empty()
        && path.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
                && p.starts_with(|c: char| c.is_ascii_alphanumeric())
        });
    tag_ok && host_ok && path_ok
}

/// An image reference with the default tag made explicit (`repo` → `repo:latest`).
fn normal_ref(r: &str) -> String {
    let last = r.rsplit('/').next().unwrap_or(r);
    if last.contains(':') || last.contains('@') {
        r.to_string()
    } else {
        format!("{r}:latest")
    }
}

/// Whether the job's token may be exchanged: its own permissions, else the workflow's.
fn job_id_token(w: &Workflow, job: &Job) -> bool {
    let p = job.permissions.as_ref().or(w.permissions.as_ref());
    lint::grants_id_token(p.map(|p| &p.value))
}

#[cfg(test)]
#[path = "replay_tests.rs"]
mod tests;
