//! The lab reads: one typed SDK call per `lab::ops::ReadAction`. For the JSON
//! services the answer is the response body itself (captured by an interceptor), which is
//! exactly what the `aws` CLI prints; IAM and ELBv2 answer in XML, so their typed outputs
//! are turned into the CLI's JSON shape here.

use std::sync::{Arc, Mutex};

use aws_sdk_ecs::config::interceptors::AfterDeserializationInterceptorContextRef;
use aws_sdk_ecs::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_ecs::error::BoxError;
use serde_json::{Map, Value, json};

use super::{Clients, Failure};
use crate::lab::ops::ReadAction;
use crate::lab::ops::ReadAction as A;

/// Keeps the raw body of one response.
#[derive(Clone, Debug, Default)]
struct Capture(Arc<Mutex<Option<Vec<u8>>>>);

impl Intercept for Capture {
    fn name(&self) -> &'static str {
        "ecsdrill-capture-body"
    }

    fn read_after_deserialization(
        &self,
        ctx: &AfterDeserializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(bytes) = ctx.response().body().bytes()
            && let Ok(mut slot) = self.0.lock()
        {
            *slot = Some(bytes.to_vec());
        }
        Ok(())
    }
}

impl Capture {
    fn json(&self) -> Result<Value, Failure> {
        let body = self
            .0
            .lock()
            .ok()
            .and_then(|mut s| s.take())
            .unwrap_or_default();
        if body.is_empty() {
            return Ok(json!({}));
        }
        serde_json::from_slice(&body)
            .map_err(|e| Failure::Garbled(format!("the answer was not JSON: {e}")))
    }
}

/// Sends a JSON-protocol call with the body capture and returns the body as JSON.
macro_rules! raw_json {
    ($action:expr, $builder:expr) => {{
        let cap = Capture::default();
        match $builder.customize().interceptor(cap.clone()).send().await {
            Ok(_) => cap.json(),
            Err(e) => Err(Failure::from_sdk($action, e)),
        }
    }};
}

/// Typed parameters out of a lab's JSON parameters (already linted).
struct P<'a>(&'a Map<String, Value>);

impl P<'_> {
    fn s(&self, k: &str) -> Option<String> {
        self.0.get(k).and_then(Value::as_str).map(str::to_string)
    }
    fn l(&self, k: &str) -> Option<Vec<String>> {
        self.0.get(k).and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
    }
}

