//! The replay against a fake account: every step's effect and the official actions' errors.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::*;
use crate::workflow::parse_workflow;

const ACCOUNT: &str = "123456789012";
const SHA: &str = "4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39";

/// An account with one service `storefront` in cluster `ci` running `storefront:1`.
struct Fake {
    trust: Option<Value>,
    audiences: Option<Vec<String>>,
    /// Actions the role may not call, with the context keys a condition read and lacked.
    denied: BTreeMap<&'static str, Vec<&'static str>>,
    /// Actions an explicit Deny of the role's policies refuses.
    explicitly_denied: Vec<&'static str>,
    /// Each simulated call: the action and its context keys (key=value).
    contexts: Vec<(String, Vec<String>)>,
    repos: BTreeMap<String, bool>,
    images: BTreeMap<(String, String), String>,
    revisions: u32,
    service: Value,
    now: u32,
    /// When the new deployment started, and whether its image exists.
    rollout: Option<(u32, bool)>,
    calls: Vec<String>,
}

fn documented_trust(sub: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com")},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                "StringLike": {"token.actions.githubusercontent.com:sub": sub}
            }
        }]
    })
}

impl Fake {
    fn new() -> Fake {
        Fake {
            trust: Some(documented_trust("repo:acme/shop:ref:refs/heads/main")),
            audiences: Some(vec!["sts.amazonaws.com".into()]),
            denied: BTreeMap::new(),
            explicitly_denied: Vec::new(),
            contexts: Vec::new(),
            repos: BTreeMap::from([("storefront".to_string(), true)]),
            images: BTreeMap::from([(
                ("storefront".to_string(), "1.0.0".to_string()),
                "sha256:old".to_string(),
            )]),
            revisions: 1,
            service: json!({
                "status": "ACTIVE", "desiredCount": 2, "runningCount": 2,
                "deployments": [{"id": "ecs-svc/1", "status": "PRIMARY", "rolloutState": "COMPLETED", "taskDefinition": "storefront:1"}]
            }),
            now: 0,
            rollout: None,
            calls: Vec::new(),
        }
    }
}

