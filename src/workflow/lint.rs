//! The linter: what can be told from a deploy workflow's text alone, before anything runs.
//! Each finding is located (file:line:column) and has a rule id, so that a lab check can ask
//! for one rule and show its message. Problems that only show when the steps run (a trust
//! policy that refuses the token, a container name not in the task definition) are the
//! replay's to find.

use serde::Serialize;
use serde_json::Value;
use serde_saphyr::{Location, Spanned};

use super::actions::{
    self, CONFIGURE_CREDENTIALS, DEPLOY_TASK_DEFINITION, RENDER_TASK_DEFINITION, Ref,
};
use super::expr;
use super::{Job, Step, Workflow};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// The file is not YAML GitHub can read as a workflow.
    Syntax,
    /// The workflow does not run on a push to the branch.
    Trigger,
    /// A job that asks for OIDC credentials may not request a token.
    IdToken,
    /// An action at a version that does not exist, a branch, or an old major.
    ActionVersion,
    UnknownInput,
    RequiredInput,
    /// Access keys stored in GitHub instead of a role assumed with OIDC.
    LongLivedKeys,
    /// The deploy step does not wait for the service to become stable.
    Wait,
    /// The deploy step deploys the repository's file, not the rendered one.
    RenderedFile,
    /// An expression names an unknown context, a step that is not earlier in the job, or a
    /// job not in `needs`.
    Expression,
    /// A step every ECS deploy job needs is not there.
    MissingStep,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    pub rule: Rule,
    pub severity: Severity,
    pub line: u64,
    pub column: u64,
    pub message: String,
    /// `FILE:LINE:COLUMN: message`, as printed.
    pub text: String,
}

struct Linter<'a> {
    file: &'a str,
    out: Vec<Finding>,
}

impl Linter<'_> {
    fn push(&mut self, rule: Rule, severity: Severity, at: Location, message: String) {
        let (line, column) = (at.line().max(1), at.column().max(1));
        let text = format!("{}:{line}:{column}: {message}", self.file);
        self.out.push(Finding {
            rule,
            severity,
            line,
            column,
            message,
            text,
        });
    }
}

/// Lints a parsed workflow for a push to `branch`.
pub fn lint(file: &str, w: &Workflow, branch: &str) -> Vec<Finding> {
    let mut l = Linter {
        file,
        out: Vec::new(),
    };
    trigger(&mut l, w, branch);
    let job_ids: Vec<&str> = w.jobs.iter().map(|(id, _)| id.as_str()).collect();
    let mut configures = false;
    let mut deploys = false;
    for (id, job) in &w.jobs {
        let at = job.referenced;
        let job = &job.value;
        if let Some(u) = &job.uses {
            l.push(
                Rule::MissingStep,
                Severity::Warning,
                u.referenced,
                format!("job `{id}` calls the reusable workflow {}; ecsdrill replays only steps written in this file", u.value),
            );
        }
        expressions_of_job(&mut l, id, job, &job_ids);
        for step in &job.steps {
            let Some((name, r)) = step.value.action() else {
                continue;
            };
            let Some(action) = actions::aws_action(name) else {
                continue;
            };
            action_version(&mut l, step, action, r);
            inputs(&mut l, step, action);
            match action.name {
                CONFIGURE_CREDENTIALS => {
                    configures = true;
                    credentials(&mut l, w, id, at, job, step);
                }
                DEPLOY_TASK_DEFINITION => {
                    deploys = true;
                    deploy(&mut l, job, step);
                }
                _ => {}
            }
        }
    }
    let top = w
        .jobs
        .first()
        .map_or(Location::UNKNOWN, |(_, j)| j.referenced);
    if !configures {
        l.push(
            Rule::MissingStep,
            Severity::Error,
            top,
            format!("no step gets AWS credentials: add {CONFIGURE_CREDENTIALS}@v{} with role-to-assume and aws-region", actions::aws_action(CONFIGURE_CREDENTIALS).map_or(6, |a| a.latest())),
        );
    }
    if !deploys {
        l.push(
            Rule::MissingStep,
            Severity::Error,
            top,
            format!("no step deploys to ECS: add {DEPLOY_TASK_DEFINITION}@v2 with task-definition, service and cluster"),
        );
    }
    l.out.sort_by_key(|f| (f.line, f.column));
    l.out
}

