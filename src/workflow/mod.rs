//! GitHub Actions workflows as data: the CI/CD lab's learner writes a workflow file that
//! would deploy to ECS, and ecsdrill reads it, lints it ([`lint`]) and replays its AWS steps
//! against the sandbox ([`replay`]) instead of running it on GitHub. Nothing here runs a
//! shell or a container: `run:` scripts are read for the few Docker and output commands a
//! deploy job uses, and every effect goes through the [`replay::Cloud`] edge.

pub mod actions;
pub mod expr;
pub mod lint;
pub mod reads;
pub mod replay;
pub mod shell;
pub mod trust;

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;

use crate::deck::Diagnostic;
use crate::deck::raw::{Reporter, parse};

/// A workflow file, as much of it as a deploy job uses; other keys are accepted and ignored
/// (GitHub has many more: concurrency, defaults, strategy, ...).
#[derive(Clone, Debug, Deserialize)]
pub struct Workflow {
    pub name: Option<String>,
    /// `on`: an event name, a list of them, or a map of event → filters.
    #[serde(rename = "on")]
    pub on: Option<Spanned<Value>>,
    /// The default permissions of every job's token that declares none of its own.
    pub permissions: Option<Spanned<Value>>,
    #[serde(default)]
    pub env: BTreeMap<String, Spanned<Value>>,
    /// In the order written (GitHub runs them by `needs`, then as listed).
    #[serde(default, deserialize_with = "in_order")]
    pub jobs: Vec<(String, Spanned<Job>)>,
}

/// A YAML map as a list of its entries, in the order they are written.
fn in_order<'de, D, V>(d: D) -> Result<Vec<(String, V)>, D::Error>
where
    D: serde::Deserializer<'de>,
    V: Deserialize<'de>,
{
    struct Entries<V>(std::marker::PhantomData<V>);
    impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for Entries<V> {
        type Value = Vec<(String, V)>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map of job ids to jobs")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut m: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(entry) = m.next_entry::<String, V>()? {
                out.push(entry);
            }
            Ok(out)
        }
    }
    d.deserialize_map(Entries(std::marker::PhantomData))
}

#[derive(Clone, Debug, Deserialize)]
pub struct Job {
    pub name: Option<String>,
    /// A job's own `permissions` replace the workflow's for that job, entirely.
    pub permissions: Option<Spanned<Value>>,
    /// A name or `{name, url}`; it changes the OIDC token's `sub` to the environment form.
    pub environment: Option<Spanned<Value>>,
    /// A job id or a list of them.
    pub needs: Option<Spanned<Value>>,
    #[serde(rename = "if")]
    pub condition: Option<Spanned<Value>>,
    #[serde(default)]
    pub env: BTreeMap<String, Spanned<Value>>,
    #[serde(default)]
    pub outputs: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    pub steps: Vec<Spanned<Step>>,
    /// A reusable workflow called as a job (not replayed).
    pub uses: Option<Spanned<String>>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Step {
    pub id: Option<Spanned<String>>,
    pub name: Option<String>,
    pub uses: Option<Spanned<String>>,
    #[serde(default)]
    pub with: BTreeMap<String, Spanned<Value>>,
    pub run: Option<Spanned<String>>,
    #[serde(default)]
    pub env: BTreeMap<String, Spanned<Value>>,
    #[serde(rename = "if")]
    pub condition: Option<Spanned<Value>>,
    #[serde(rename = "continue-on-error")]
    pub continue_on_error: Option<Value>,
}

impl Step {
    /// How the step is named in a log: its name, else `Run <first line>` or `Run <action>`,
    /// as GitHub shows it.
    pub fn title(&self) -> String {
        if let Some(n) = &self.name {
            return n.clone();
        }
        if let Some(u) = &self.uses {
            return format!("Run {}", u.value);
        }
        let first = self
            .run
            .as_ref()
            .and_then(|r| r.value.lines().next())
            .unwrap_or("")
            .trim();
        format!("Run {first}")
    }

    /// The action a `uses:` names, split into its name and its ref (`owner/repo@ref`).
    pub fn action(&self) -> Option<(&str, &str)> {
        let u = self.uses.as_ref()?.value.as_str();
        Some(u.split_once('@').unwrap_or((u, "")))
    }

    /// The input `name` as text: GitHub passes every input as a string.
    pub fn input(&self, name: &str) -> Option<String> {
        self.with.get(name).map(|v| scalar_text(&v.value))
    }
}

/// A YAML scalar as the text GitHub would hand over (`true` → "true", 3 → "3").
pub fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl Workflow {
    pub fn job(&self, id: &str) -> Option<&Job> {
        self.jobs
            .iter()
            .find(|(j, _)| j == id)
            .map(|(_, job)| &job.value)
    }
}

impl Job {
    /// The ids this job waits for.
    pub fn needs(&self) -> Vec<String> {
        match self.needs.as_ref().map(|n| &n.value) {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|x| x.as_str())
                .map(String::from)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The environment the job deploys to, when it names one.
    pub fn environment_name(&self) -> Option<String> {
        match self.environment.as_ref().map(|e| &e.value) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Object(o)) => o.get("name").and_then(|n| n.as_str()).map(String::from),
            _ => None,
        }
    }
}

/// Parses a workflow file; a YAML or shape error comes back located (file:line:column).
pub fn parse_workflow(file: &str, text: &str) -> Result<Workflow, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut rep = Reporter {
        file,
        out: &mut out,
    };
    match parse::<Workflow>(text, &mut rep) {
        Some(w) => Ok(w),
        None => Err(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"name: Deploy
on:
  push:
    branches: [main]
permissions:
  id-token: write
  contents: read
jobs:
  deploy:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v7
      - name: Credentials
        uses: aws-actions/configure-aws-credentials@v6
        with:
          role-to-assume: arn:aws:iam::123456789012:role/github-deploy
          aws-region: us-east-1
      - id: deploy
        uses: aws-actions/amazon-ecs-deploy-task-definition@v2
        with:
          task-definition: td.json
          wait-for-service-stability: true
"#;

    #[test]
    fn a_workflow_parses_with_its_steps_in_order_and_inputs_as_text() {
        let w = parse_workflow("deploy.yml", SAMPLE).unwrap();
        assert_eq!(w.jobs.len(), 1);
        let job = w.job("deploy").unwrap();
        assert_eq!(job.steps.len(), 3);
        let s = &job.steps[2].value;
        assert_eq!(
            s.action(),
            Some(("aws-actions/amazon-ecs-deploy-task-definition", "v2"))
        );
        assert_eq!(
            s.input("wait-for-service-stability").as_deref(),
            Some("true")
        );
        assert_eq!(job.steps[1].value.title(), "Credentials");
        assert_eq!(job.steps[0].value.title(), "Run actions/checkout@v7");
        assert_eq!(job.steps[2].referenced_line(), 19);
        assert!(w.on.is_some());
    }

    #[test]
    fn a_broken_workflow_is_located() {
        let e = parse_workflow("deploy.yml", "jobs:\n  deploy:\n    steps: [\n").unwrap_err();
        assert_eq!(e[0].file, "deploy.yml");
        assert!(e[0].line >= 3, "{:?}", e[0]);
    }

    trait Line {
        fn referenced_line(&self) -> u64;
    }
    impl<T> Line for Spanned<T> {
        fn referenced_line(&self) -> u64 {
            self.referenced.line()
        }
    }
}