impl Cloud for Fake {
    fn account(&self) -> String {
        ACCOUNT.into()
    }
    fn region(&self) -> String {
        "us-east-1".into()
    }
    fn role_trust_policy(&mut self, role_name: &str) -> CloudResult<Option<Value>> {
        Ok(if role_name == "github-deploy" {
            self.trust.clone()
        } else {
            None
        })
    }
    fn oidc_provider_audiences(&mut self, _issuer: &str) -> CloudResult<Option<Vec<String>>> {
        Ok(self.audiences.clone())
    }
    fn simulate(
        &mut self,
        _role: &str,
        actions: &[&str],
        _resource: &str,
        context: &[(&'static str, String)],
    ) -> CloudResult<Vec<Permission>> {
        let context: Vec<String> = context.iter().map(|(k, v)| format!("{k}={v}")).collect();
        Ok(actions
            .iter()
            .map(|&action| {
                self.contexts.push((action.to_string(), context.clone()));
                if self.explicitly_denied.contains(&action) {
                    return Permission {
                        verdict: Verdict::ExplicitDeny,
                        missing_context: Vec::new(),
                    };
                }
                match self.denied.get(action) {
                    None => Permission {
                        verdict: Verdict::Allowed,
                        missing_context: Vec::new(),
                    },
                    Some(missing) => Permission {
                        verdict: Verdict::ImplicitDeny,
                        missing_context: missing.iter().map(|k| k.to_string()).collect(),
                    },
                }
            })
            .collect())
    }
    fn repository_exists(&mut self, name: &str) -> CloudResult<bool> {
        Ok(self.repos.contains_key(name))
    }
    fn push_image(&mut self, repository: &str, tag: &str, build: &str) -> CloudResult<String> {
        let digest = format!("sha256:{build}");
        let key = (repository.to_string(), tag.to_string());
        match self.images.get(&key) {
            Some(d) if *d == digest => return Ok(digest),
            Some(_) if self.repos[repository] => {
                return Err(CloudError::Api {
                    code: "ImageTagAlreadyExistsException".into(),
                    message: format!(
                        "The image tag '{tag}' already exists in the '{repository}' repository and cannot be overwritten because the repository is immutable."
                    ),
                });
            }
            _ => {}
        }
        self.images
            .insert((repository.into(), tag.into()), digest.clone());
        self.calls.push(format!("push {repository}:{tag}"));
        Ok(digest)
    }
    fn describe_task_definition(&mut self, name: &str) -> CloudResult<Value> {
        Err(CloudError::Api {
            code: "ClientException".into(),
            message: format!("Unable to describe task definition {name}"),
        })
    }
    fn register_task_definition(&mut self, input: &Value) -> CloudResult<Value> {
        self.revisions += 1;
        let mut td = input.clone();
        td["taskDefinitionArn"] = json!(format!(
            "arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/{}:{}",
            input["family"].as_str().unwrap(),
            self.revisions
        ));
        self.calls.push(format!(
            "register {}",
            td["containerDefinitions"][0]["image"]
                .as_str()
                .unwrap_or("")
        ));
        Ok(td)
    }
    fn describe_service(&mut self, cluster: &str, service: &str) -> CloudResult<Option<Value>> {
        Ok((cluster == "ci" && service == "storefront").then(|| self.service.clone()))
    }
    fn update_service(
        &mut self,
        _c: &str,
        _s: &str,
        td: &str,
        _force: bool,
        _desired: Option<i32>,
    ) -> CloudResult<Value> {
        let image_exists = self
            .calls
            .iter()
            .rev()
            .find(|c| c.starts_with("register "))
            .and_then(|c| c.rsplit_once(':'))
            .is_some_and(|(_, tag)| self.images.keys().any(|(_, t)| t == tag));
        self.rollout = Some((self.now, image_exists));
        self.service["deployments"] = json!([
            {"id": "ecs-svc/2", "status": "PRIMARY", "rolloutState": "IN_PROGRESS", "taskDefinition": td},
            {"id": "ecs-svc/1", "status": "ACTIVE", "rolloutState": "COMPLETED", "taskDefinition": "storefront:1"}
        ]);
        self.calls.push(format!("update {td}"));
        Ok(self.service.clone())
    }
    fn pass(&mut self, seconds: u32) -> CloudResult<()> {
        self.now += seconds;
        if let Some((at, ok)) = self.rollout {
            if ok && self.now >= at + 60 {
                self.service["deployments"] =
                    json!([{"id": "ecs-svc/2", "status": "PRIMARY", "rolloutState": "COMPLETED"}]);
                self.rollout = None;
            } else if !ok && self.now >= at + 150 {
                // the circuit breaker rolled back: a new deployment of the old revision
                self.service["deployments"] = json!([{"id": "ecs-svc/3", "status": "PRIMARY", "rolloutState": "COMPLETED", "taskDefinition": "storefront:1"}]);
                self.rollout = None;
            }
        }
        Ok(())
    }
}

const GOOD: &str = r#"name: Deploy
on:
  push:
    branches: [main]
permissions:
  id-token: write
  contents: read
env:
  ECR_REPOSITORY: storefront
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
        env:
          IMAGE: ${{ steps.login-ecr.outputs.registry }}/${{ env.ECR_REPOSITORY }}:${{ github.sha }}
        run: |
          docker build -t "$IMAGE" .
          docker push "$IMAGE"
          echo "image=$IMAGE" >> "$GITHUB_OUTPUT"
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

fn files() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("Dockerfile".to_string(), "FROM public.ecr.aws/docker/library/python:3.13-slim\n".to_string()),
        (
            ".aws/task-definition.json".to_string(),
            json!({
                "family": "storefront",
                "executionRoleArn": format!("arn:aws:iam::{ACCOUNT}:role/ecsdrill-exec"),
                "requiresCompatibilities": ["FARGATE"],
                "compatibilities": ["EC2", "FARGATE"],
                "networkMode": "awsvpc", "cpu": "256", "memory": "512",
                "containerDefinitions": [{"name": "storefront", "image": "placeholder", "essential": true}]
            })
            .to_string(),
        ),
    ])
}