/// Makes one read.
pub async fn read(
    c: &Clients,
    read: ReadAction,
    params: &Map<String, Value>,
) -> Result<Value, Failure> {
    let p = P(params);
    let action = read.iam_action();
    match read {
        A::EcsListClusters => raw_json!(action, c.ecs.list_clusters()),
        A::EcsDescribeClusters => raw_json!(
            action,
            c.ecs.describe_clusters().set_clusters(p.l("clusters"))
        ),
        A::EcsListServices => raw_json!(action, c.ecs.list_services().set_cluster(p.s("cluster"))),
        A::EcsDescribeServices => raw_json!(
            action,
            c.ecs
                .describe_services()
                .set_cluster(p.s("cluster"))
                .set_services(p.l("services"))
        ),
        A::EcsDescribeTaskDefinition => raw_json!(
            action,
            c.ecs
                .describe_task_definition()
                .set_task_definition(p.s("taskDefinition"))
        ),
        A::EcsListTaskDefinitions => raw_json!(
            action,
            c.ecs
                .list_task_definitions()
                .set_family_prefix(p.s("familyPrefix"))
                .set_status(p.s("status").map(|s| s.as_str().into()))
                .set_sort(p.s("sort").map(|s| s.as_str().into()))
        ),
        A::EcsListTasks => raw_json!(
            action,
            c.ecs
                .list_tasks()
                .set_cluster(p.s("cluster"))
                .set_service_name(p.s("serviceName"))
                .set_family(p.s("family"))
                .set_started_by(p.s("startedBy"))
                .set_desired_status(p.s("desiredStatus").map(|s| s.as_str().into()))
        ),
        A::EcsDescribeTasks => raw_json!(
            action,
            c.ecs
                .describe_tasks()
                .set_cluster(p.s("cluster"))
                .set_tasks(p.l("tasks"))
        ),
        A::EcrDescribeRepositories => raw_json!(
            action,
            c.ecr
                .describe_repositories()
                .set_repository_names(p.l("repositoryNames"))
        ),
        A::EcrDescribeImages => {
            let ids = params.get("imageIds").and_then(Value::as_array).map(|ids| {
                ids.iter()
                    .map(|id| {
                        aws_sdk_ecr::types::ImageIdentifier::builder()
                            .set_image_tag(
                                id.get("imageTag").and_then(Value::as_str).map(Into::into),
                            )
                            .set_image_digest(
                                id.get("imageDigest")
                                    .and_then(Value::as_str)
                                    .map(Into::into),
                            )
                            .build()
                    })
                    .collect()
            });
            raw_json!(
                action,
                c.ecr
                    .describe_images()
                    .set_repository_name(p.s("repositoryName"))
                    .set_image_ids(ids)
            )
        }
        A::SsmGetParameter => raw_json!(
            action,
            c.ssm
                .get_parameter()
                .set_name(p.s("Name"))
                .with_decryption(false)
        ),
        A::SecretsManagerDescribeSecret => raw_json!(
            action,
            c.secrets.describe_secret().set_secret_id(p.s("SecretId"))
        ),
        A::LogsDescribeLogGroups => raw_json!(
            action,
            c.logs
                .describe_log_groups()
                .set_log_group_name_prefix(p.s("logGroupNamePrefix"))
        ),
        A::AutoScalingDescribeScalableTargets => raw_json!(
            action,
            c.autoscaling
                .describe_scalable_targets()
                .set_service_namespace(p.s("ServiceNamespace").map(|s| s.as_str().into()))
                .set_resource_ids(p.l("ResourceIds"))
                .set_scalable_dimension(p.s("ScalableDimension").map(|s| s.as_str().into()))
        ),
        A::AutoScalingDescribeScalingPolicies => raw_json!(
            action,
            c.autoscaling
                .describe_scaling_policies()
                .set_service_namespace(p.s("ServiceNamespace").map(|s| s.as_str().into()))
                .set_resource_id(p.s("ResourceId"))
                .set_scalable_dimension(p.s("ScalableDimension").map(|s| s.as_str().into()))
        ),
        A::AutoScalingDescribeScalingActivities => raw_json!(
            action,
            c.autoscaling
                .describe_scaling_activities()
                .set_service_namespace(p.s("ServiceNamespace").map(|s| s.as_str().into()))
                .set_resource_id(p.s("ResourceId"))
                .set_scalable_dimension(p.s("ScalableDimension").map(|s| s.as_str().into()))
        ),
        A::StsGetCallerIdentity => {
            let out = c
                .sts
                .get_caller_identity()
                .send()
                .await
                .map_err(|e| Failure::from_sdk(action, e))?;
            Ok(json!({"UserId": out.user_id(), "Account": out.account(), "Arn": out.arn()}))
        }
        A::IamGetRole => iam_get_role(c, &p).await,
        A::IamListAttachedRolePolicies => iam_list_attached_role_policies(c, &p).await,
        A::IamListRolePolicies => iam_list_role_policies(c, &p).await,
        A::IamGetRolePolicy => iam_get_role_policy(c, &p).await,
        A::IamSimulatePrincipalPolicy => iam_simulate_principal_policy(c, &p).await,
        A::ElbDescribeLoadBalancers => elbv2_describe_load_balancers(c, &p).await,
        A::ElbDescribeTargetGroups => elbv2_describe_target_groups(c, &p).await,
        A::ElbDescribeTargetHealth => elbv2_describe_target_health(c, &p).await,
        A::ElbDescribeListeners => elbv2_describe_listeners(c, &p).await,
        A::ElbDescribeRules => elbv2_describe_rules(c, &p).await,
        A::EcsListServiceDeployments => raw_json!(
            action,
            c.ecs
                .list_service_deployments()
                .set_cluster(p.s("cluster"))
                .set_service(p.s("service"))
                .set_status(
                    p.l("status")
                        .map(|l| { l.iter().map(|s| s.as_str().into()).collect() })
                )
        ),
        A::IamGetOpenIdConnectProvider => {
            let out = c
                .iam
                .get_open_id_connect_provider()
                .set_open_id_connect_provider_arn(p.s("OpenIDConnectProviderArn"))
                .send()
                .await
                .map_err(|e| Failure::from_sdk(action, e))?;
            Ok(obj([
                ("Url", json!(out.url())),
                ("ClientIDList", json!(out.client_id_list())),
                ("ThumbprintList", json!(out.thumbprint_list())),
            ]))
        }
        A::EcsdrillGetWorkflow | A::EcsdrillGetWorkflowRun | A::EcsdrillProbeOidcTrust => Err(
            Failure::Other(format!("{action} is made on this machine, not sent to AWS")),
        ),
        A::EcsDescribeServiceDeployments => raw_json!(
            action,
            c.ecs
                .describe_service_deployments()
                .set_service_deployment_arns(p.l("serviceDeploymentArns"))
        ),
    }
}

