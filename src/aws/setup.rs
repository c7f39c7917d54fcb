//! Lab setup and cleanup: the only writes ecsdrill makes. Callers run them only in the local
//! sandbox or in the allow-listed account (see `commands::lab`). Everything created carries
//! the tag `ecsdrill:lab = <lab id>` and is recorded, and cleanup deletes a recorded
//! resource only while it still carries that tag.

use anyhow::Result;
use serde_json::{Value, json};

use super::{Aws, Failure, Target};
use crate::error::UserError;
use crate::lab::resource::ResourceKind;
use crate::lab::{Count, SetupAction, TAG_KEY, Vars};
use crate::sandbox::Sandbox;

/// A resource a setup created: what `lab cleanup` may delete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Created {
    pub kind: ResourceKind,
    pub name: String,
}

fn created(kind: ResourceKind, name: impl Into<String>) -> Option<Created> {
    Some(Created {
        kind,
        name: name.into(),
    })
}

/// How long a deleted service may take to become INACTIVE: in the sandbox, simulated
/// seconds (a target group's deregistration delay is at most 3600 s); in AWS, real ones.
const DRAIN_LIMIT_SANDBOX: u64 = 3900;
const DRAIN_LIMIT_AWS: u64 = 900;

/// The tag that ties a target group to the load balancer it was made with
/// (`create_load_balancer`), so that the load balancer's cleanup deletes it too.
const LB_TAG_KEY: &str = "ecsdrill:load-balancer";

/// A role's trust policy: `service` (`ecs-tasks.amazonaws.com`) may assume it.
fn trust_policy(service: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
    .to_string()
}

/// A setup number, with a drawn one looked up; an error names what it is for.
fn number(n: &Count, vars: &Vars, what: &str) -> Result<i32> {
    n.resolve(vars).ok_or_else(|| {
        UserError::env(format!(
            "setup: {what} must be a whole number (or a drawn one), not {n:?}"
        ))
        .with_hint("`ecsdrill lab check-files FILE` reports setup numbers that are not")
        .into()
    })
}

/// An optional setup number (`None` stays `None`; text that is no number is an error).
fn opt_number(n: &Option<Count>, vars: &Vars, what: &str) -> Result<Option<i32>> {
    n.as_ref().map(|n| number(n, vars, what)).transpose()
}

/// A secret's `valueFrom`: an SSM parameter name `/x/y` becomes its ARN; anything else (an
/// ARN, a name without `/`) is sent as written.
fn secret_ref(value: &str, vars: &Vars) -> String {
    match value.strip_prefix('/') {
        Some(rest) if !value.starts_with("arn:") => vars.expand(&format!(
            "arn:aws:ssm:${{region}}:${{account}}:parameter/{rest}"
        )),
        _ => value.to_string(),
    }
}

fn elb_tag(key: &str, value: &str) -> aws_sdk_elasticloadbalancingv2::types::Tag {
    aws_sdk_elasticloadbalancingv2::types::Tag::builder()
        .key(key)
        .value(value)
        .build()
}

/// A forward to one target group (a listener's default action).
fn forward(tg_arn: &str) -> aws_sdk_elasticloadbalancingv2::types::Action {
    aws_sdk_elasticloadbalancingv2::types::Action::builder()
        .r#type(aws_sdk_elasticloadbalancingv2::types::ActionTypeEnum::Forward)
        .target_group_arn(tg_arn)
        .build()
}

/// Whether a listener's default actions send traffic to the target group.
fn forwards_to(l: &aws_sdk_elasticloadbalancingv2::types::Listener, tg_arn: &str) -> bool {
    actions_forward_to(l.default_actions(), tg_arn)
}

fn actions_forward_to(
    actions: &[aws_sdk_elasticloadbalancingv2::types::Action],
    tg_arn: &str,
) -> bool {
    actions.iter().any(|a| {
        a.target_group_arn() == Some(tg_arn)
            || a.forward_config().is_some_and(|f| {
                f.target_groups()
                    .iter()
                    .any(|t| t.target_group_arn() == Some(tg_arn))
            })
    })
}