fn run_with(text: &str, fake: &mut Fake, branch: &str) -> (Run, Vec<String>) {
    let w = parse_workflow("deploy.yml", text).unwrap();
    let files = files();
    let none = BTreeMap::new();
    let inputs = Inputs {
        path: ".github/workflows/deploy.yml",
        files: &files,
        vars: &none,
        secrets: &none,
    };
    let push = Push {
        repository: "acme/shop".into(),
        branch: branch.into(),
        sha: SHA.into(),
    };
    let mut lines = Vec::new();
    let run = replay(&w, &push, &inputs, fake, &mut |l| lines.push(l.to_string())).unwrap();
    (run, lines)
}

fn run(text: &str, fake: &mut Fake) -> Run {
    run_with(text, fake, "main").0
}

fn failed_step(run: &Run) -> (String, String) {
    let s = run
        .jobs
        .iter()
        .flat_map(|j| &j.steps)
        .find(|s| s.outcome == Outcome::Failure)
        .expect("a step failed");
    (s.title.clone(), s.log.last().cloned().unwrap_or_default())
}

#[test]
fn the_reference_workflow_pushes_the_commit_and_deploys_it_after_waiting() {
    let mut fake = Fake::new();
    let (r, lines) = run_with(GOOD, &mut fake, "main");
    assert_eq!(r.conclusion, Outcome::Success, "{lines:#?}");
    assert_eq!(r.pushed.len(), 1);
    assert_eq!(r.pushed[0].tag, SHA);
    assert_eq!(r.credentials[0].sub, "repo:acme/shop:ref:refs/heads/main");
    let image = format!("{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/storefront:{SHA}");
    assert_eq!(r.deploys[0].images, vec![image.clone()]);
    assert!(r.deploys[0].waited);
    assert_eq!(r.deploys[0].rollout_state.as_deref(), Some("COMPLETED"));
    assert_eq!(
        fake.calls,
        vec![
            format!("push storefront:{SHA}"),
            format!("register {image}"),
            format!("update arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/storefront:2")
        ]
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Ignoring property 'compatibilities'")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Deployment ecs-svc/2 verified: rolloutState=COMPLETED")),
        "{lines:#?}"
    );
}

#[test]
fn without_the_id_token_permission_credentials_cannot_be_loaded_and_the_rest_is_skipped() {
    let mut fake = Fake::new();
    let r = run(&GOOD.replace("  id-token: write\n", ""), &mut fake);
    assert_eq!(r.conclusion, Outcome::Failure);
    let (title, msg) = failed_step(&r);
    assert_eq!(title, "Run aws-actions/configure-aws-credentials@v6");
    assert!(msg.contains("Credentials could not be loaded"), "{msg}");
    assert!(
        r.jobs[0].steps[0..]
            .iter()
            .skip(2)
            .all(|s| s.outcome == Outcome::Skipped)
    );
    assert!(fake.calls.is_empty());
}

#[test]
fn a_trust_policy_for_another_branch_refuses_the_token_and_says_why() {
    let mut fake = Fake::new();
    fake.trust = Some(documented_trust("repo:acme/shop:ref:refs/heads/release"));
    let r = run(GOOD, &mut fake);
    let step = &r.jobs[0].steps[1];
    assert_eq!(step.outcome, Outcome::Failure);
    assert!(
        step.log
            .last()
            .unwrap()
            .ends_with("Not authorized to perform sts:AssumeRoleWithWebIdentity"),
        "{:#?}",
        step.log
    );
    assert!(
        step.log
            .iter()
            .any(|l| l.starts_with("ecsdrill: ") && l.contains("refs/heads/release")),
        "{:#?}",
        step.log
    );
    // a job with an environment gets the environment form of sub
    let mut fake = Fake::new();
    let r = run(
        &GOOD.replace(
            "    runs-on: ubuntu-latest\n",
            "    runs-on: ubuntu-latest\n    environment: production\n",
        ),
        &mut fake,
    );
    assert_eq!(r.conclusion, Outcome::Failure);
    assert!(r.jobs[0].steps[1].log[0].contains("sub=repo:acme/shop:environment:production"));
}