/// IAM answers policy documents URL-encoded; the CLI shows them as JSON objects.
pub fn policy_document(raw: &str) -> Value {
    let decoded = urlencoding::decode(raw)
        .map(|s| s.into_owned())
        .unwrap_or_else(|_| raw.to_string());
    serde_json::from_str(&decoded)
        .or_else(|_| serde_json::from_str(raw))
        .unwrap_or(Value::String(decoded))
}

/// A JSON object from (key, value) pairs, leaving out nulls, as the CLI does.
fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

async fn iam_get_role(c: &Clients, p: &P<'_>) -> Result<Value, Failure> {
    let action = A::IamGetRole.iam_action();
    let out = c
        .iam
        .get_role()
        .set_role_name(p.s("RoleName"))
        .send()
        .await
        .map_err(|e| Failure::from_sdk(action, e))?;
    let Some(r) = out.role() else {
        return Ok(json!({}));
    };
    let tags: Vec<Value> = r
        .tags()
        .iter()
        .map(|t| json!({"Key": t.key(), "Value": t.value()}))
        .collect();
    Ok(json!({"Role": obj([
        ("Path", json!(r.path())),
        ("RoleName", json!(r.role_name())),
        ("RoleId", json!(r.role_id())),
        ("Arn", json!(r.arn())),
        ("CreateDate", json!(r.create_date().to_string())),
        ("AssumeRolePolicyDocument", r.assume_role_policy_document().map(policy_document).unwrap_or(Value::Null)),
        ("Description", json!(r.description())),
        ("MaxSessionDuration", json!(r.max_session_duration())),
        ("Tags", if tags.is_empty() { Value::Null } else { Value::Array(tags) }),
    ])}))
}

async fn iam_list_attached_role_policies(c: &Clients, p: &P<'_>) -> Result<Value, Failure> {
    let action = A::IamListAttachedRolePolicies.iam_action();
    let out = c
        .iam
        .list_attached_role_policies()
        .set_role_name(p.s("RoleName"))
        .send()
        .await
        .map_err(|e| Failure::from_sdk(action, e))?;
    let list: Vec<Value> = out
        .attached_policies()
        .iter()
        .map(|a| json!({"PolicyName": a.policy_name(), "PolicyArn": a.policy_arn()}))
        .collect();
    Ok(json!({"AttachedPolicies": list}))
}

