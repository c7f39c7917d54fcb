//! The AWS edge: ecsdrill's own client for the sandbox (and, with labs, a real account).
//! This is the only module that builds an async runtime, a small current-thread one,
//! and only commands that talk to AWS create it; quiz commands never do. Calls are tried
//! once with a timeout, so an API the sandbox lacks, or a dead endpoint, fails fast.

use std::time::Duration;

use anyhow::Result;
use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_ecs::config::{Credentials, Region};
use serde::Serialize;

use crate::error::UserError;

pub struct Aws {
    rt: tokio::runtime::Runtime,
    ecs: aws_sdk_ecs::Client,
}

/// One cluster as `sandbox status` shows it.
#[derive(Debug, Serialize)]
pub struct ClusterSummary {
    pub name: String,
    pub services: i32,
    pub running_tasks: i32,
    pub pending_tasks: i32,
}

fn unreachable(endpoint: &str, e: impl std::fmt::Display) -> UserError {
    UserError::env(format!("the sandbox at {endpoint} did not answer: {e}"))
        .with_hint("check it with `ecsdrill sandbox status`; `ecsdrill sandbox up` (re)starts it")
}

impl Aws {
    /// A client for the local sandbox: its endpoint, its region, dummy credentials.
    pub fn for_sandbox(endpoint: &str) -> Result<Aws> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let conf = rt.block_on(
            aws_config::defaults(BehaviorVersion::latest())
                .endpoint_url(endpoint)
                .region(Region::new(crate::sandbox::REGION))
                .credentials_provider(Credentials::new(
                    "test",
                    "test",
                    None,
                    None,
                    "ecsdrill-sandbox",
                ))
                .retry_config(RetryConfig::standard().with_max_attempts(1))
                .timeout_config(
                    TimeoutConfig::builder()
                        .operation_timeout(Duration::from_secs(10))
                        .build(),
                )
                .load(),
        );
        Ok(Aws {
            rt,
            ecs: aws_sdk_ecs::Client::new(&conf),
        })
    }

    /// Every cluster with its service and task counts.
    pub fn clusters(&self, endpoint: &str) -> Result<Vec<ClusterSummary>> {
        self.rt.block_on(async {
            let arns = self
                .ecs
                .list_clusters()
                .send()
                .await
                .map_err(|e| unreachable(endpoint, e))?
                .cluster_arns
                .unwrap_or_default();
            if arns.is_empty() {
                return Ok(Vec::new());
            }
            let out = self
                .ecs
                .describe_clusters()
                .set_clusters(Some(arns))
                .send()
                .await
                .map_err(|e| unreachable(endpoint, e))?;
            Ok(out
                .clusters
                .unwrap_or_default()
                .into_iter()
                .map(|c| ClusterSummary {
                    name: c.cluster_name.unwrap_or_default(),
                    services: c.active_services_count,
                    running_tasks: c.running_tasks_count,
                    pending_tasks: c.pending_tasks_count,
                })
                .collect())
        })
    }
}
