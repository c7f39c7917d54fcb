//! The replay's edge: [`Cloud`] over the local sandbox. IAM and ECR go through the AWS SDK;
//! ECS calls go in ECS's own JSON protocol, so that a task definition file reaches
//! RegisterTaskDefinition as it is written, the way the deploy action hands it to its SDK;
//! the push is the sandbox's stand-in for `docker push`; time passes on the sandbox's clock.

use aws_sdk_ecs::config::http::HttpResponse;
use aws_sdk_ecs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_iam::types::{ContextEntry, ContextKeyTypeEnum};
use serde_json::{Value, json};

use super::Aws;
use super::reads::policy_document;
use crate::sandbox::{Sandbox, aws_json, request};
use crate::workflow::replay::{Cloud, CloudError, CloudResult, Permission, Verdict};

const ECS_TARGET: &str = "AmazonEC2ContainerServiceV20141113";

pub struct SandboxCloud<'a> {
    pub aws: &'a Aws,
    pub sandbox: &'a Sandbox,
    endpoint: String,
}

impl<'a> SandboxCloud<'a> {
    pub fn new(aws: &'a Aws, sandbox: &'a Sandbox) -> anyhow::Result<SandboxCloud<'a>> {
        Ok(SandboxCloud {
            aws,
            sandbox,
            endpoint: sandbox.endpoint()?,
        })
    }

    fn ecs(&self, op: &str, body: &Value) -> CloudResult<Value> {
        let (code, text) = aws_json(
            &self.endpoint,
            "ecs",
            &format!("{ECS_TARGET}.{op}"),
            &body.to_string(),
        )
        .map_err(CloudError::Env)?;
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if code >= 400 {
            let kind = v["__type"].as_str().unwrap_or("Error");
            let kind = kind.rsplit('#').next().unwrap_or(kind).to_string();
            let message = v["message"]
                .as_str()
                .or(v["Message"].as_str())
                .unwrap_or(&text)
                .to_string();
            return Err(CloudError::Api {
                message: format!("{kind}: {message}"),
                code: kind,
            });
        }
        Ok(v)
    }
}

/// An SDK error: the service's answer fails the step; anything else stops the replay.
fn sdk<E>(action: &str) -> impl FnOnce(SdkError<E, HttpResponse>) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let action = action.to_string();
    move |e| {
        if let SdkError::ServiceError(se) = &e {
            let code = se.err().code().unwrap_or("Error").to_string();
            let message = se.err().message().unwrap_or("").to_string();
            return CloudError::Api {
                message: format!("{code}: {message}"),
                code,
            };
        }
        CloudError::Env(anyhow::anyhow!("{action}: {}", DisplayErrorContext(&e)))
    }
}

fn not_found(e: &CloudError, codes: &[&str]) -> bool {
    matches!(e, CloudError::Api { code, .. } if codes.contains(&code.as_str()))
}

