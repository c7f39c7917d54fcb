//! Lab setup and cleanup: the only writes ecsdrill makes. Callers run them only in the local
//! sandbox or in the allow-listed account (see `commands::lab`). Everything created carries
//! the tag `ecsdrill:lab = <lab id>` and is recorded, and cleanup deletes a recorded
//! resource only while it still carries that tag.

use anyhow::Result;
use serde_json::{Value, json};

use super::{Aws, Failure, Target};
use crate::error::UserError;
use crate::lab::resource::ResourceKind;
use crate::lab::{SetupAction, TAG_KEY, Vars};
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

const ECS_TASKS_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

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
                    SetupAction::CreateCluster { name } => (
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
                    SetupAction::UpdateService { .. } | SetupAction::AdvanceClock { .. } => {
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
                        sb.control(
                            "/_ecsdrill/images",
                            &json!({"repository": repository, "tag": tag, "behavior": behavior,
                                    "exit_code": exit_code.as_ref().and_then(|n| n.resolve(vars))}),
                        )?;
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
            SetupAction::CreateCluster { name } => {
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
                    return Ok(None);
                }
                c.ecs
                    .create_cluster()
                    .cluster_name(name)
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
                    .assume_role_policy_document(ECS_TASKS_TRUST)
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
                    Compatibility, ContainerDefinition, LogConfiguration, LogDriver, NetworkMode,
                    PortMapping,
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
                    def = def.port_mappings(PortMapping::builder().container_port(port).build());
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
            } => {
                use aws_sdk_ecs::types::{
                    AssignPublicIp, AwsVpcConfiguration, DeploymentCircuitBreaker,
                    DeploymentConfiguration, LaunchType, NetworkConfiguration, PropagateTags,
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
                            .maximum_percent(200)
                            .minimum_healthy_percent(100)
                            .build(),
                    )
                    .propagate_tags(PropagateTags::Service)
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
            } => {
                c.ecs
                    .update_service()
                    .cluster(cluster)
                    .service(name)
                    .task_definition(task_definition)
                    .send()
                    .await
                    .map_err(self.fail("ecs:UpdateService"))?;
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

    fn subnets(&self, sandbox: Option<&Sandbox>) -> Result<Vec<String>> {
        match (&self.target, sandbox) {
            (Target::Local, Some(sb)) => {
                let endpoint = sb.endpoint()?;
                let (_, text) = crate::sandbox::request(&endpoint, "GET", "/_ecsdrill/network", None)?;
                let v: Value = serde_json::from_str(&text)?;
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