#[test]
fn no_provider_or_another_audience_fails_at_sts() {
    let mut fake = Fake::new();
    fake.audiences = None;
    assert!(
        failed_step(&run(GOOD, &mut fake))
            .1
            .contains("No OpenIDConnect provider found in your account")
    );
    let mut fake = Fake::new();
    fake.audiences = Some(vec!["sigstore".into()]);
    assert!(
        failed_step(&run(GOOD, &mut fake))
            .1
            .contains("Incorrect token audience")
    );
}

#[test]
fn building_without_a_checkout_finds_no_dockerfile() {
    let mut fake = Fake::new();
    let r = run(
        &GOOD.replace("      - uses: actions/checkout@v7\n", ""),
        &mut fake,
    );
    let (title, msg) = failed_step(&r);
    assert_eq!(title, "Run docker build -t \"$IMAGE\" .");
    assert!(
        msg.contains("open Dockerfile: no such file or directory"),
        "{msg}"
    );
    assert!(msg.contains("add actions/checkout"), "{msg}");
}

#[test]
fn pushing_latest_but_deploying_the_commit_tag_rolls_back_and_the_waiter_says_so() {
    let mut fake = Fake::new();
    fake.repos.insert("storefront".into(), false);
    let text = GOOD.replace(
        "          docker build -t \"$IMAGE\" .\n          docker push \"$IMAGE\"\n",
        "          docker build -t ${{ steps.login-ecr.outputs.registry }}/storefront:latest .\n          docker push ${{ steps.login-ecr.outputs.registry }}/storefront:latest\n",
    );
    let r = run(&text, &mut fake);
    assert_eq!(r.pushed[0].tag, "latest");
    let (title, msg) = failed_step(&r);
    assert_eq!(
        title,
        "Run aws-actions/amazon-ecs-deploy-task-definition@v2"
    );
    assert!(
        msg.contains("Deployment ecs-svc/2 not found after stabilization"),
        "{msg}"
    );
}

#[test]
fn a_role_that_may_not_pass_the_execution_role_cannot_register() {
    let mut fake = Fake::new();
    fake.denied.insert("iam:PassRole", vec![]);
    let (_, msg) = failed_step(&run(GOOD, &mut fake));
    assert_eq!(
        msg,
        format!(
            "Error: Failed to register task definition in ECS: User: arn:aws:sts::{ACCOUNT}:assumed-role/github-deploy/GitHubActions is not authorized to perform: iam:PassRole on resource: arn:aws:iam::{ACCOUNT}:role/ecsdrill-exec because no identity-based policy allows the iam:PassRole action"
        )
    );
    let mut fake = Fake::new();
    fake.denied.insert("ecr:PutImage", vec![]);
    assert!(
        failed_step(&run(GOOD, &mut fake))
            .1
            .starts_with("Error: denied: User: ")
    );
    // an explicit Deny says so, as AWS's AccessDenied text does
    let mut fake = Fake::new();
    fake.explicitly_denied.push("ecs:UpdateService");
    let (_, msg) = failed_step(&run(GOOD, &mut fake));
    assert!(
        msg.ends_with("is not authorized to perform: ecs:UpdateService on resource: arn:aws:ecs:us-east-1:123456789012:service/ci/storefront with an explicit deny in an identity-based policy"),
        "{msg}"
    );
}

#[test]
fn calls_are_simulated_with_the_context_the_replay_knows_and_says_which_key_it_lacks() {
    let mut fake = Fake::new();
    run(GOOD, &mut fake);
    let pass = fake
        .contexts
        .iter()
        .find(|(action, _)| action == "iam:PassRole")
        .expect("PassRole was simulated");
    assert!(
        pass.1
            .contains(&"iam:PassedToService=ecs-tasks.amazonaws.com".to_string()),
        "{pass:?}"
    );
    let (_, register) = fake
        .contexts
        .iter()
        .find(|(action, _)| action == "ecs:RegisterTaskDefinition")
        .unwrap();
    assert_eq!(
        register,
        &[
            "aws:RequestedRegion=us-east-1".to_string(),
            format!("aws:PrincipalArn=arn:aws:iam::{ACCOUNT}:role/github-deploy"),
            format!("aws:PrincipalAccount={ACCOUNT}"),
            "aws:PrincipalType=AssumedRole".to_string(),
            "aws:SecureTransport=true".to_string(),
        ]
    );

    let mut fake = Fake::new();
    fake.denied.insert("ecr:PutImage", vec!["aws:SourceIp"]);
    let r = run(GOOD, &mut fake);
    let log = r
        .jobs
        .iter()
        .flat_map(|j| j.steps.iter())
        .flat_map(|s| s.log.iter())
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        log.contains("ecsdrill: a condition of the role's policies reads aws:SourceIp, which this replay does not know"),
        "{log}"
    );
}