impl Cloud for SandboxCloud<'_> {
    fn account(&self) -> String {
        crate::sandbox::ACCOUNT.into()
    }

    fn region(&self) -> String {
        crate::sandbox::REGION.into()
    }

    fn role_trust_policy(&mut self, role_name: &str) -> CloudResult<Option<Value>> {
        let c = &self.aws.clients;
        let out = self
            .aws
            .block_on(c.iam.get_role().role_name(role_name).send())
            .map_err(sdk("iam:GetRole"));
        match out {
            Ok(o) => Ok(o
                .role()
                .and_then(|r| r.assume_role_policy_document())
                .map(policy_document)),
            Err(e) if not_found(&e, &["NoSuchEntity"]) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn oidc_provider_audiences(&mut self, issuer: &str) -> CloudResult<Option<Vec<String>>> {
        let c = &self.aws.clients;
        let list = self
            .aws
            .block_on(c.iam.list_open_id_connect_providers().send())
            .map_err(sdk("iam:ListOpenIDConnectProviders"))?;
        let suffix = format!("oidc-provider/{issuer}");
        let Some(arn) = list
            .open_id_connect_provider_list()
            .iter()
            .filter_map(|p| p.arn())
            .find(|a| a.ends_with(&suffix))
        else {
            return Ok(None);
        };
        let p = self
            .aws
            .block_on(
                c.iam
                    .get_open_id_connect_provider()
                    .open_id_connect_provider_arn(arn)
                    .send(),
            )
            .map_err(sdk("iam:GetOpenIDConnectProvider"))?;
        Ok(Some(p.client_id_list().to_vec()))
    }

    fn simulate(
        &mut self,
        role_arn: &str,
        actions: &[&str],
        resource: &str,
        context: &[(&'static str, String)],
    ) -> CloudResult<Vec<Permission>> {
        let c = &self.aws.clients;
        let entries = context
            .iter()
            .map(|(key, value)| {
                ContextEntry::builder()
                    .context_key_name(*key)
                    .context_key_values(value)
                    .context_key_type(if *key == "aws:SecureTransport" {
                        ContextKeyTypeEnum::Boolean
                    } else {
                        ContextKeyTypeEnum::String
                    })
                    .build()
            })
            .collect();
        let out = self
            .aws
            .block_on(
                c.iam
                    .simulate_principal_policy()
                    .policy_source_arn(role_arn)
                    .set_action_names(Some(actions.iter().map(|a| a.to_string()).collect()))
                    .resource_arns(resource)
                    .set_context_entries(Some(entries))
                    .send(),
            )
            .map_err(sdk("iam:SimulatePrincipalPolicy"))?;
        // one result per action (one resource); an action without one is denied
        Ok(actions
            .iter()
            .map(|action| {
                let Some(r) = out
                    .evaluation_results()
                    .iter()
                    .find(|r| r.eval_action_name().eq_ignore_ascii_case(action))
                else {
                    return Permission {
                        verdict: Verdict::ImplicitDeny,
                        missing_context: Vec::new(),
                    };
                };
                // the missing keys are on the result for `*`, on the resource's result otherwise
                let missing_context = r
                    .missing_context_values()
                    .iter()
                    .chain(
                        r.resource_specific_results()
                            .iter()
                            .flat_map(|rr| rr.missing_context_values()),
                    )
                    .cloned()
                    .collect();
                Permission {
                    verdict: Verdict::from_eval_decision(r.eval_decision().as_str()),
                    missing_context,
                }
            })
            .collect())
    }

    fn repository_exists(&mut self, name: &str) -> CloudResult<bool> {
        let c = &self.aws.clients;
        let out = self
            .aws
            .block_on(c.ecr.describe_repositories().repository_names(name).send())
            .map_err(sdk("ecr:DescribeRepositories"));
        match out {
            Ok(o) => Ok(!o.repositories().is_empty()),
            Err(e) if not_found(&e, &["RepositoryNotFoundException"]) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn push_image(&mut self, repository: &str, tag: &str, build: &str) -> CloudResult<String> {
        let body =
            json!({"repository": repository, "tag": tag, "behavior": "healthy", "build": build});
        let (code, text) = request(
            &self.endpoint,
            "POST",
            "/_ecsdrill/images",
            Some(&body.to_string()),
        )
        .map_err(CloudError::Env)?;
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if code >= 400 {
            // ECR's refusal (an immutable tag taken by another build) fails the push
            let message = v["error"].as_str().unwrap_or(&text).to_string();
            return Err(CloudError::Api {
                code: "ImageTagAlreadyExistsException".into(),
                message,
            });
        }
        Ok(v["imageDigest"].as_str().unwrap_or_default().to_string())
    }

    fn describe_task_definition(&mut self, name: &str) -> CloudResult<Value> {
        let v = self.ecs("DescribeTaskDefinition", &json!({"taskDefinition": name}))?;
        Ok(v["taskDefinition"].clone())
    }

    fn register_task_definition(&mut self, input: &Value) -> CloudResult<Value> {
        let v = self.ecs("RegisterTaskDefinition", input)?;
        Ok(v["taskDefinition"].clone())
    }

    fn describe_service(&mut self, cluster: &str, service: &str) -> CloudResult<Option<Value>> {
        let v = self.ecs(
            "DescribeServices",
            &json!({"cluster": cluster, "services": [service]}),
        );
        match v {
            Ok(v) => Ok(v["services"].get(0).cloned()),
            Err(e) if not_found(&e, &["ClusterNotFoundException"]) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn update_service(
        &mut self,
        cluster: &str,
        service: &str,
        task_definition: &str,
        force_new_deployment: bool,
        desired_count: Option<i32>,
    ) -> CloudResult<Value> {
        let mut body = json!({
            "cluster": cluster,
            "service": service,
            "taskDefinition": task_definition,
            "forceNewDeployment": force_new_deployment,
        });
        if let Some(n) = desired_count {
            body["desiredCount"] = json!(n);
        }
        let v = self.ecs("UpdateService", &body)?;
        Ok(v["service"].clone())
    }

    fn pass(&mut self, seconds: u32) -> CloudResult<()> {
        self.sandbox
            .control("/_ecsdrill/clock", &json!({"advance": seconds}))
            .map(|_| ())
            .map_err(CloudError::Env)
    }
}
