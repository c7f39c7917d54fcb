//! ecsdrill's own lab reads (`ecsdrill:*` in a lab file), answered on this machine in the
//! shape of an API answer, so that checks query them with JMESPath like any other read.

use std::path::Path;

use serde_json::{Value, json};

use super::lint::{self, Rule, Severity};
use super::{parse_workflow, trust};
use crate::error::Failure;
use crate::lab::ops::ReadAction;
use crate::lab::plan::ReadCall;

fn param<'a>(call: &'a ReadCall, name: &str) -> &'a str {
    call.params.get(name).and_then(|v| v.as_str()).unwrap_or("")
}

/// Answers one local read. `workspace` is the lab's repository; `run` the last replay.
pub fn local_read(
    call: &ReadCall,
    workspace: &Path,
    run: Option<&Value>,
) -> Result<Value, Failure> {
    match call.action {
        ReadAction::EcsdrillGetWorkflow => {
            let rel = param(call, "Path");
            let path = workspace.join(rel);
            let Ok(text) = std::fs::read_to_string(&path) else {
                return Err(Failure::NotFound(format!(
                    "there is no file {}",
                    path.display()
                )));
            };
            Ok(workflow_answer(rel, &text, param(call, "Branch")))
        }
        ReadAction::EcsdrillGetWorkflowRun => run
            .cloned()
            .ok_or_else(|| Failure::NotFound("no replay of this attempt yet".into())),
        ReadAction::EcsdrillProbeOidcTrust => {
            let policy = call
                .params
                .get("PolicyDocument")
                .cloned()
                .unwrap_or(Value::Null);
            let probes = trust::probes(
                &policy,
                param(call, "ProviderArn"),
                param(call, "Repository"),
                param(call, "Branch"),
            );
            let admitted: Vec<&str> = probes
                .iter()
                .filter(|p| p.allowed && p.id != "push-to-branch")
                .map(|p| p.id)
                .collect();
            Ok(json!({"Probes": probes, "AdmittedOthers": admitted}))
        }
        other => Err(Failure::Other(format!(
            "{other} is not one of ecsdrill's own reads"
        ))),
    }
}

/// The workflow as a lint result: `{Path, Parsed, Findings: [{rule, severity, line, column,
/// message, text}], Errors}`; a file GitHub could not read has one `syntax` finding.
pub fn workflow_answer(rel: &str, text: &str, branch: &str) -> Value {
    match parse_workflow(rel, text) {
        Ok(w) => {
            let findings = lint::lint(rel, &w, branch);
            let errors = findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .count();
            json!({"Path": rel, "Parsed": true, "Findings": findings, "Errors": errors})
        }
        Err(diags) => {
            let findings: Vec<Value> = diags
                .iter()
                .map(|d| {
                    json!({"rule": Rule::Syntax, "severity": Severity::Error, "line": d.line,
                        "column": d.column, "message": d.message, "text": d.to_string()})
                })
                .collect();
            json!({"Path": rel, "Parsed": false, "Findings": findings, "Errors": findings.len()})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workflow_answers_with_located_findings_and_a_broken_one_with_syntax() {
        let v = workflow_answer("w.yml", "on: pull_request\njobs: {}\n", "main");
        assert_eq!(v["Parsed"], json!(true));
        let rules: Vec<&str> = v["Findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap())
            .collect();
        assert_eq!(rules, vec!["missing-step", "missing-step", "trigger"]);
        assert!(
            v["Findings"][2]["text"]
                .as_str()
                .unwrap()
                .starts_with("w.yml:1:5: a push to `main` does not run")
        );
        let v = workflow_answer("w.yml", "jobs: [\n", "main");
        assert_eq!(v["Parsed"], json!(false));
        assert_eq!(v["Findings"][0]["rule"], json!("syntax"));
    }

    #[test]
    fn a_trust_probe_lists_who_else_gets_in() {
        let policy = json!({"Statement": [{"Effect": "Allow",
            "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/shop:*"}}}]});
        let call = ReadCall {
            action: ReadAction::EcsdrillProbeOidcTrust,
            params: json!({"PolicyDocument": policy, "ProviderArn": "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com",
                "Repository": "acme/shop", "Branch": "main"}).as_object().unwrap().clone(),
        };
        let v = local_read(&call, Path::new("/nonexistent"), None).unwrap();
        assert_eq!(
            v["AdmittedOthers"],
            json!([
                "other-branch",
                "pull-request",
                "environment",
                "other-audience"
            ])
        );
    }
}