#[test]
fn a_wrong_container_name_and_an_unwaited_deploy() {
    let mut fake = Fake::new();
    let (_, msg) = failed_step(&run(
        &GOOD.replace("container-name: storefront", "container-name: web"),
        &mut fake,
    ));
    assert!(
        msg.contains("Could not find container definition with matching name"),
        "{msg}"
    );
    let mut fake = Fake::new();
    let r = run(
        &GOOD.replace("          wait-for-service-stability: true\n", ""),
        &mut fake,
    );
    assert_eq!(r.conclusion, Outcome::Success);
    assert!(!r.deploys[0].waited);
    assert_eq!(r.deploys[0].rollout_state.as_deref(), Some("IN_PROGRESS"));
}

#[test]
fn a_push_to_a_branch_the_workflow_does_not_watch_runs_nothing() {
    let mut fake = Fake::new();
    let (r, _) = run_with(GOOD, &mut fake, "feature/x");
    assert!(!r.triggered);
    assert_eq!(r.conclusion, Outcome::Skipped);
    assert!(
        r.reason
            .unwrap()
            .contains("does not match the branch `feature/x`")
    );
}

#[test]
fn an_immutable_tag_takes_no_other_build_but_a_rerun_pushes_the_same_one() {
    let mut fake = Fake::new();
    fake.images
        .insert(("storefront".into(), SHA.into()), "sha256:x".into());
    assert!(
        failed_step(&run(GOOD, &mut fake))
            .1
            .contains("tag invalid: The image tag")
    );
    // the same commit pushed again: the registry has that build already
    let mut fake = Fake::new();
    assert_eq!(run(GOOD, &mut fake).conclusion, Outcome::Success);
    fake.rollout = None;
    assert_eq!(run(GOOD, &mut fake).conclusion, Outcome::Success);
}

#[test]
fn a_push_needs_a_login() {
    let mut fake = Fake::new();
    let r = run(
        &GOOD.replace(
            "        uses: aws-actions/amazon-ecr-login@v2\n",
            "        run: echo skipping login\n",
        ),
        &mut fake,
    );
    // without the login step, the registry output is empty: the image has no registry host
    assert_eq!(r.conclusion, Outcome::Failure);
    assert!(fake.calls.is_empty());
}