impl Aws {
    fn fail<E>(
        &self,
        action: &str,
    ) -> impl Fn(
        aws_sdk_ecs::error::SdkError<E, aws_sdk_ecs::config::http::HttpResponse>,
    ) -> anyhow::Error
    + '_
    where
        E: aws_sdk_ecs::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let action = action.to_string();
        move |e| self.explain(Failure::from_sdk(&action, e)).into()
    }

    /// Runs one setup action; returns what it created (nothing when it reused something).
    pub fn apply(
        &self,
        lab_id: &str,
        action: &SetupAction,
        vars: &Vars,
        sandbox: Option<&Sandbox>,
    ) -> Result<Option<Created>> {
        let action = &action.expanded(vars);
        if let SetupAction::CreateService { cluster, name, .. } = action {
            // A service of that name deleted a moment ago is still DRAINING, and ECS refuses
            // to create it again ("not idempotent") until it is INACTIVE.
            self.wait_inactive(cluster, name)?;
        }
        self.block_on(self.apply_async(lab_id, action, vars, sandbox))
    }

    /// Waits, as ECS makes one wait, until a deleted service is INACTIVE: its tasks have
    /// stopped (and their targets drained). The local sandbox's clock is moved on instead of
    /// waiting in real time. Bounded: `DRAIN_LIMIT_SANDBOX` simulated or `DRAIN_LIMIT_AWS`
    /// real seconds, then an error that says what to do.
    pub fn wait_inactive(&self, cluster: &str, name: &str) -> Result<()> {
        let local = self.target == Target::Local;
        let limit = if local {
            DRAIN_LIMIT_SANDBOX
        } else {
            DRAIN_LIMIT_AWS
        };
        let mut waited = 0;
        loop {
            let out = self
                .block_on(
                    self.clients
                        .ecs
                        .describe_services()
                        .cluster(cluster)
                        .services(name)
                        .send(),
                )
                .map_err(self.fail("ecs:DescribeServices"));
            let draining = match out {
                Ok(o) => o.services().iter().any(|s| s.status() == Some("DRAINING")),
                // The cluster is gone, so is the service.
                Err(_) if !self.cluster_exists(cluster) => false,
                Err(e) => return Err(e),
            };
            if !draining {
                return Ok(());
            }
            if waited >= limit {
                let clock = if local { " of sandbox time" } else { "" };
                return Err(UserError::env(format!(
                    "service `{name}` in cluster `{cluster}` is still DRAINING after {waited} s{clock}: not all its tasks have stopped"
                ))
                .with_hint(format!(
                    "run the command again later; `aws ecs describe-services --cluster {cluster} --services {name} --query 'services[0].[status,runningCount]'` shows when it is INACTIVE"
                ))
                .into());
            }
            if waited == 0 {
                eprintln!(
                    "setup: waiting for service {cluster}/{name} to drain (ECS stops its tasks before the service is INACTIVE)"
                );
            }
            let step = if waited < 60 { 5 } else { 30 };
            match (&self.target, &self.endpoint) {
                (Target::Local, Some(endpoint)) => {
                    let (code, text) = crate::sandbox::request(
                        endpoint,
                        "POST",
                        "/_ecsdrill/clock",
                        Some(&json!({"advance": step}).to_string()),
                    )?;
                    if code >= 400 {
                        return Err(UserError::env(format!(
                            "the sandbox refused to move its clock: {text}"
                        ))
                        .with_hint(
                            "restart it: `ecsdrill sandbox down`, then `ecsdrill sandbox up`",
                        )
                        .into());
                    }
                }
                _ => std::thread::sleep(std::time::Duration::from_secs(step)),
            }
            waited += step;
        }
    }

    /// What a lab's setup made that is not there now, in words (`cluster drill`). Only reads
    /// (each in the checker policy); `lab check` asks when a read finds nothing, to tell a
    /// lab whose resources went away (sandbox reset or restarted, `lab cleanup`, deleted by
    /// hand) from a step not done yet. A probe that fails for another reason counts as there.
    pub fn setup_gone(&self, lab: &crate::lab::Lab, vars: &Vars) -> Vec<String> {
        self.block_on(async {
            let c = &self.clients;
            let mut gone = Vec::new();
            for action in &lab.setup {
                let action = action.value.expanded(vars);
                let (what, there) = match &action {
                    SetupAction::PushImage {
                        repository, tag, ..
                    } => (
                        format!("image {repository}:{tag}"),
                        probe(
                            "ecr:DescribeImages",
                            c.ecr
                                .describe_images()
                                .repository_name(repository)
                                .image_ids(
                                    aws_sdk_ecr::types::ImageIdentifier::builder()
                                        .image_tag(tag)
                                        .build(),
                                )
                                .send()
                                .await,
                            |o| !o.image_details().is_empty(),
                        ),
                    ),
                    SetupAction::CreateRepository { name, .. } => (
                        format!("repository {name}"),
                        probe(
                            "ecr:DescribeRepositories",
                            c.ecr
                                .describe_repositories()
                                .repository_names(name)
                                .send()
                                .await,
                            |o| !o.repositories().is_empty(),
                        ),
                    ),
                    SetupAction::CreateCluster { name, .. } => (
                        format!("cluster {name}"),
                        probe(
                            "ecs:DescribeClusters",
                            c.ecs.describe_clusters().clusters(name).send().await,
                            |o| o.clusters().iter().any(|c| c.status() == Some("ACTIVE")),
                        ),
                    ),
                    SetupAction::CreateLogGroup { name } => (
                        format!("log group {name}"),
                        probe(
                            "logs:DescribeLogGroups",
                            c.logs
                                .describe_log_groups()
                                .log_group_name_prefix(name)
                                .send()
                                .await,
                            |o| {
                                o.log_groups()
                                    .iter()
                                    .any(|g| g.log_group_name() == Some(name))
                            },
                        ),
                    ),
                    SetupAction::CreateRole { name, .. } => (
                        format!("role {name}"),
                        probe(
                            "iam:GetRole",
                            c.iam.get_role().role_name(name).send().await,
                            |_| true,
                        ),
                    ),
                    SetupAction::PutParameter { name, .. } => (
                        format!("parameter {name}"),
                        probe(
                            "ssm:GetParameter",
                            c.ssm.get_parameter().name(name).send().await,
                            |_| true,
                        ),
                    ),
                    SetupAction::RegisterTaskDefinition { family, .. } => (
                        format!("task definition {family}"),
                        probe(
                            "ecs:DescribeTaskDefinition",
                            c.ecs
                                .describe_task_definition()
                                .task_definition(family)
                                .send()
                                .await,
                            |_| true,
                        ),
                    ),
                    SetupAction::CreateService { cluster, name, .. } => (
                        format!("service {name} in cluster {cluster}"),
                        probe(
                            "ecs:DescribeServices",
                            c.ecs
                                .describe_services()
                                .cluster(cluster)
                                .services(name)
                                .send()
                                .await,
                            |o| o.services().iter().any(|s| s.status() == Some("ACTIVE")),
                        ),
                    ),
                    SetupAction::CreateLoadBalancer { name, .. } => (
                        format!("load balancer {name}"),
                        probe(
                            "elasticloadbalancing:DescribeLoadBalancers",
                            c.elbv2.describe_load_balancers().names(name).send().await,
                            |o| !o.load_balancers().is_empty(),
                        ),
                    ),
                    SetupAction::CreateTargetGroup { name, .. } => (
                        format!("target group {name}"),
                        probe(
                            "elasticloadbalancing:DescribeTargetGroups",
                            c.elbv2.describe_target_groups().names(name).send().await,
                            |o| !o.target_groups().is_empty(),
                        ),
                    ),
                    SetupAction::UpdateService { .. }
                    | SetupAction::AdvanceClock { .. }
                    | SetupAction::PutRolePolicy { .. }
                    | SetupAction::DeleteRolePolicy { .. }
                    | SetupAction::AttachRolePolicy { .. }
                    | SetupAction::DetachRolePolicy { .. }
                    | SetupAction::DeleteParameter { .. }
                    | SetupAction::ModifyListener { .. }
                    | SetupAction::ModifyTargetGroup { .. } => {
                        continue;
                    }
                };
                if !there {
                    gone.push(vars.expand(&what));
                }
            }
            gone
        })
    }

    fn cluster_exists(&self, cluster: &str) -> bool {
        self.block_on(
            self.clients
                .ecs
                .describe_clusters()
                .clusters(cluster)
                .send(),
        )
        .is_ok_and(|o| o.clusters().iter().any(|c| c.status() == Some("ACTIVE")))
    }

    async fn apply_async(
        &self,
        lab_id: &str,
        action: &SetupAction,
        vars: &Vars,
        sandbox: Option<&Sandbox>,
    ) -> Result<Option<Created>> {
        let c = &self.clients;
        let x = |s: &str| vars.expand(s);
        let ecs_tag = aws_sdk_ecs::types::Tag::builder()
            .key(TAG_KEY)
            .value(lab_id)
            .build();
        match action {
            SetupAction::PushImage {
                repository,
                tag,
                behavior,
                exit_code,
                requires,
                build,
            } => {
                let existed = c
                    .ecr
                    .describe_repositories()
                    .repository_names(repository)
                    .send()
                    .await
                    .is_ok();
                match (sandbox, &self.target) {
                    (Some(sb), Target::Local) => {
                        let mut body = json!({"repository": repository, "tag": tag, "behavior": behavior,
                                "exit_code": exit_code.as_ref().and_then(|n| n.resolve(vars))});
                        if let Some(build) = build {
                            body["build"] = json!(build);
                        }
                        if let Some(requires) = requires {
                            body["requires"] = json!(x(requires));
                        }
                        sb.control("/_ecsdrill/images", &body)?;
                    }
                    _ => {
                        let found = c
                            .ecr
                            .describe_images()
                            .repository_name(repository)
                            .image_ids(
                                aws_sdk_ecr::types::ImageIdentifier::builder()
                                    .image_tag(tag)
                                    .build(),
                            )
                            .send()
                            .await
                            .is_ok();
                        if !found {
                            return Err(UserError::env(format!(
                                "this lab needs the image {repository}:{tag} (behaviour: {behavior}) in your ECR"
                            ))
                            .with_hint(format!(
                                "build an image that behaves so and `docker push` it as {}/{repository}:{tag}, or do this lab in the local sandbox (`ecsdrill sandbox use local`)",
                                x("${ecr}")
                            ))
                            .into());
                        }
                        return Ok(None);
                    }
                }
                if existed {
                    return Ok(None);
                }
                let arn = x(&format!(
                    "arn:aws:ecr:${{region}}:${{account}}:repository/{repository}"
                ));
                let tag = aws_sdk_ecr::types::Tag::builder()
                    .key(TAG_KEY)
                    .value(lab_id)
                    .build()?;
                c.ecr
                    .tag_resource()
                    .resource_arn(&arn)
                    .tags(tag)
                    .send()
                    .await
                    .map_err(self.fail("ecr:TagResource"))?;
                Ok(created(ResourceKind::Repository, repository.clone()))
            }
            SetupAction::CreateRepository {
                name,
                immutable,
                scan_on_push,
            } => {
                let mutability = if *immutable {
                    aws_sdk_ecr::types::ImageTagMutability::Immutable
                } else {
                    aws_sdk_ecr::types::ImageTagMutability::Mutable
                };
                let exists = c
                    .ecr
                    .describe_repositories()
                    .repository_names(name)
                    .send()
                    .await
                    .is_ok();
                if exists {
                    c.ecr
                        .put_image_tag_mutability()
                        .repository_name(name)
                        .image_tag_mutability(mutability)
                        .send()
                        .await
                        .map_err(self.fail("ecr:PutImageTagMutability"))?;
                    return Ok(None);
                }
                let tag = aws_sdk_ecr::types::Tag::builder()
                    .key(TAG_KEY)
                    .value(lab_id)
                    .build()?;
                c.ecr
                    .create_repository()
                    .repository_name(name)
                    .image_tag_mutability(mutability)
                    .image_scanning_configuration(
                        aws_sdk_ecr::types::ImageScanningConfiguration::builder()
                            .scan_on_push(*scan_on_push)
                            .build(),
                    )
                    .tags(tag)
                    .send()
                    .await
                    .map_err(self.fail("ecr:CreateRepository"))?;
                Ok(created(ResourceKind::Repository, name.clone()))
            }
            SetupAction::CreateCluster {
                name,
                service_connect_namespace,
            } => {
                // ECS uses a namespace of that name, or creates an HTTP namespace for it.
                let defaults = service_connect_namespace.as_ref().map(|ns| {
                    aws_sdk_ecs::types::ClusterServiceConnectDefaultsRequest::builder()
                        .namespace(ns)
                        .build()
                });
                let out = c
                    .ecs
                    .describe_clusters()
                    .clusters(name)
                    .send()
                    .await
                    .map_err(self.fail("ecs:DescribeClusters"))?;
                if out
                    .clusters()
                    .iter()
                    .any(|cl| cl.status() == Some("ACTIVE"))
                {
                    if let Some(defaults) = defaults.transpose()? {
                        c.ecs
                            .update_cluster()
                            .cluster(name)
                            .service_connect_defaults(defaults)
                            .send()
                            .await
                            .map_err(self.fail("ecs:UpdateCluster"))?;
                    }
                    return Ok(None);
                }
                c.ecs
                    .create_cluster()
                    .cluster_name(name)
                    .set_service_connect_defaults(defaults.transpose()?)
                    .tags(ecs_tag)
                    .send()
                    .await
                    .map_err(self.fail("ecs:CreateCluster"))?;
                Ok(created(ResourceKind::Cluster, name.clone()))
            }
            SetupAction::CreateLogGroup { name } => {
                let out = c
                    .logs
                    .describe_log_groups()
                    .log_group_name_prefix(name)
                    .send()
                    .await
                    .map_err(self.fail("logs:DescribeLogGroups"))?;
                if out
                    .log_groups()
                    .iter()
                    .any(|g| g.log_group_name() == Some(name))
                {
                    return Ok(None);
                }
                c.logs
                    .create_log_group()
                    .log_group_name(name)
                    .tags(TAG_KEY, lab_id)
                    .send()
                    .await
                    .map_err(self.fail("logs:CreateLogGroup"))?;
                Ok(created(ResourceKind::LogGroup, name.clone()))
            }
            SetupAction::CreateRole {
                name,
                managed_policies,
                inline_policies,
                trusted_service,
            } => {
                if c.iam.get_role().role_name(name).send().await.is_ok() {
                    return Ok(None);
                }
                let tag = aws_sdk_iam::types::Tag::builder()
                    .key(TAG_KEY)
                    .value(lab_id)
                    .build()?;
                c.iam
                    .create_role()
                    .role_name(name)
                    .assume_role_policy_document(trust_policy(trusted_service))
                    .tags(tag)
                    .send()
                    .await
                    .map_err(self.fail("iam:CreateRole"))?;
                for arn in managed_policies {
                    c.iam
                        .attach_role_policy()
                        .role_name(name)
                        .policy_arn(x(arn))
                        .send()
                        .await
                        .map_err(self.fail("iam:AttachRolePolicy"))?;
                }
                for (policy, doc) in inline_policies {
                    c.iam
                        .put_role_policy()
                        .role_name(name)
                        .policy_name(policy)
                        .policy_document(vars.expand_json(doc).to_string())
                        .send()
                        .await
                        .map_err(self.fail("iam:PutRolePolicy"))?;
                }
                Ok(created(ResourceKind::Role, name.clone()))
            }
            SetupAction::PutParameter {
                name,
                value,
                secure,
            } => {
                if c.ssm.get_parameter().name(name).send().await.is_ok() {
                    return Ok(None);
                }
                let tag = aws_sdk_ssm::types::Tag::builder()
                    .key(TAG_KEY)
                    .value(lab_id)
                    .build()?;
                let kind = if *secure {
                    aws_sdk_ssm::types::ParameterType::SecureString
                } else {
                    aws_sdk_ssm::types::ParameterType::String
                };
                c.ssm
                    .put_parameter()
                    .name(name)
                    .value(x(value))
                    .r#type(kind)
                    .tags(tag)
                    .send()
                    .await
                    .map_err(self.fail("ssm:PutParameter"))?;
                Ok(created(ResourceKind::Parameter, name.clone()))
            }
            SetupAction::PutRolePolicy {
                role,
                name,
                document,
            } => {
                c.iam
                    .put_role_policy()
                    .role_name(role)
                    .policy_name(name)
                    .policy_document(vars.expand_json(document).to_string())
                    .send()
                    .await
                    .map_err(self.fail("iam:PutRolePolicy"))?;
                Ok(None)
            }
            SetupAction::DeleteRolePolicy { role, name } => {
                c.iam
                    .delete_role_policy()
                    .role_name(role)
                    .policy_name(name)
                    .send()
                    .await
                    .map_err(self.fail("iam:DeleteRolePolicy"))?;
                Ok(None)
            }
            SetupAction::AttachRolePolicy { role, policy_arn } => {
                c.iam
                    .attach_role_policy()
                    .role_name(role)
                    .policy_arn(policy_arn)
                    .send()
                    .await
                    .map_err(self.fail("iam:AttachRolePolicy"))?;
                Ok(None)
            }
            SetupAction::DetachRolePolicy { role, policy_arn } => {
                c.iam
                    .detach_role_policy()
                    .role_name(role)
                    .policy_arn(policy_arn)
                    .send()
                    .await
                    .map_err(self.fail("iam:DetachRolePolicy"))?;
                Ok(None)
            }
            SetupAction::DeleteParameter { name } => {
                c.ssm
                    .delete_parameter()
                    .name(name)
                    .send()
                    .await
                    .map_err(self.fail("ssm:DeleteParameter"))?;
                Ok(None)
            }
            SetupAction::RegisterTaskDefinition {
                family,
                cpu,
                memory,
                execution_role,
                task_role,
                container,
                earlier_revisions,
            } => {
                use aws_sdk_ecs::types::{
                    Compatibility, ContainerDefinition, HealthCheck, KeyValuePair,
                    LogConfiguration, LogDriver, NetworkMode, PortMapping, Secret,
                };
                let role_arn = |r: &Option<String>| {
                    r.as_ref()
                        .map(|n| x(&format!("arn:aws:iam::${{account}}:role/{n}")))
                };
                let mut def = ContainerDefinition::builder()
                    .name(&container.name)
                    .image(x(&container.image))
                    .essential(true);
                if let Some(port) = container.port {
                    def = def.port_mappings(
                        PortMapping::builder()
                            .container_port(port)
                            .set_name(container.port_name.clone())
                            .build(),
                    );
                }
                if let Some(mib) = opt_number(&container.memory, vars, "the container's memory")? {
                    def = def.memory(mib);
                }
                for (env, value) in &container.environment {
                    let value = match value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    def = def.environment(KeyValuePair::builder().name(env).value(value).build());
                }
                for (env, from) in &container.secrets {
                    def = def.secrets(
                        Secret::builder()
                            .name(env)
                            .value_from(secret_ref(from, vars))
                            .build()?,
                    );
                }
                if let Some(hc) = &container.health_check {
                    def = def.health_check(
                        HealthCheck::builder()
                            .set_command(Some(hc.command.clone()))
                            .set_interval(opt_number(&hc.interval, vars, "health_check.interval")?)
                            .set_retries(opt_number(&hc.retries, vars, "health_check.retries")?)
                            .set_start_period(opt_number(
                                &hc.start_period,
                                vars,
                                "health_check.start_period",
                            )?)
                            .build()?,
                    );
                }
                if let Some(group) = &container.log_group {
                    def = def.log_configuration(
                        LogConfiguration::builder()
                            .log_driver(LogDriver::Awslogs)
                            .options("awslogs-group", group)
                            .options("awslogs-region", &vars.region)
                            .options("awslogs-stream-prefix", family)
                            .build()?,
                    );
                }
                let register = || {
                    c.ecs
                        .register_task_definition()
                        .family(family)
                        .cpu(cpu)
                        .memory(memory)
                        .network_mode(NetworkMode::Awsvpc)
                        .requires_compatibilities(Compatibility::Fargate)
                        .set_execution_role_arn(role_arn(execution_role))
                        .set_task_role_arn(role_arn(task_role))
                        .container_definitions(def.clone().build())
                        .tags(ecs_tag.clone())
                };
                // The family's history: revisions that came and went before this one.
                let earlier = earlier_revisions
                    .as_ref()
                    .and_then(|n| n.resolve(vars))
                    .unwrap_or(0)
                    .max(0);
                let mut arn = String::new();
                for n in 0..=earlier {
                    let out = register()
                        .send()
                        .await
                        .map_err(self.fail("ecs:RegisterTaskDefinition"))?;
                    arn = out
                        .task_definition()
                        .and_then(|t| t.task_definition_arn())
                        .unwrap_or_default()
                        .to_string();
                    if n < earlier {
                        c.ecs
                            .deregister_task_definition()
                            .task_definition(&arn)
                            .send()
                            .await
                            .map_err(self.fail("ecs:DeregisterTaskDefinition"))?;
                    }
                }
                Ok(created(ResourceKind::TaskDefinition, arn))
            }
            SetupAction::CreateService {
                cluster,
                name,
                task_definition,
                desired_count,
                circuit_breaker,
                rollback,
                load_balancer,
                health_check_grace,
                min_healthy,
                max_percent,
                service_connect,
            } => {
                use aws_sdk_ecs::types::{
                    AssignPublicIp, AwsVpcConfiguration, DeploymentCircuitBreaker,
                    DeploymentConfiguration, LaunchType, LoadBalancer, NetworkConfiguration,
                    PropagateTags, ServiceConnectClientAlias, ServiceConnectConfiguration,
                    ServiceConnectService,
                };
                let out = c
                    .ecs
                    .describe_services()
                    .cluster(cluster)
                    .services(name)
                    .send()
                    .await
                    .map_err(self.fail("ecs:DescribeServices"))?;
                if out.services().iter().any(|s| s.status() == Some("ACTIVE")) {
                    return Err(UserError::env(format!(
                        "a service `{name}` already runs in cluster `{cluster}`"
                    ))
                    .with_hint("`ecsdrill lab reset ID` removes what this lab created before; or delete the service yourself")
                    .into());
                }
                let subnets = self.subnets(sandbox)?;
                let vpc = AwsVpcConfiguration::builder()
                    .set_subnets(Some(subnets))
                    .assign_public_ip(AssignPublicIp::Disabled)
                    .build()?;
                let lb = match load_balancer {
                    Some(lb) => Some(
                        LoadBalancer::builder()
                            .target_group_arn(self.target_group_arn(&lb.target_group).await?)
                            .container_name(&lb.container)
                            .container_port(number(&lb.port, vars, "load_balancer.port")?)
                            .build(),
                    ),
                    None => None,
                };
                let connect = match service_connect {
                    Some(sc) => {
                        let mut conf = ServiceConnectConfiguration::builder()
                            .enabled(true)
                            .set_namespace(sc.namespace.clone());
                        if let Some(port_name) = &sc.port_name {
                            let mut service = ServiceConnectService::builder()
                                .port_name(port_name)
                                .set_discovery_name(sc.discovery_name.clone());
                            if let Some(alias) = &sc.alias {
                                service = service.client_aliases(
                                    ServiceConnectClientAlias::builder()
                                        .port(number(
                                            &alias.port,
                                            vars,
                                            "service_connect.alias.port",
                                        )?)
                                        .set_dns_name(alias.dns_name.clone())
                                        .build()?,
                                );
                            }
                            conf = conf.services(service.build()?);
                        }
                        Some(conf.build())
                    }
                    None => None,
                };
                c.ecs
                    .create_service()
                    .cluster(cluster)
                    .service_name(name)
                    .task_definition(task_definition)
                    .desired_count(desired_count.resolve(vars).unwrap_or(1))
                    .launch_type(LaunchType::Fargate)
                    .network_configuration(
                        NetworkConfiguration::builder()
                            .awsvpc_configuration(vpc)
                            .build(),
                    )
                    .deployment_configuration(
                        DeploymentConfiguration::builder()
                            .deployment_circuit_breaker(
                                DeploymentCircuitBreaker::builder()
                                    .enable(*circuit_breaker)
                                    .rollback(*rollback)
                                    .build(),
                            )
                            .maximum_percent(
                                opt_number(max_percent, vars, "max_percent")?.unwrap_or(200),
                            )
                            .minimum_healthy_percent(
                                opt_number(min_healthy, vars, "min_healthy")?.unwrap_or(100),
                            )
                            .build(),
                    )
                    .set_load_balancers(lb.map(|lb| vec![lb]))
                    .set_health_check_grace_period_seconds(opt_number(
                        health_check_grace,
                        vars,
                        "health_check_grace",
                    )?)
                    .propagate_tags(PropagateTags::Service)
                    .set_service_connect_configuration(connect)
                    .tags(ecs_tag)
                    .send()
                    .await
                    .map_err(self.fail("ecs:CreateService"))?;
                Ok(created(ResourceKind::Service, format!("{cluster}/{name}")))
            }
            SetupAction::UpdateService {
                cluster,
                name,
                task_definition,
                desired_count,
                force_new_deployment,
                min_healthy,
                max_percent,
                health_check_grace,
                circuit_breaker,
                rollback,
            } => {
                use aws_sdk_ecs::types::{DeploymentCircuitBreaker, DeploymentConfiguration};
                let min_healthy = opt_number(min_healthy, vars, "min_healthy")?;
                let max_percent = opt_number(max_percent, vars, "max_percent")?;
                let mut deployment = None;
                if min_healthy.is_some()
                    || max_percent.is_some()
                    || circuit_breaker.is_some()
                    || rollback.is_some()
                {
                    let mut conf = DeploymentConfiguration::builder()
                        .set_minimum_healthy_percent(min_healthy)
                        .set_maximum_percent(max_percent);
                    if circuit_breaker.is_some() || rollback.is_some() {
                        // What is not given stays as the service has it.
                        let out = c
                            .ecs
                            .describe_services()
                            .cluster(cluster)
                            .services(name)
                            .send()
                            .await
                            .map_err(self.fail("ecs:DescribeServices"))?;
                        let now = out
                            .services()
                            .first()
                            .and_then(|s| s.deployment_configuration())
                            .and_then(|d| d.deployment_circuit_breaker());
                        conf = conf.deployment_circuit_breaker(
                            DeploymentCircuitBreaker::builder()
                                .enable(circuit_breaker.unwrap_or(now.is_some_and(|b| b.enable())))
                                .rollback(rollback.unwrap_or(now.is_some_and(|b| b.rollback())))
                                .build(),
                        );
                    }
                    deployment = Some(conf.build());
                }
                c.ecs
                    .update_service()
                    .cluster(cluster)
                    .service(name)
                    .set_task_definition(task_definition.clone())
                    .set_desired_count(opt_number(desired_count, vars, "desired_count")?)
                    .force_new_deployment(*force_new_deployment)
                    .set_deployment_configuration(deployment)
                    .set_health_check_grace_period_seconds(opt_number(
                        health_check_grace,
                        vars,
                        "health_check_grace",
                    )?)
                    .send()
                    .await
                    .map_err(self.fail("ecs:UpdateService"))?;
                Ok(None)
            }
            SetupAction::CreateLoadBalancer {
                name,
                target_group,
                port,
                health_path,
            } => {
                use aws_sdk_elasticloadbalancingv2::types::{
                    LoadBalancerSchemeEnum, LoadBalancerTypeEnum, ProtocolEnum,
                };
                let net = self.local_network(sandbox, "a load balancer")?;
                let lb_exists = c
                    .elbv2
                    .describe_load_balancers()
                    .names(name)
                    .send()
                    .await
                    .is_ok_and(|o| !o.load_balancers().is_empty());
                if lb_exists {
                    return Err(UserError::env(format!(
                        "a load balancer `{name}` already exists"
                    ))
                    .with_hint("`ecsdrill lab reset ID` removes what this lab created before; or delete it yourself")
                    .into());
                }
                let tg_arn = self
                    .create_target_group(
                        lab_id,
                        target_group,
                        number(port, vars, "port")?,
                        health_path,
                        &net,
                        Some(name),
                    )
                    .await?;
                let subnets: Vec<String> = net["public_subnets"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| s.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                // No security group of its own (ecsdrill has no EC2 client): the VPC's
                // default group, which the sandbox does not filter by.
                let groups = net["default_security_group"]
                    .as_str()
                    .map(|g| vec![g.to_string()]);
                let made = c
                    .elbv2
                    .create_load_balancer()
                    .name(name)
                    .r#type(LoadBalancerTypeEnum::Application)
                    .scheme(LoadBalancerSchemeEnum::InternetFacing)
                    .set_subnets(Some(subnets))
                    .set_security_groups(groups)
                    .tags(elb_tag(TAG_KEY, lab_id))
                    .send()
                    .await
                    .map_err(self.fail("elasticloadbalancing:CreateLoadBalancer"));
                let made = match made {
                    Ok(made) => made,
                    Err(e) => {
                        // Not recorded, so not left behind.
                        let _ = c
                            .elbv2
                            .delete_target_group()
                            .target_group_arn(&tg_arn)
                            .send()
                            .await;
                        return Err(e);
                    }
                };
                let lb_arn = made
                    .load_balancers()
                    .first()
                    .and_then(|l| l.load_balancer_arn())
                    .unwrap_or_default()
                    .to_string();
                c.elbv2
                    .create_listener()
                    .load_balancer_arn(&lb_arn)
                    .protocol(ProtocolEnum::Http)
                    .port(80)
                    .default_actions(forward(&tg_arn))
                    .tags(elb_tag(TAG_KEY, lab_id))
                    .send()
                    .await
                    .map_err(self.fail("elasticloadbalancing:CreateListener"))?;
                Ok(created(ResourceKind::LoadBalancer, name.clone()))
            }
            SetupAction::CreateTargetGroup {
                name,
                port,
                health_path,
            } => {
                let net = self.local_network(sandbox, "a target group")?;
                self.create_target_group(
                    lab_id,
                    name,
                    number(port, vars, "port")?,
                    health_path,
                    &net,
                    None,
                )
                .await?;
                Ok(created(ResourceKind::TargetGroup, name.clone()))
            }
            SetupAction::ModifyListener {
                load_balancer,
                target_group,
            } => {
                let lb_arn = self.load_balancer_arn(load_balancer).await?;
                let tg_arn = self.target_group_arn(target_group).await?;
                let listeners = c
                    .elbv2
                    .describe_listeners()
                    .load_balancer_arn(&lb_arn)
                    .send()
                    .await
                    .map_err(self.fail("elasticloadbalancing:DescribeListeners"))?;
                let Some(listener) = listeners
                    .listeners()
                    .iter()
                    .find(|l| l.port() == Some(80))
                    .and_then(|l| l.listener_arn())
                else {
                    return Err(UserError::env(format!(
                        "load balancer `{load_balancer}` has no listener on port 80"
                    ))
                    .with_hint("create it first with `create_load_balancer` in the lab's setup")
                    .into());
                };
                c.elbv2
                    .modify_listener()
                    .listener_arn(listener)
                    .default_actions(forward(&tg_arn))
                    .send()
                    .await
                    .map_err(self.fail("elasticloadbalancing:ModifyListener"))?;
                Ok(None)
            }
            SetupAction::ModifyTargetGroup {
                name,
                health_path,
                health_port,
                matcher,
            } => {
                let arn = self.target_group_arn(name).await?;
                let port = match health_port {
                    None => None,
                    Some(Count::Drawn(s)) if x(s) == "traffic-port" => Some("traffic-port".into()),
                    Some(n) => Some(number(n, vars, "health_port")?.to_string()),
                };
                c.elbv2
                    .modify_target_group()
                    .target_group_arn(arn)
                    .set_health_check_path(health_path.clone())
                    .set_health_check_port(port)
                    .set_matcher(matcher.as_ref().map(|m| {
                        aws_sdk_elasticloadbalancingv2::types::Matcher::builder()
                            .http_code(m)
                            .build()
                    }))
                    .send()
                    .await
                    .map_err(self.fail("elasticloadbalancing:ModifyTargetGroup"))?;
                Ok(None)
            }
            SetupAction::AdvanceClock { seconds } => {
                if let (Some(sb), Target::Local) = (sandbox, &self.target) {
                    sb.control("/_ecsdrill/clock", &json!({"advance": seconds}))?;
                } else {
                    eprintln!(
                        "setup: wait about {seconds} s for the scenario to develop before you start"
                    );
                }
                Ok(None)
            }
        }
    }

    /// The sandbox's network (`vpc_id`, `public_subnets`, `private_subnets`,
    /// `default_security_group`): what a load balancer or target group is made in. `what`
    /// (`a load balancer`) says in the error that only the local sandbox has one.
    fn local_network(&self, sandbox: Option<&Sandbox>, what: &str) -> Result<Value> {
        match (&self.target, sandbox) {
            (Target::Local, Some(sb)) => {
                let endpoint = sb.endpoint()?;
                let (_, text) =
                    crate::sandbox::request(&endpoint, "GET", "/_ecsdrill/network", None)?;
                Ok(serde_json::from_str(&text)?)
            }
            _ => Err(UserError::env(format!(
                "this lab's setup creates {what}, which ecsdrill does only in the local sandbox"
            ))
            .with_hint("drills that create a load balancer run in the local sandbox only: `ecsdrill sandbox use local`")
            .into()),
        }
    }

    /// Makes a target group (ip, HTTP, the sandbox's VPC) tagged with the lab, and with
    /// the load balancer it is made for (deleted with it); returns its ARN.
    async fn create_target_group(
        &self,
        lab_id: &str,
        name: &str,
        port: i32,
        health_path: &str,
        net: &Value,
        load_balancer: Option<&str>,
    ) -> Result<String> {
        use aws_sdk_elasticloadbalancingv2::types::{ProtocolEnum, TargetTypeEnum};
        let c = &self.clients;
        let exists = c
            .elbv2
            .describe_target_groups()
            .names(name)
            .send()
            .await
            .is_ok_and(|o| !o.target_groups().is_empty());
        if exists {
            return Err(UserError::env(format!("a target group `{name}` already exists"))
                .with_hint("`ecsdrill lab reset ID` removes what this lab created before; or delete it yourself")
                .into());
        }
        let mut tags = vec![elb_tag(TAG_KEY, lab_id)];
        if let Some(lb) = load_balancer {
            tags.push(elb_tag(LB_TAG_KEY, lb));
        }
        let out = c
            .elbv2
            .create_target_group()
            .name(name)
            .protocol(ProtocolEnum::Http)
            .port(port)
            .set_vpc_id(net["vpc_id"].as_str().map(str::to_string))
            .target_type(TargetTypeEnum::Ip)
            .health_check_path(health_path)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(self.fail("elasticloadbalancing:CreateTargetGroup"))?;
        Ok(out
            .target_groups()
            .first()
            .and_then(|t| t.target_group_arn())
            .unwrap_or_default()
            .to_string())
    }

    /// A target group's ARN by its name; an error when there is none.
    async fn target_group_arn(&self, name: &str) -> Result<String> {
        let out = self
            .clients
            .elbv2
            .describe_target_groups()
            .names(name)
            .send()
            .await
            .map_err(self.fail("elasticloadbalancing:DescribeTargetGroups"))?;
        Ok(out
            .target_groups()
            .first()
            .and_then(|t| t.target_group_arn())
            .unwrap_or_default()
            .to_string())
    }

    /// A load balancer's ARN by its name; an error when there is none.
    async fn load_balancer_arn(&self, name: &str) -> Result<String> {
        let out = self
            .clients
            .elbv2
            .describe_load_balancers()
            .names(name)
            .send()
            .await
            .map_err(self.fail("elasticloadbalancing:DescribeLoadBalancers"))?;
        Ok(out
            .load_balancers()
            .first()
            .and_then(|l| l.load_balancer_arn())
            .unwrap_or_default()
            .to_string())
    }

    /// The tags of ELB resources, by ARN (DescribeTags takes 20 at a time).
    async fn elb_tags(
        &self,
        arns: &[String],
    ) -> Result<std::collections::HashMap<String, Vec<(String, String)>>> {
        let mut tags = std::collections::HashMap::new();
        for chunk in arns.chunks(20) {
            let out = self
                .clients
                .elbv2
                .describe_tags()
                .set_resource_arns(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(self.fail("elasticloadbalancing:DescribeTags"))?;
            for d in out.tag_descriptions() {
                let pairs = d
                    .tags()
                    .iter()
                    .map(|t| {
                        (
                            t.key().unwrap_or_default().to_string(),
                            t.value().unwrap_or_default().to_string(),
                        )
                    })
                    .collect();
                tags.insert(d.resource_arn().unwrap_or_default().to_string(), pairs);
            }
        }
        Ok(tags)
    }

    /// Whether an ELB resource carries `ecsdrill:lab = lab_id`.
    async fn elb_tagged(&self, arn: &str, lab_id: &str) -> Result<bool> {
        let tags = self.elb_tags(&[arn.to_string()]).await?;
        Ok(tags
            .get(arn)
            .is_some_and(|t| t.iter().any(|(k, v)| k == TAG_KEY && v == lab_id)))
    }

    /// Deletes the listeners of the lab's load balancers that forward to a target group, and
    /// the rules of their other listeners that do (a learner's blue/green rules), so that the
    /// target group can go (its load balancer's own record deletes the rest).
    async fn free_target_group(&self, lab_id: &str, tg_arn: &str) -> Result<()> {
        let c = &self.clients;
        let mut lbs = Vec::new();
        let mut marker = None;
        loop {
            let out = c
                .elbv2
                .describe_load_balancers()
                .set_marker(marker)
                .send()
                .await
                .map_err(self.fail("elasticloadbalancing:DescribeLoadBalancers"))?;
            lbs.extend(
                out.load_balancers()
                    .iter()
                    .filter_map(|l| l.load_balancer_arn().map(str::to_string)),
            );
            marker = out.next_marker().map(str::to_string);
            if marker.is_none() {
                break;
            }
        }
        let tags = self.elb_tags(&lbs).await?;
        for lb in &lbs {
            let ours = tags
                .get(lb)
                .is_some_and(|t| t.iter().any(|(k, v)| k == TAG_KEY && v == lab_id));
            if !ours {
                continue;
            }
            let listeners = c
                .elbv2
                .describe_listeners()
                .load_balancer_arn(lb)
                .send()
                .await
                .map_err(self.fail("elasticloadbalancing:DescribeListeners"))?;
            for l in listeners.listeners() {
                if forwards_to(l, tg_arn) {
                    c.elbv2
                        .delete_listener()
                        .set_listener_arn(l.listener_arn().map(str::to_string))
                        .send()
                        .await
                        .map_err(self.fail("elasticloadbalancing:DeleteListener"))?;
                    continue;
                }
                let rules = c
                    .elbv2
                    .describe_rules()
                    .set_listener_arn(l.listener_arn().map(str::to_string))
                    .send()
                    .await
                    .map_err(self.fail("elasticloadbalancing:DescribeRules"))?;
                for r in rules.rules() {
                    if r.is_default() != Some(true) && actions_forward_to(r.actions(), tg_arn) {
                        c.elbv2
                            .delete_rule()
                            .set_rule_arn(r.rule_arn().map(str::to_string))
                            .send()
                            .await
                            .map_err(self.fail("elasticloadbalancing:DeleteRule"))?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Deletes a target group if it carries the lab's tag; first the listeners of the
    /// lab's load balancers that still forward to it.
    async fn delete_target_group(&self, lab_id: &str, arn: &str) -> Result<Deleted> {
        if !self.elb_tagged(arn, lab_id).await? {
            return Ok(Deleted::NotTagged);
        }
        self.free_target_group(lab_id, arn).await?;
        match self
            .clients
            .elbv2
            .delete_target_group()
            .target_group_arn(arn)
            .send()
            .await
        {
            Ok(_) => Ok(Deleted::Deleted),
            Err(e) => Ok(Deleted::Failed(
                aws_sdk_ecs::error::DisplayErrorContext(&e).to_string(),
            )),
        }
    }

    fn subnets(&self, sandbox: Option<&Sandbox>) -> Result<Vec<String>> {
        match (&self.target, sandbox) {
            (Target::Local, Some(_)) => {
                let v = self.local_network(sandbox, "a service")?;
                Ok(v["private_subnets"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
                    .unwrap_or_default())
            }
            (Target::Aws { subnets, .. }, _) if !subnets.is_empty() => Ok(subnets.clone()),
            _ => Err(UserError::env("this lab's setup creates a service and needs subnets of your VPC")
                .with_hint("pass them once: `ecsdrill sandbox use aws ... --subnet subnet-aaa --subnet subnet-bbb`")
                .into()),
        }
    }

    /// Deletes one recorded resource if it still carries the lab's tag. Returns what happened.
    /// A service is deleted when it is INACTIVE (see `wait_inactive`), so that what comes
    /// next (its cluster's deletion, a new service of the same name) does not fail.
    pub fn delete(&self, lab_id: &str, r: &Created) -> Result<Deleted> {
        let deleted = self.block_on(self.delete_async(lab_id, r))?;
        if r.kind == ResourceKind::Service && matches!(deleted, Deleted::Deleted | Deleted::Gone) {
            let (cluster, name) = r.name.split_once('/').unwrap_or(("default", &r.name));
            self.wait_inactive(cluster, name)?;
        }
        Ok(deleted)
    }

    async fn delete_async(&self, lab_id: &str, r: &Created) -> Result<Deleted> {
        let c = &self.clients;
        let tagged_ecs = |tags: &[aws_sdk_ecs::types::Tag]| {
            tags.iter()
                .any(|t| t.key() == Some(TAG_KEY) && t.value() == Some(lab_id))
        };
        match r.kind {
            ResourceKind::Service => {
                let (cluster, name) = r.name.split_once('/').unwrap_or(("default", &r.name));
                let out = c
                    .ecs
                    .describe_services()
                    .cluster(cluster)
                    .services(name)
                    .include(aws_sdk_ecs::types::ServiceField::Tags)
                    .send()
                    .await;
                let Some(svc) = out.ok().and_then(|o| {
                    o.services()
                        .iter()
                        .find(|s| s.status() == Some("ACTIVE"))
                        .cloned()
                }) else {
                    return Ok(Deleted::Gone);
                };
                if !tagged_ecs(svc.tags()) {
                    return Ok(Deleted::NotTagged);
                }
                c.ecs
                    .delete_service()
                    .cluster(cluster)
                    .service(name)
                    .force(true)
                    .send()
                    .await
                    .map_err(self.fail("ecs:DeleteService"))?;
                Ok(Deleted::Deleted)
            }
            ResourceKind::TaskDefinition => {
                let out = c
                    .ecs
                    .describe_task_definition()
                    .task_definition(&r.name)
                    .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
                    .send()
                    .await;
                let Ok(out) = out else {
                    return Ok(Deleted::Gone);
                };
                if out
                    .task_definition()
                    .and_then(|t| t.status())
                    .map(|s| s.as_str())
                    == Some("INACTIVE")
                {
                    return Ok(Deleted::Gone);
                }
                if !tagged_ecs(out.tags()) {
                    return Ok(Deleted::NotTagged);
                }
                c.ecs
                    .deregister_task_definition()
                    .task_definition(&r.name)
                    .send()
                    .await
                    .map_err(self.fail("ecs:DeregisterTaskDefinition"))?;
                Ok(Deleted::Deleted)
            }
            ResourceKind::Cluster => {
                let out = c
                    .ecs
                    .describe_clusters()
                    .clusters(&r.name)
                    .include(aws_sdk_ecs::types::ClusterField::Tags)
                    .send()
                    .await
                    .map_err(self.fail("ecs:DescribeClusters"))?;
                let Some(cl) = out.clusters().iter().find(|c| c.status() == Some("ACTIVE")) else {
                    return Ok(Deleted::Gone);
                };
                if !tagged_ecs(cl.tags()) {
                    return Ok(Deleted::NotTagged);
                }
                match c.ecs.delete_cluster().cluster(&r.name).send().await {
                    Ok(_) => Ok(Deleted::Deleted),
                    Err(e) => Ok(Deleted::Failed(
                        aws_sdk_ecs::error::DisplayErrorContext(&e).to_string(),
                    )),
                }
            }
            ResourceKind::Role => {
                let Ok(tags) = c.iam.list_role_tags().role_name(&r.name).send().await else {
                    return Ok(Deleted::Gone);
                };
                if !tags
                    .tags()
                    .iter()
                    .any(|t| t.key() == TAG_KEY && t.value() == lab_id)
                {
                    return Ok(Deleted::NotTagged);
                }
                let attached = c
                    .iam
                    .list_attached_role_policies()
                    .role_name(&r.name)
                    .send()
                    .await
                    .map_err(self.fail("iam:ListAttachedRolePolicies"))?;
                for p in attached.attached_policies() {
                    c.iam
                        .detach_role_policy()
                        .role_name(&r.name)
                        .set_policy_arn(p.policy_arn().map(str::to_string))
                        .send()
                        .await
                        .map_err(self.fail("iam:DetachRolePolicy"))?;
                }
                let inline = c
                    .iam
                    .list_role_policies()
                    .role_name(&r.name)
                    .send()
                    .await
                    .map_err(self.fail("iam:ListRolePolicies"))?;
                for p in inline.policy_names() {
                    c.iam
                        .delete_role_policy()
                        .role_name(&r.name)
                        .policy_name(p)
                        .send()
                        .await
                        .map_err(self.fail("iam:DeleteRolePolicy"))?;
                }
                c.iam
                    .delete_role()
                    .role_name(&r.name)
                    .send()
                    .await
                    .map_err(self.fail("iam:DeleteRole"))?;
                Ok(Deleted::Deleted)
            }
            ResourceKind::Parameter => {
                let Ok(tags) = c
                    .ssm
                    .list_tags_for_resource()
                    .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
                    .resource_id(&r.name)
                    .send()
                    .await
                else {
                    return Ok(Deleted::Gone);
                };
                if !tags
                    .tag_list()
                    .iter()
                    .any(|t| t.key() == TAG_KEY && t.value() == lab_id)
                {
                    return Ok(Deleted::NotTagged);
                }
                c.ssm
                    .delete_parameter()
                    .name(&r.name)
                    .send()
                    .await
                    .map_err(self.fail("ssm:DeleteParameter"))?;
                Ok(Deleted::Deleted)
            }
            ResourceKind::LogGroup => {
                #[allow(deprecated)]
                let Ok(tags) = c
                    .logs
                    .list_tags_log_group()
                    .log_group_name(&r.name)
                    .send()
                    .await
                else {
                    return Ok(Deleted::Gone);
                };
                if tags.tags().and_then(|t| t.get(TAG_KEY)).map(String::as_str) != Some(lab_id) {
                    return Ok(Deleted::NotTagged);
                }
                c.logs
                    .delete_log_group()
                    .log_group_name(&r.name)
                    .send()
                    .await
                    .map_err(self.fail("logs:DeleteLogGroup"))?;
                Ok(Deleted::Deleted)
            }
            ResourceKind::Repository => {
                let Ok(out) = c
                    .ecr
                    .describe_repositories()
                    .repository_names(&r.name)
                    .send()
                    .await
                else {
                    return Ok(Deleted::Gone);
                };
                let arn = out
                    .repositories()
                    .first()
                    .and_then(|r| r.repository_arn())
                    .unwrap_or_default()
                    .to_string();
                let tags = c
                    .ecr
                    .list_tags_for_resource()
                    .resource_arn(&arn)
                    .send()
                    .await
                    .map_err(self.fail("ecr:ListTagsForResource"))?;
                if !tags
                    .tags()
                    .iter()
                    .any(|t| t.key() == TAG_KEY && t.value() == lab_id)
                {
                    return Ok(Deleted::NotTagged);
                }
                c.ecr
                    .delete_repository()
                    .repository_name(&r.name)
                    .force(true)
                    .send()
                    .await
                    .map_err(self.fail("ecr:DeleteRepository"))?;
                Ok(Deleted::Deleted)
            }
            ResourceKind::LoadBalancer => {
                let mut result = Deleted::Gone;
                let out = c
                    .elbv2
                    .describe_load_balancers()
                    .names(&r.name)
                    .send()
                    .await;
                let arn = out.ok().and_then(|o| {
                    o.load_balancers()
                        .first()
                        .and_then(|l| l.load_balancer_arn())
                        .map(str::to_string)
                });
                if let Some(arn) = arn {
                    if !self.elb_tagged(&arn, lab_id).await? {
                        return Ok(Deleted::NotTagged);
                    }
                    let listeners = c
                        .elbv2
                        .describe_listeners()
                        .load_balancer_arn(&arn)
                        .send()
                        .await
                        .map_err(self.fail("elasticloadbalancing:DescribeListeners"))?;
                    for l in listeners.listeners() {
                        c.elbv2
                            .delete_listener()
                            .set_listener_arn(l.listener_arn().map(str::to_string))
                            .send()
                            .await
                            .map_err(self.fail("elasticloadbalancing:DeleteListener"))?;
                    }
                    c.elbv2
                        .delete_load_balancer()
                        .load_balancer_arn(&arn)
                        .send()
                        .await
                        .map_err(self.fail("elasticloadbalancing:DeleteLoadBalancer"))?;
                    result = Deleted::Deleted;
                }
                // The target group made with it (tagged so), even when the load balancer
                // itself went already.
                let mut tgs = Vec::new();
                let mut marker = None;
                loop {
                    let out = c
                        .elbv2
                        .describe_target_groups()
                        .set_marker(marker)
                        .send()
                        .await
                        .map_err(self.fail("elasticloadbalancing:DescribeTargetGroups"))?;
                    tgs.extend(
                        out.target_groups()
                            .iter()
                            .filter_map(|t| t.target_group_arn().map(str::to_string)),
                    );
                    marker = out.next_marker().map(str::to_string);
                    if marker.is_none() {
                        break;
                    }
                }
                let tags = self.elb_tags(&tgs).await?;
                for tg in &tgs {
                    let made_with = tags.get(tg).is_some_and(|t| {
                        t.iter().any(|(k, v)| k == TAG_KEY && v == lab_id)
                            && t.iter().any(|(k, v)| k == LB_TAG_KEY && v == &r.name)
                    });
                    if made_with {
                        match self.delete_target_group(lab_id, tg).await? {
                            Deleted::Failed(e) => return Ok(Deleted::Failed(e)),
                            _ => result = Deleted::Deleted,
                        }
                    }
                }
                Ok(result)
            }
            ResourceKind::TargetGroup => {
                let out = c.elbv2.describe_target_groups().names(&r.name).send().await;
                let arn = out.ok().and_then(|o| {
                    o.target_groups()
                        .first()
                        .and_then(|t| t.target_group_arn())
                        .map(str::to_string)
                });
                match arn {
                    Some(arn) => self.delete_target_group(lab_id, &arn).await,
                    None => Ok(Deleted::Gone),
                }
            }
        }
    }
}

/// Whether a probe's answer says the resource is there; only "not found" says it is not.
fn probe<T, E>(
    action: &str,
    answer: Result<T, aws_sdk_ecs::error::SdkError<E, aws_sdk_ecs::config::http::HttpResponse>>,
    there: impl Fn(&T) -> bool,
) -> bool
where
    E: aws_sdk_ecs::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match answer {
        Ok(out) => there(&out),
        Err(e) => !matches!(Failure::from_sdk(action, e), Failure::NotFound(_)),
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Deleted {
    Deleted,
    /// Already gone: nothing to do.
    Gone,
    /// It does not carry `ecsdrill:lab = <lab>` (any more): left alone.
    NotTagged,
    Failed(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::SetupAction as A;

    const DRILL: &str = r#"
- push_image: {repository: shop, tag: latest, build: b2}
- create_role: {name: shop-exec, trusted_service: ecs.amazonaws.com}
- put_role_policy: {role: shop-exec, name: p, document: {Version: "2012-10-17", Statement: []}}
- delete_role_policy: {role: shop-exec, name: p}
- attach_role_policy: {role: shop-exec, policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess"}
- detach_role_policy: {role: shop-exec, policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess"}
- delete_parameter: {name: /drill/x}
- register_task_definition:
    family: shop
    cpu: "256"
    memory: "512"
    container:
      name: app
      image: "${ecr}/shop:latest"
      port: 80
      memory: "${draw.mib}"
      environment: {APP_MODE: production, WORKERS: 4}
      secrets: {DB_URL: /drill/db-url}
      health_check: {command: [CMD-SHELL, "curl -f localhost/health"], retries: 2}
- create_load_balancer: {name: shop, target_group: shop-blue, port: 80, health_path: /health}
- create_target_group: {name: shop-green, port: 8080, health_path: /}
- modify_listener: {load_balancer: shop, target_group: shop-green}
- modify_target_group: {name: shop-blue, health_path: /ready, health_port: traffic-port, matcher: "200-299"}
- create_service:
    cluster: drill
    name: shop
    task_definition: shop
    desired_count: 2
    load_balancer: {target_group: shop-blue, container: app, port: 80}
    health_check_grace: 60
    min_healthy: 50
    max_percent: "${draw.mib}"
- update_service: {cluster: drill, name: shop, force_new_deployment: true, rollback: true}
"#;

    #[test]
    fn drill_actions_parse_and_expand() {
        let actions: Vec<A> = serde_saphyr::from_str(DRILL).expect("the drill parses");
        assert_eq!(actions.len(), 14);
        let mut vars = Vars::sample();
        vars.drawn.insert("mib".into(), json!(384));
        let expanded: Vec<A> = actions.iter().map(|a| a.expanded(&vars)).collect();
        match &expanded[1] {
            A::CreateRole {
                trusted_service, ..
            } => assert_eq!(trusted_service, "ecs.amazonaws.com"),
            a => panic!("{a:?}"),
        }
        match &expanded[7] {
            A::RegisterTaskDefinition { container, .. } => {
                assert_eq!(container.memory, Some(Count::Fixed(384)));
                assert_eq!(container.environment["WORKERS"], json!(4));
                assert_eq!(
                    container.image,
                    "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:latest"
                );
            }
            a => panic!("{a:?}"),
        }
        match &expanded[12] {
            A::CreateService {
                load_balancer: Some(lb),
                max_percent,
                ..
            } => {
                assert_eq!(lb.target_group, "shop-blue");
                assert_eq!(max_percent, &Some(Count::Fixed(384)));
            }
            a => panic!("{a:?}"),
        }
        match &expanded[13] {
            A::UpdateService {
                task_definition,
                force_new_deployment,
                circuit_breaker,
                rollback,
                ..
            } => {
                assert_eq!(task_definition, &None);
                assert!(force_new_deployment);
                assert_eq!((circuit_breaker, rollback), (&None, &Some(true)));
            }
            a => panic!("{a:?}"),
        }
        // The default principal, and an unknown field is refused as before.
        let role: Vec<A> = serde_saphyr::from_str("- create_role: {name: r}").unwrap();
        assert!(
            matches!(&role[0], A::CreateRole { trusted_service, .. } if trusted_service == "ecs-tasks.amazonaws.com")
        );
        assert!(
            serde_saphyr::from_str::<Vec<A>>("- delete_parameter: {name: x, force: true}").is_err()
        );
    }

    #[test]
    fn a_secret_names_a_parameter_by_arn() {
        let vars = Vars::sample();
        assert_eq!(
            secret_ref("/drill/db-url", &vars),
            "arn:aws:ssm:us-east-1:123456789012:parameter/drill/db-url"
        );
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf";
        assert_eq!(secret_ref(arn, &vars), arn);
        assert_eq!(secret_ref("plain", &vars), "plain");
        assert!(trust_policy("ecs.amazonaws.com").contains(r#""Service":"ecs.amazonaws.com""#));
    }
}