/// GitHub's branch filter patterns: `*` does not cross `/`, `**` does, `?` is one character.
pub fn branch_matches(pattern: &str, branch: &str) -> bool {
    fn go(p: &[char], s: &[char]) -> bool {
        match p {
            [] => s.is_empty(),
            ['*', '*', rest @ ..] => (0..=s.len()).any(|i| go(rest, &s[i..])),
            ['*', rest @ ..] => (0..=s.len())
                .take_while(|&i| i == 0 || s[i - 1] != '/')
                .any(|i| go(rest, &s[i..])),
            ['?', rest @ ..] => !s.is_empty() && go(rest, &s[1..]),
            [c, rest @ ..] => s.first() == Some(c) && go(rest, &s[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = branch.chars().collect();
    go(&p, &s)
}

/// Whether `on` runs the workflow for a push to `branch`, and if not why.
pub fn runs_on_push(on: &Value, branch: &str) -> Result<(), String> {
    let push = match on {
        Value::String(s) if s == "push" => return Ok(()),
        Value::Array(a) if a.iter().any(|e| e == "push") => return Ok(()),
        Value::Object(o) => match o.get("push") {
            Some(p) => p,
            None => {
                return Err(format!(
                    "it runs on {} only, not on a push",
                    names(o.keys())
                ));
            }
        },
        Value::String(s) => return Err(format!("it runs on `{s}` only, not on a push")),
        _ => return Err("it runs on no push event".into()),
    };
    let Value::Object(filters) = push else {
        return Ok(());
    };
    let list = |k: &str| -> Option<Vec<String>> {
        filters.get(k).map(|v| match v {
            Value::Array(a) => a.iter().map(expr::text).collect(),
            other => vec![expr::text(other)],
        })
    };
    if let Some(branches) = list("branches") {
        // `!pattern` excludes again what an earlier pattern included
        let mut included = false;
        for p in &branches {
            match p.strip_prefix('!') {
                Some(neg) if branch_matches(neg, branch) => included = false,
                None if branch_matches(p, branch) => included = true,
                _ => {}
            }
        }
        if !included {
            return Err(format!(
                "its push filter `branches: [{}]` does not match the branch `{branch}`",
                branches.join(", ")
            ));
        }
    } else if let Some(ignored) = list("branches-ignore") {
        if let Some(p) = ignored.iter().find(|p| branch_matches(p, branch)) {
            return Err(format!(
                "its `branches-ignore` pattern `{p}` excludes `{branch}`"
            ));
        }
    } else if list("tags").is_some() {
        return Err(
            "its push filter lists only `tags`, so pushing a branch does not run it".into(),
        );
    }
    Ok(())
}

fn names<'a>(keys: impl Iterator<Item = &'a String>) -> String {
    keys.map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn trigger(l: &mut Linter, w: &Workflow, branch: &str) {
    let Some(on) = &w.on else {
        l.push(
            Rule::Trigger,
            Severity::Error,
            Location::UNKNOWN,
            "the workflow has no `on:`, so nothing runs it; add `on: push: branches: [...]`".into(),
        );
        return;
    };
    if let Err(why) = runs_on_push(&on.value, branch) {
        l.push(
            Rule::Trigger,
            Severity::Error,
            on.referenced,
            format!("a push to `{branch}` does not run this workflow: {why}"),
        );
    }
}

/// The permissions a job's token has: its own block, else the workflow's, else none of
/// `id-token` (GitHub's default never grants it).
pub fn grants_id_token(p: Option<&Value>) -> bool {
    match p {
        Some(Value::String(s)) => s == "write-all",
        Some(Value::Object(o)) => o.get("id-token").and_then(|v| v.as_str()) == Some("write"),
        _ => false,
    }
}

fn credentials(
    l: &mut Linter,
    w: &Workflow,
    job_id: &str,
    job_at: Location,
    job: &Job,
    step: &Spanned<Step>,
) {
    let s = &step.value;
    let at = s.uses.as_ref().map_or(step.referenced, |u| u.referenced);
    if let Some(k) = s.with.get("aws-access-key-id") {
        l.push(
            Rule::LongLivedKeys,
            Severity::Error,
            k.referenced,
            "long-lived access keys stored in GitHub: remove aws-access-key-id and aws-secret-access-key and assume a role with OIDC (role-to-assume)".into(),
        );
        return;
    }
    if !s.with.contains_key("role-to-assume") {
        l.push(
            Rule::RequiredInput,
            Severity::Error,
            at,
            "no credentials to get: set role-to-assume to the ARN of the role GitHub assumes with OIDC".into(),
        );
        return;
    }
    let (effective, where_at, whose) = match &job.permissions {
        Some(p) => (
            Some(&p.value),
            p.referenced,
            format!("job `{job_id}`'s permissions"),
        ),
        None => match &w.permissions {
            Some(p) => (
                Some(&p.value),
                p.referenced,
                "the workflow's permissions".to_string(),
            ),
            None => (None, job_at, format!("job `{job_id}`")),
        },
    };
    if !grants_id_token(effective) {
        let detail = if effective.is_some() {
            format!("{whose} do not include `id-token: write`")
        } else {
            format!(
                "{whose} has no `permissions:`, and GitHub's default token has no id-token permission"
            )
        };
        l.push(
            Rule::IdToken,
            Severity::Error,
            where_at,
            format!("{detail}, so the job cannot get an OIDC token for role-to-assume; add `permissions: {{id-token: write, contents: read}}`"),
        );
    }
}

fn action_version(l: &mut Linter, step: &Spanned<Step>, a: &actions::Action, r: &str) {
    let at = step
        .value
        .uses
        .as_ref()
        .map_or(step.referenced, |u| u.referenced);
    let latest = a.latest();
    match actions::parse_ref(r) {
        Ref::Missing => l.push(
            Rule::ActionVersion,
            Severity::Error,
            at,
            format!("`uses: {}` needs a version after `@`, such as {}@v{latest}", a.name, a.name),
        ),
        Ref::Major(m) if !a.majors.contains(&m) => l.push(
            Rule::ActionVersion,
            Severity::Error,
            at,
            format!("{} has no version v{m}: GitHub cannot resolve it (the latest major is v{latest})", a.name),
        ),
        Ref::Major(m) if m < latest => l.push(
            Rule::ActionVersion,
            Severity::Warning,
            at,
            format!("{}@v{m} is an old major version; the current one is v{latest}", a.name),
        ),
        Ref::Branch(b) => l.push(
            Rule::ActionVersion,
            Severity::Warning,
            at,
            format!("{}@{b} follows a branch: whatever is pushed there next runs with your AWS credentials; pin v{latest} or a commit SHA", a.name),
        ),
        _ => {}
    }
}

fn inputs(l: &mut Linter, step: &Spanned<Step>, a: &actions::Action) {
    let s = &step.value;
    let at = s.uses.as_ref().map_or(step.referenced, |u| u.referenced);
    for (name, v) in &s.with {
        if !a.inputs.iter().any(|i| i.eq_ignore_ascii_case(name)) {
            let near = crate::deck::did_you_mean(name, a.inputs)
                .map(|n| format!(" (did you mean `{n}`?)"))
                .unwrap_or_default();
            l.push(
                Rule::UnknownInput,
                Severity::Error,
                v.referenced,
                format!("{} has no input `{name}`{near}: GitHub only warns about it and the action never sees it", a.name),
            );
        }
    }
    for r in a.required {
        if !s.with.contains_key(*r) {
            l.push(
                Rule::RequiredInput,
                Severity::Error,
                at,
                format!("{} requires the input `{r}`", a.name),
            );
        }
    }
    if a.name == RENDER_TASK_DEFINITION
        && ![
            "task-definition",
            "task-definition-arn",
            "task-definition-family",
        ]
        .iter()
        .any(|k| s.with.contains_key(*k))
    {
        l.push(
            Rule::RequiredInput,
            Severity::Error,
            at,
            format!("{RENDER_TASK_DEFINITION} needs the task definition to render: task-definition (a file in the repository) or task-definition-family"),
        );
    }
}

fn deploy(l: &mut Linter, job: &Job, step: &Spanned<Step>) {
    let s = &step.value;
    let at = s.uses.as_ref().map_or(step.referenced, |u| u.referenced);
    let waits = s
        .input("wait-for-service-stability")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if !waits {
        l.push(
            Rule::Wait,
            Severity::Warning,
            s.with.get("wait-for-service-stability").map_or(at, |v| v.referenced),
            "the deploy step does not wait for the service to become stable (`wait-for-service-stability: true`): the run goes green while the new tasks may still fail and roll back".into(),
        );
    }
    if !s.with.contains_key("service") {
        l.push(
            Rule::RequiredInput,
            Severity::Warning,
            at,
            "without `service` the deploy action only registers the task definition; no service runs it".into(),
        );
    }
    let renders: Vec<&Step> = job
        .steps
        .iter()
        .map(|st| &st.value)
        .filter(|st| {
            st.action()
                .is_some_and(|(n, _)| n.eq_ignore_ascii_case(RENDER_TASK_DEFINITION))
        })
        .collect();
    let render_ids: Vec<&str> = renders
        .iter()
        .filter_map(|st| st.id.as_ref().map(|i| i.value.as_str()))
        .collect();
    if let Some(td) = s.with.get("task-definition") {
        let text = super::scalar_text(&td.value);
        let uses_render = expr::references(&expr::expressions(&text).join(" "))
            .iter()
            .any(|(ctx, member)| {
                ctx == "steps" && member.as_deref().is_some_and(|m| render_ids.contains(&m))
            });
        if !renders.is_empty() && !uses_render {
            l.push(
                Rule::RenderedFile,
                Severity::Error,
                td.referenced,
                format!("the deploy step deploys `{text}` as it is in the repository, not the file the render step wrote; use `${{{{ steps.<render step id>.outputs.task-definition }}}}`"),
            );
        }
    }
}

/// Every expression of a job: known contexts, earlier step ids, jobs in `needs`.
fn expressions_of_job(l: &mut Linter, job_id: &str, job: &Job, job_ids: &[&str]) {
    let needs = job.needs();
    for n in &needs {
        if !job_ids.contains(&n.as_str()) {
            let at = job
                .needs
                .as_ref()
                .map_or(Location::UNKNOWN, |x| x.referenced);
            l.push(
                Rule::Expression,
                Severity::Error,
                at,
                format!("job `{job_id}` needs `{n}`, which is not a job of this workflow"),
            );
        }
    }
    let mut earlier: Vec<String> = Vec::new();
    for step in &job.steps {
        let s = &step.value;
        let mut texts: Vec<(Location, String)> = Vec::new();
        for v in s.with.values().chain(s.env.values()) {
            texts.push((v.referenced, super::scalar_text(&v.value)));
        }
        if let Some(r) = &s.run {
            texts.push((r.referenced, r.value.clone()));
        }
        if let Some(c) = &s.condition {
            let t = super::scalar_text(&c.value);
            let t = if t.contains("${{") {
                t
            } else {
                format!("${{{{ {t} }}}}")
            };
            texts.push((c.referenced, t));
        }
        for (at, text) in texts {
            for e in expr::expressions(&text) {
                if let Err(err) = expr::check_syntax(e) {
                    l.push(Rule::Expression, Severity::Error, at, err.0);
                    continue;
                }
                for (ctx, member) in expr::references(e) {
                    let Some(member) = member else { continue };
                    if ctx == "steps" && !earlier.contains(&member) {
                        l.push(
                            Rule::Expression,
                            Severity::Error,
                            at,
                            format!("`steps.{member}` in `{e}`: no earlier step of job `{job_id}` has `id: {member}`, so it is empty"),
                        );
                    }
                    if ctx == "needs" && !needs.contains(&member) {
                        l.push(
                            Rule::Expression,
                            Severity::Error,
                            at,
                            format!("`needs.{member}` in `{e}`: job `{job_id}` does not list `{member}` in `needs`"),
                        );
                    }
                }
            }
        }
        if let Some(id) = &s.id {
            earlier.push(id.value.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::parse_workflow;

    const GOOD: &str = r#"name: Deploy to ECS
on:
  push:
    branches: [main]
permissions:
  id-token: write
  contents: read
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v7
      - uses: aws-actions/configure-aws-credentials@v6
        with:
          role-to-assume: arn:aws:iam::123456789012:role/github-deploy
          aws-region: us-east-1
      - id: login-ecr
        uses: aws-actions/amazon-ecr-login@v2
      - id: build
        run: |
          docker build -t ${{ steps.login-ecr.outputs.registry }}/storefront:${{ github.sha }} .
          docker push ${{ steps.login-ecr.outputs.registry }}/storefront:${{ github.sha }}
          echo "image=${{ steps.login-ecr.outputs.registry }}/storefront:${{ github.sha }}" >> "$GITHUB_OUTPUT"
      - id: render
        uses: aws-actions/amazon-ecs-render-task-definition@v1
        with:
          task-definition: .aws/task-definition.json
          container-name: storefront
          image: ${{ steps.build.outputs.image }}
      - uses: aws-actions/amazon-ecs-deploy-task-definition@v2
        with:
          task-definition: ${{ steps.render.outputs.task-definition }}
          service: storefront
          cluster: ci
          wait-for-service-stability: true
"#;

    fn findings(text: &str) -> Vec<Finding> {
        let w = parse_workflow("deploy.yml", text).unwrap();
        lint("deploy.yml", &w, "main")
    }

    fn rules(text: &str) -> Vec<Rule> {
        findings(text).into_iter().map(|f| f.rule).collect()
    }

    #[test]
    fn the_reference_workflow_is_clean() {
        assert_eq!(findings(GOOD), vec![]);
    }

    #[test]
    fn a_missing_id_token_permission_is_found_at_the_permissions_block() {
        let f = findings(&GOOD.replace("  id-token: write\n", ""));
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].rule, Rule::IdToken);
        assert_eq!((f[0].line, f[0].column), (6, 3), "{f:#?}");
        assert!(
            f[0].text.starts_with(
                "deploy.yml:6:3: the workflow's permissions do not include `id-token: write`"
            ),
            "{}",
            f[0].text
        );
    }

    #[test]
    fn a_job_permissions_block_replaces_the_workflows() {
        let text = GOOD.replace(
            "    runs-on: ubuntu-latest\n",
            "    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n",
        );
        assert_eq!(rules(&text), vec![Rule::IdToken]);
        let text = GOOD.replace("permissions:\n  id-token: write\n  contents: read\n", "");
        let f = findings(&text);
        assert_eq!(f[0].rule, Rule::IdToken);
        assert!(
            f[0].message.contains("has no `permissions:`"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn the_trigger_must_cover_the_branch() {
        assert_eq!(
            rules(&GOOD.replace("branches: [main]", "branches: [release/*]")),
            vec![Rule::Trigger]
        );
        assert_eq!(
            rules(&GOOD.replace("  push:\n    branches: [main]", "  pull_request:")),
            vec![Rule::Trigger]
        );
        assert_eq!(
            rules(&GOOD.replace("branches: [main]", "branches: ['**']")),
            vec![]
        );
        assert!(
            runs_on_push(
                &serde_json::json!({"push": {"branches": ["*", "!main"]}}),
                "main"
            )
            .is_err()
        );
        assert!(runs_on_push(&serde_json::json!({"push": {"tags": ["v*"]}}), "main").is_err());
        assert!(runs_on_push(&serde_json::json!(["push", "workflow_dispatch"]), "main").is_ok());
        assert!(branch_matches("release/*", "release/1"));
        assert!(!branch_matches("release/*", "release/1/x"));
        assert!(branch_matches("release/**", "release/1/x"));
    }

    #[test]
    fn versions_inputs_and_keys_are_checked_against_the_actions() {
        let f = findings(&GOOD.replace(
            "configure-aws-credentials@v6",
            "configure-aws-credentials@v9",
        ));
        assert_eq!(f[0].rule, Rule::ActionVersion);
        assert!(f[0].message.contains("has no version v9"));
        let f = findings(&GOOD.replace("amazon-ecr-login@v2", "amazon-ecr-login@main"));
        assert_eq!(
            (f[0].rule, f[0].severity),
            (Rule::ActionVersion, Severity::Warning)
        );
        let f = findings(&GOOD.replace("role-to-assume:", "role_to_assume:"));
        let r: Vec<Rule> = f.iter().map(|x| x.rule).collect();
        assert_eq!(r, vec![Rule::RequiredInput, Rule::UnknownInput], "{f:#?}");
        assert!(
            f[1].message.contains("did you mean `role-to-assume`?"),
            "{}",
            f[1].message
        );
        let keys = GOOD.replace(
            "role-to-assume: arn:aws:iam::123456789012:role/github-deploy",
            "aws-access-key-id: ${{ secrets.KEY }}\n          aws-secret-access-key: ${{ secrets.SECRET }}",
        );
        assert_eq!(rules(&keys), vec![Rule::LongLivedKeys]);
        let f = findings(&GOOD.replace("          aws-region: us-east-1\n", ""));
        assert_eq!(f[0].rule, Rule::RequiredInput);
        assert!(f[0].message.contains("`aws-region`"));
    }

    #[test]
    fn the_deploy_step_must_wait_and_deploy_the_rendered_file() {
        let f = findings(&GOOD.replace("          wait-for-service-stability: true\n", ""));
        assert_eq!((f[0].rule, f[0].severity), (Rule::Wait, Severity::Warning));
        let f = findings(&GOOD.replace(
            "${{ steps.render.outputs.task-definition }}",
            ".aws/task-definition.json",
        ));
        assert_eq!(
            f.iter().map(|x| x.rule).collect::<Vec<_>>(),
            vec![Rule::RenderedFile]
        );
        let f = findings(&GOOD.replace(
            "wait-for-service-stability: true",
            "wait-for-service-stability: false",
        ));
        assert_eq!(f[0].rule, Rule::Wait);
    }

    #[test]
    fn expressions_name_earlier_steps_and_known_contexts() {
        let f = findings(&GOOD.replace(
            "image: ${{ steps.build.outputs.image }}",
            "image: ${{ steps.push.outputs.image }}",
        ));
        assert_eq!(
            f.iter().map(|x| x.rule).collect::<Vec<_>>(),
            vec![Rule::Expression]
        );
        assert!(
            f[0].message
                .contains("no earlier step of job `deploy` has `id: push`"),
            "{}",
            f[0].message
        );
        let f = findings(&GOOD.replace("${{ github.sha }} .", "${{ git.sha }} ."));
        assert_eq!(f[0].rule, Rule::Expression);
        assert!(
            f[0].message.contains("Unrecognized named-value: 'git'"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn a_workflow_without_credentials_or_deploy_says_what_is_missing() {
        let text = "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n";
        let f = findings(text);
        assert_eq!(
            f.iter().map(|x| x.rule).collect::<Vec<_>>(),
            vec![Rule::MissingStep, Rule::MissingStep]
        );
        assert_eq!(f[0].line, 4, "at the job's first key");
    }
}