async fn iam_list_role_policies(c: &Clients, p: &P<'_>) -> Result<Value, Failure> {
    let action = A::IamListRolePolicies.iam_action();
    let out = c
        .iam
        .list_role_policies()
        .set_role_name(p.s("RoleName"))
        .send()
        .await
        .map_err(|e| Failure::from_sdk(action, e))?;
    Ok(json!({"PolicyNames": out.policy_names()}))
}

async fn iam_get_role_policy(c: &Clients, p: &P<'_>) -> Result<Value, Failure> {
    let action = A::IamGetRolePolicy.iam_action();
    let out = c
        .iam
        .get_role_policy()
        .set_role_name(p.s("RoleName"))
        .set_policy_name(p.s("PolicyName"))
        .send()
        .await
        .map_err(|e| Failure::from_sdk(action, e))?;
    Ok(json!({
        "RoleName": out.role_name(),
        "PolicyName": out.policy_name(),
        "PolicyDocument": policy_document(out.policy_document()),
    }))
}

async fn iam_simulate_principal_policy(c: &Clients, p: &P<'_>) -> Result<Value, Failure> {
    let action = A::IamSimulatePrincipalPolicy.iam_action();
    let out = c
        .iam
        .simulate_principal_policy()
        .set_policy_source_arn(p.s("PolicySourceArn"))
        .set_action_names(p.l("ActionNames"))
        .set_resource_arns(p.l("ResourceArns"))
        .send()
        .await
        .map_err(|e| Failure::from_sdk(action, e))?;
    let statements = |m: &[aws_sdk_iam::types::Statement]| -> Value {
        m.iter()
            .map(|m| {
                obj([
                    ("SourcePolicyId", json!(m.source_policy_id())),
                    (
                        "SourcePolicyType",
                        json!(m.source_policy_type().map(|t| t.as_str())),
                    ),
                ])
            })
            .collect()
    };
    // One entry per action and resource, whichever way IAM groups them: a result that lists
    // resource-specific results stands for each of them.
    let list: Vec<Value> = out
        .evaluation_results()
        .iter()
        .flat_map(|r| {
            let specific = r.resource_specific_results();
            if specific.is_empty() {
                vec![obj([
                    ("EvalActionName", json!(r.eval_action_name())),
                    ("EvalResourceName", json!(r.eval_resource_name())),
                    ("EvalDecision", json!(r.eval_decision().as_str())),
                    ("MatchedStatements", statements(r.matched_statements())),
                ])]
            } else {
                specific
                    .iter()
                    .map(|s| {
                        obj([
                            ("EvalActionName", json!(r.eval_action_name())),
                            ("EvalResourceName", json!(s.eval_resource_name())),
                            ("EvalDecision", json!(s.eval_resource_decision().as_str())),
                            ("MatchedStatements", statements(s.matched_statements())),
                        ])
                    })
                    .collect()
            }
        })
        .collect();
    Ok(json!({"EvaluationResults": list, "IsTruncated": out.is_truncated()}))
}