#[test]
fn jobs_pass_outputs_through_needs() {
    let text = r#"on: push
permissions: {id-token: write, contents: read}
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      image: ${{ steps.build.outputs.image }}
    steps:
      - uses: actions/checkout@v7
      - uses: aws-actions/configure-aws-credentials@v6
        with: {role-to-assume: "arn:aws:iam::123456789012:role/github-deploy", aws-region: us-east-1}
      - id: ecr
        uses: aws-actions/amazon-ecr-login@v2
      - id: build
        uses: docker/build-push-action@v6
        with:
          push: true
          tags: ${{ steps.ecr.outputs.registry }}/storefront:${{ github.sha }}
      - id: out
        run: echo "unused=1" >> $GITHUB_OUTPUT
  deploy:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v7
      - uses: aws-actions/configure-aws-credentials@v6
        with: {role-to-assume: "arn:aws:iam::123456789012:role/github-deploy", aws-region: us-east-1}
      - id: render
        uses: aws-actions/amazon-ecs-render-task-definition@v1
        with:
          task-definition: .aws/task-definition.json
          container-name: storefront
          image: ${{ needs.build.outputs.image }}
      - uses: aws-actions/amazon-ecs-deploy-task-definition@v2
        with:
          task-definition: ${{ steps.render.outputs.task-definition }}
          service: storefront
          cluster: ci
          wait-for-service-stability: true
"#;
    // docker/build-push-action has no `image` output: the deploy job renders an empty image
    let mut fake = Fake::new();
    let r = run(text, &mut fake);
    assert_eq!(r.pushed.len(), 1);
    assert_eq!(r.jobs[1].conclusion, Outcome::Failure);
    assert!(
        failed_step(&r)
            .1
            .contains("Input required and not supplied: image")
    );
    // with the image written as an output of the build job, it deploys
    let fixed = text.replace("image: ${{ steps.build.outputs.image }}", "image: ${{ steps.out.outputs.image }}")
        .replace("run: echo \"unused=1\" >> $GITHUB_OUTPUT", "run: echo \"image=${{ steps.ecr.outputs.registry }}/storefront:${{ github.sha }}\" >> $GITHUB_OUTPUT");
    let mut fake = Fake::new();
    let r = run(&fixed, &mut fake);
    assert_eq!(r.conclusion, Outcome::Success, "{:#?}", r.jobs);
    assert_eq!(
        r.deploys[0].images,
        vec![format!(
            "{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/storefront:{SHA}"
        )]
    );
}

#[test]
fn an_invalid_expression_stops_the_workflow_before_any_job() {
    let mut fake = Fake::new();
    let r = run(
        &GOOD.replace("${{ github.sha }}", "${{ git.sha }}"),
        &mut fake,
    );
    assert_eq!(r.conclusion, Outcome::Failure);
    assert!(r.jobs.is_empty());
    assert!(
        r.reason
            .unwrap()
            .starts_with("Invalid workflow file: .github/workflows/deploy.yml:")
    );
}

#[test]
fn a_repository_variable_not_given_is_named_with_the_flag_that_gives_it() {
    let text = GOOD.replace(
        "role-to-assume: arn:aws:iam::123456789012:role/github-deploy",
        "role-to-assume: ${{ vars.DEPLOY_ROLE }}",
    );
    let mut fake = Fake::new();
    let r = run(&text, &mut fake);
    let step = &r.jobs[0].steps[1];
    assert_eq!(step.outcome, Outcome::Failure);
    assert!(
        step.log[0].contains("vars.DEPLOY_ROLE is empty here: give it with `ecsdrill lab replay --var DEPLOY_ROLE=VALUE`"),
        "{:#?}",
        step.log
    );
    // given, it is used
    let w = parse_workflow("deploy.yml", &text).unwrap();
    let files = files();
    let vars = BTreeMap::from([(
        "DEPLOY_ROLE".to_string(),
        format!("arn:aws:iam::{ACCOUNT}:role/github-deploy"),
    )]);
    let none = BTreeMap::new();
    let inputs = Inputs {
        path: "deploy.yml",
        files: &files,
        vars: &vars,
        secrets: &none,
    };
    let push = Push {
        repository: "acme/shop".into(),
        branch: "main".into(),
        sha: SHA.into(),
    };
    let mut fake = Fake::new();
    let r = replay(&w, &push, &inputs, &mut fake, &mut |_| {}).unwrap();
    assert_eq!(r.conclusion, Outcome::Success);
}

#[test]
fn docker_refuses_a_tag_whose_expression_was_empty() {
    assert!(valid_reference(
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/storefront:4f2a"
    ));
    assert!(valid_reference("localhost:5000/team/app"));
    assert!(valid_reference("storefront"));
    assert!(!valid_reference("/storefront:4f2a"));
    assert!(!valid_reference("Storefront:1"));
    assert!(!valid_reference(
        "1.dkr.ecr.us-east-1.amazonaws.com/storefront:"
    ));
    let mut fake = Fake::new();
    let r = run(
        &GOOD.replace("      - id: login-ecr\n        uses:", "      - uses:"),
        &mut fake,
    );
    let (title, msg) = failed_step(&r);
    assert_eq!(title, "Run docker build -t \"$IMAGE\" .");
    assert!(
        msg.starts_with("Error: ERROR: invalid tag \"/storefront:"),
        "{msg}"
    );
}