async fn elbv2_describe_load_balancers(c: &Clients, p: &P<'_>) -> Result<Value, Failure> {
    let action = A::ElbDescribeLoadBalancers.iam_action();
    let s = |v: Option<&str>| json!(v);
    let out = c
        .elbv2
        .describe_load_balancers()
        .set_names(p.l("Names"))
        .send()
        .await
        .map_err(|e| Failure::from_sdk(action, e))?;
    let list: Vec<Value> = out
        .load_balancers()
        .iter()
        .map(|lb| {
            obj([
                ("LoadBalancerArn", s(lb.load_balancer_arn())),
                ("DNSName", s(lb.dns_name())),
                ("LoadBalancerName", s(lb.load_balancer_name())),
                ("Scheme", s(lb.scheme().map(|x| x.as_str()))),
                ("VpcId", s(lb.vpc_id())),
                (
                    "State",
                    lb.state().map_or(Value::Null, |st| {
                        obj([
                            ("Code", s(st.code().map(|x| x.as_str()))),
                            ("Reason", s(st.reason())),
                        ])
                    }),
                ),
                ("Type", s(lb.r#type().map(|x| x.as_str()))),
                (
                    "AvailabilityZones",
                    Value::Array(
                        lb.availability_zones()
                            .iter()
                            .map(|z| {
                                obj([
                                    ("ZoneName", s(z.zone_name())),
                                    ("SubnetId", s(z.subnet_id())),
                                ])
                            })
                            .collect(),
                    ),
                ),
                ("SecurityGroups", json!(lb.security_groups())),
                ("IpAddressType", s(lb.ip_address_type().map(|x| x.as_str()))),
            ])
        })
        .collect();
    Ok(json!({"LoadBalancers": list}))
}

async fn elbv2_describe_target_groups(c: &Clients, p: &P<'_>) -> Result<Value, Failure> {
    let action = A::ElbDescribeTargetGroups.iam_action();
    let s = |v: Option<&str>| json!(v);
    let out = c
        .elbv2
        .describe_target_groups()
        .set_names(p.l("Names"))
        .set_load_balancer_arn(p.s("LoadBalancerArn"))
        .send()
        .await
        .map_err(|e| Failure::from_sdk(action, e))?;
    let list: Vec<Value> = out
        .target_groups()
        .iter()
        .map(|tg| {
            obj([
                ("TargetGroupArn", s(tg.target_group_arn())),
                ("TargetGroupName", s(tg.target_group_name())),
                ("Protocol", s(tg.protocol().map(|x| x.as_str()))),
                ("Port", json!(tg.port())),
                ("VpcId", s(tg.vpc_id())),
                (
                    "HealthCheckProtocol",
                    s(tg.health_check_protocol().map(|x| x.as_str())),
                ),
                ("HealthCheckPort", s(tg.health_check_port())),
                ("HealthCheckEnabled", json!(tg.health_check_enabled())),
                (
                    "HealthCheckIntervalSeconds",
                    json!(tg.health_check_interval_seconds()),
                ),
                (
                    "HealthCheckTimeoutSeconds",
                    json!(tg.health_check_timeout_seconds()),
                ),
                ("HealthyThresholdCount", json!(tg.healthy_threshold_count())),
                (
                    "UnhealthyThresholdCount",
                    json!(tg.unhealthy_threshold_count()),
                ),
                ("HealthCheckPath", s(tg.health_check_path())),
                (
                    "Matcher",
                    tg.matcher().map_or(Value::Null, |m| {
                        obj([
                            ("HttpCode", s(m.http_code())),
                            ("GrpcCode", s(m.grpc_code())),
                        ])
                    }),
                ),
                ("LoadBalancerArns", json!(tg.load_balancer_arns())),
                ("TargetType", s(tg.target_type().map(|x| x.as_str()))),
                ("IpAddressType", s(tg.ip_address_type().map(|x| x.as_str()))),
            ])
        })
        .collect();
    Ok(json!({"TargetGroups": list}))
}

async fn elbv2_describe_target_health(c: &Clients, p: &P<'_>) -> Result<Value, Failure> {
    let action = A::ElbDescribeTargetHealth.iam_action();
    let s = |v: Option<&str>| json!(v);
    let out = c
        .elbv2
        .describe_target_health()
        .set_target_group_arn(p.s("TargetGroupArn"))
        .send()
        .await
        .map_err(|e| Failure::from_sdk(action, e))?;
    let list: Vec<Value> = out
        .target_health_descriptions()
        .iter()
        .map(|d| {
            obj([
                (
                    "Target",
                    d.target().map_or(Value::Null, |t| {
                        obj([
                            ("Id", s(t.id())),
                            ("Port", json!(t.port())),
                            ("AvailabilityZone", s(t.availability_zone())),
                        ])
                    }),
                ),
                ("HealthCheckPort", s(d.health_check_port())),
                (
                    "TargetHealth",
                    d.target_health().map_or(Value::Null, |h| {
                        obj([
                            ("State", s(h.state().map(|x| x.as_str()))),
                            ("Reason", s(h.reason().map(|x| x.as_str()))),
                            ("Description", s(h.description())),
                        ])
                    }),
                ),
            ])
        })
        .collect();
    Ok(json!({"TargetHealthDescriptions": list}))
}

async fn elbv2_describe_listeners(c: &Clients, p: &P<'_>) -> Result<Value, Failure> {
    let action = A::ElbDescribeListeners.iam_action();
    let s = |v: Option<&str>| json!(v);
    let out = c
        .elbv2
        .describe_listeners()
        .set_load_balancer_arn(p.s("LoadBalancerArn"))
        .send()
        .await
        .map_err(|e| Failure::from_sdk(action, e))?;
    let list: Vec<Value> = out
        .listeners()
        .iter()
        .map(|l| {
            obj([
                ("ListenerArn", s(l.listener_arn())),
                ("LoadBalancerArn", s(l.load_balancer_arn())),
                ("Port", json!(l.port())),
                ("Protocol", s(l.protocol().map(|x| x.as_str()))),
                ("DefaultActions", elb_actions(l.default_actions())),
            ])
        })
        .collect();
    Ok(json!({"Listeners": list}))
}

/// Listener actions as the CLI shows them, forward weights included.
fn elb_actions(actions: &[aws_sdk_elasticloadbalancingv2::types::Action]) -> Value {
    let s = |v: Option<&str>| json!(v);
    Value::Array(
        actions
            .iter()
            .map(|a| {
                let forward = a.forward_config().map_or(Value::Null, |f| {
                    let groups: Vec<Value> = f
                        .target_groups()
                        .iter()
                        .map(|g| {
                            obj([
                                ("TargetGroupArn", s(g.target_group_arn())),
                                ("Weight", json!(g.weight())),
                            ])
                        })
                        .collect();
                    obj([("TargetGroups", Value::Array(groups))])
                });
                obj([
                    ("Type", s(a.r#type().map(|x| x.as_str()))),
                    ("TargetGroupArn", s(a.target_group_arn())),
                    ("ForwardConfig", forward),
                    ("Order", json!(a.order())),
                ])
            })
            .collect(),
    )
}

async fn elbv2_describe_rules(c: &Clients, p: &P<'_>) -> Result<Value, Failure> {
    let action = A::ElbDescribeRules.iam_action();
    let s = |v: Option<&str>| json!(v);
    let out = c
        .elbv2
        .describe_rules()
        .set_listener_arn(p.s("ListenerArn"))
        .set_rule_arns(p.l("RuleArns"))
        .send()
        .await
        .map_err(|e| Failure::from_sdk(action, e))?;
    let list: Vec<Value> = out
        .rules()
        .iter()
        .map(|r| {
            let conditions: Vec<Value> = r
                .conditions()
                .iter()
                .map(|c| obj([("Field", s(c.field())), ("Values", json!(c.values()))]))
                .collect();
            obj([
                ("RuleArn", s(r.rule_arn())),
                ("Priority", s(r.priority())),
                ("IsDefault", json!(r.is_default())),
                ("Conditions", Value::Array(conditions)),
                ("Actions", elb_actions(r.actions())),
            ])
        })
        .collect();
    Ok(json!({"Rules": list}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_documents_decode_like_the_cli() {
        let raw = "%7B%22Version%22%3A%222012-10-17%22%7D";
        assert_eq!(policy_document(raw), json!({"Version": "2012-10-17"}));
        assert_eq!(policy_document("{\"a\":1}"), json!({"a": 1}));
    }
}
