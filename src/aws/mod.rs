//! The AWS edge: ecsdrill's clients for the local sandbox or the learner's own account.
//! This is the only module that builds an async runtime, a small current-thread one, and
//! only `lab` and `sandbox` commands create it; quiz commands never do. Calls are tried once
//! with a timeout, so an API the sandbox lacks, or a dead endpoint, fails fast, and every
//! failure becomes one line that says what to do. Which reads a lab makes, and in what
//! order, is `lab::plan`'s business; this module only makes the calls ([`Reader`]).

mod reads;
pub mod replay;
pub mod setup;

use std::time::Duration;

use anyhow::Result;
use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_ecs::config::http::HttpResponse;
use aws_sdk_ecs::config::{Credentials, Region};
use aws_sdk_ecs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::error::Failure;
use crate::error::UserError;
use crate::lab::plan::{ReadCall, Reader};

pub use reads::policy_document;

/// Where labs run: the local sandbox (default) or the learner's AWS account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Target {
    Local,
    Aws {
        profile: String,
        region: String,
        /// The only account setup and cleanup may write in.
        account: String,
        /// Subnets for services a lab's setup creates (the learner's own VPC).
        #[serde(default)]
        subnets: Vec<String>,
    },
}

impl Target {
    pub fn describe(&self) -> String {
        match self {
            Target::Local => "the local sandbox".into(),
            Target::Aws {
                profile,
                region,
                account,
                ..
            } => format!("AWS account {account} (profile {profile}, region {region})"),
        }
    }

    /// The key progress rows are stored under.
    pub fn key(&self) -> String {
        match self {
            Target::Local => "local".into(),
            Target::Aws {
                account, region, ..
            } => format!("aws:{account}:{region}"),
        }
    }
}

/// The service clients the labs use, all built from one configuration.
#[derive(Clone)]
pub struct Clients {
    pub ecs: aws_sdk_ecs::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub iam: aws_sdk_iam::Client,
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub sts: aws_sdk_sts::Client,
}

impl Failure {
    pub fn from_sdk<E>(action: &str, err: SdkError<E, HttpResponse>) -> Failure
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let text = short_cause(&DisplayErrorContext(&err).to_string());
        match &err {
            SdkError::ServiceError(se) => {
                let e = se.err();
                let status = se.raw().status().as_u16();
                let code = match e.code() {
                    Some(c) => c,
                    // An error body the SDK cannot read (moto answers IAM denials in XML).
                    None if status == 403 => "AccessDenied",
                    None => {
                        let body = se.raw().body().bytes().unwrap_or_default();
                        let start: String = String::from_utf8_lossy(body)
                            .chars()
                            .take(40)
                            .map(|c| if c.is_control() { ' ' } else { c })
                            .collect();
                        return Failure::Garbled(format!("HTTP {status}, body starting `{start}`"));
                    }
                };
                let message = e.message().unwrap_or("").to_string();
                classify(action, code, &message, &text)
            }
            SdkError::TimeoutError(_) => Failure::Unreachable(format!("{action} timed out")),
            _ => {
                let lower = text.to_lowercase();
                if lower.contains("sso") && (lower.contains("expired") || lower.contains("refresh"))
                {
                    Failure::Expired(text)
                } else if lower.contains("credentials") || lower.contains("no providers in chain") {
                    Failure::NoCredentials(text)
                } else if lower.contains("403") {
                    Failure::AccessDenied {
                        action: action.into(),
                        message: text,
                    }
                } else if let SdkError::ResponseError(_) = &err {
                    Failure::Garbled(text)
                } else if lower.contains("invalid http") || lower.contains("parse error") {
                    Failure::Garbled(text)
                } else {
                    Failure::Unreachable(text)
                }
            }
        }
    }
}

/// The SDK's error text without the debug dump it appends: `dispatch failure: ... (Dispatch
/// Failure(DispatchFailure { ... }))` becomes `dispatch failure: ...`.
fn short_cause(text: &str) -> String {
    let bytes = text.as_bytes();
    let cut = (0..bytes.len().saturating_sub(2)).find(|&i| {
        bytes[i] == b' '
            && bytes[i + 1] == b'('
            && text[i + 2..]
                .split(|c: char| !c.is_alphanumeric())
                .next()
                .is_some_and(|word| {
                    word.starts_with(|c: char| c.is_ascii_uppercase())
                        && text[i + 2 + word.len()..].starts_with('(')
                })
    });
    text[..cut.unwrap_or(text.len())].trim().to_string()
}

/// Regions as of November 2026, to tell a mistyped region from an unreachable one.
const KNOWN_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "mx-central-1",
    "sa-east-1",
    "us-gov-east-1",
    "us-gov-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eusc-de-east-1",
];

pub fn is_known_region(region: &str) -> bool {
    KNOWN_REGIONS.contains(&region)
}

/// Service error codes to what they mean for the learner.
pub fn classify(action: &str, code: &str, message: &str, full: &str) -> Failure {
    let msg = || {
        if message.is_empty() {
            format!("{code}: {full}")
        } else {
            format!("{code}: {message}")
        }
    };
    match code {
        "AccessDenied"
        | "AccessDeniedException"
        | "UnauthorizedOperation"
        | "AuthorizationError"
        | "UnauthorizedAccess" => Failure::AccessDenied {
            action: action.into(),
            message: msg(),
        },
        "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" | "TokenRefreshRequired" => {
            Failure::Expired(msg())
        }
        "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "InvalidSignatureException"
        | "IncompleteSignature"
        | "MissingAuthenticationToken" => Failure::BadCredentials(msg()),
        "Throttling"
        | "ThrottlingException"
        | "TooManyRequestsException"
        | "RequestLimitExceeded"
        | "SlowDown" => Failure::Throttled(msg()),
        "InternalFailure" | "NotImplemented" | "InternalError" | "ServiceUnavailable" => {
            Failure::Unsupported {
                action: action.into(),
                message: msg(),
            }
        }
        _ if crate::lab::ops::is_not_found(code, message) => Failure::NotFound(msg()),
        _ => Failure::Other(format!("{action}: {}", msg())),
    }
}

pub struct Aws {
    rt: tokio::runtime::Runtime,
    pub clients: Clients,
    pub target: Target,
    /// The local sandbox's endpoint, for its control API.
    pub endpoint: Option<String>,
}

fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .operation_timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(3))
        .build()
}

impl Aws {
    /// A client for the local sandbox: its endpoint, its region, dummy credentials.
    pub fn for_sandbox(endpoint: &str) -> Result<Aws> {
        let rt = runtime()?;
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
                .timeout_config(timeouts())
                .load(),
        );
        Ok(Aws {
            rt,
            clients: Clients::new(&conf),
            target: Target::Local,
            endpoint: Some(endpoint.to_string()),
        })
    }

    /// A client for the learner's account: their profile (credentials, SSO) and region.
    /// `AWS_ENDPOINT_URL` is honoured, as by the aws CLI (tests point it at the sandbox).
    pub fn for_account(target: &Target) -> Result<Aws> {
        let Target::Aws {
            profile, region, ..
        } = target
        else {
            anyhow::bail!("for_account needs an AWS target");
        };
        let rt = runtime()?;
        let conf = rt.block_on(
            aws_config::defaults(BehaviorVersion::latest())
                .profile_name(profile)
                .region(Region::new(region.clone()))
                .retry_config(RetryConfig::standard().with_max_attempts(2))
                .timeout_config(timeouts())
                .load(),
        );
        Ok(Aws {
            rt,
            clients: Clients::new(&conf),
            target: target.clone(),
            endpoint: None,
        })
    }

    fn region(&self) -> &str {
        match &self.target {
            Target::Aws { region, .. } => region,
            Target::Local => crate::sandbox::REGION,
        }
    }

    fn region_is_known(&self) -> bool {
        is_known_region(self.region())
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// Turns a failure into the one-line error the learner sees, with the fix.
    pub fn explain(&self, f: Failure) -> UserError {
        let profile = match &self.target {
            Target::Aws { profile, .. } => profile.clone(),
            Target::Local => String::new(),
        };
        let local = self.target == Target::Local;
        if local && matches!(f, Failure::Unreachable(_) | Failure::Garbled(_)) {
            // The server died under us (killed, crashed): say so, not "did not answer".
            if let Ok(sandbox) = crate::sandbox::Sandbox::locate()
                && sandbox.died()
            {
                return UserError::env("the local sandbox stopped while ecsdrill was talking to it; nothing was recorded")
                    .with_hint(format!(
                        "`ecsdrill sandbox up` restarts it, then run the command again; its log is {}",
                        sandbox.log_file().display()
                    ));
            }
        }
        match f {
            Failure::Unreachable(e) if local => UserError::env(format!(
                "the sandbox at {} did not answer: {e}",
                self.endpoint.as_deref().unwrap_or("?")
            ))
            .with_hint("start it with `ecsdrill sandbox up` (check it with `ecsdrill sandbox status`)"),
            Failure::Unreachable(_) if !self.region_is_known() => {
                let region = self.region();
                UserError::env(format!("`{region}` is not an AWS region, and no endpoint answers for it"))
                    .with_hint("name a region such as us-east-1 or eu-west-1: `ecsdrill sandbox use aws --profile P --region R --account ID`")
            }
            Failure::Unreachable(e) => UserError::env(format!("AWS did not answer: {e}")).with_hint(
                "check your network and the region (`ecsdrill sandbox use aws --region ...`)",
            ),
            Failure::Garbled(e) if local => UserError::env(format!(
                "the sandbox at {} answered something that is not an AWS response ({e})",
                self.endpoint.as_deref().unwrap_or("?")
            ))
            .with_hint("restart it: `ecsdrill sandbox down`, then `ecsdrill sandbox up`"),
            Failure::Garbled(e) => UserError::env(format!(
                "the AWS endpoint answered something that is not an AWS response ({e})"
            ))
            .with_hint("check AWS_ENDPOINT_URL and any proxy (HTTPS_PROXY) between you and AWS"),
            Failure::NoCredentials(_) => {
                UserError::env(format!("no AWS credentials for profile `{profile}`")).with_hint(
                    format!("run `aws configure --profile {profile}` or `aws sso login --profile {profile}`"),
                )
            }
            Failure::Expired(_) => UserError::env(format!(
                "the AWS session of profile `{profile}` has expired"
            ))
            .with_hint(format!("run `aws sso login --profile {profile}`, then try again")),
            Failure::BadCredentials(e) => {
                UserError::env(format!("AWS does not accept these credentials ({e})")).with_hint(
                    format!("check the keys of profile `{profile}` (`aws configure --profile {profile}`)"),
                )
            }
            Failure::AccessDenied { action, message } => UserError::env(format!(
                "access denied: you may not call {action} ({message})"
            ))
            .with_hint(if local {
                "the sandbox enforces IAM right now; use credentials that allow this action".into()
            } else {
                format!(
                    "allow `{action}`: attach sandbox/aws/ecsdrill-checker-policy.json (checks) or ecsdrill-learner-policy.json (labs) to your user or role"
                )
            }),
            Failure::Throttled(e) => UserError::env(format!("AWS is throttling these calls ({e})"))
                .with_hint("wait a minute and run it again"),
            Failure::Unsupported { action, message } if local => UserError::env(format!(
                "the sandbox cannot answer {action} ({message})"
            ))
            .with_hint("this call is not simulated locally; try the lab against AWS, or report it"),
            Failure::Unsupported { action, message } => {
                UserError::env(format!("AWS failed on {action} ({message})"))
                    .with_hint("try again in a minute")
            }
            // The sandbox has one region: a refusal there is never about the region.
            Failure::NotFound(e) | Failure::Other(e) if local => UserError::env(e).with_hint(
                "the sandbox refused this call; `ecsdrill lab reset ID` sets a lab up again, and `ecsdrill sandbox reset` empties the sandbox",
            ),
            Failure::NotFound(e) => UserError::env(e).with_hint(
                "if this looks like a wrong region, point ecsdrill at the right one: `ecsdrill sandbox use aws --region ...`",
            ),
            Failure::Other(e) => UserError::env(e).with_hint(
                "AWS refused this call; read its message above. `ecsdrill lab reset ID` sets a lab up again",
            ),
        }
    }

    /// The account the credentials belong to (STS GetCallerIdentity).
    pub fn caller_account(&self) -> Result<String, Failure> {
        self.block_on(async {
            let out = self
                .clients
                .sts
                .get_caller_identity()
                .send()
                .await
                .map_err(|e| Failure::from_sdk("sts:GetCallerIdentity", e))?;
            Ok(out.account().unwrap_or_default().to_string())
        })
    }

    /// Every cluster with its service and task counts.
    pub fn clusters(&self) -> Result<Vec<ClusterSummary>> {
        self.block_on(async {
            let fail = |e| self.explain(Failure::from_sdk("ecs:ListClusters", e));
            let arns = self
                .clients
                .ecs
                .list_clusters()
                .send()
                .await
                .map_err(fail)?
                .cluster_arns
                .unwrap_or_default();
            if arns.is_empty() {
                return Ok(Vec::new());
            }
            let out = self
                .clients
                .ecs
                .describe_clusters()
                .set_clusters(Some(arns))
                .send()
                .await
                .map_err(|e| self.explain(Failure::from_sdk("ecs:DescribeClusters", e)))?;
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

/// Each wave's reads run concurrently.
impl Reader for Aws {
    fn read_wave(&self, calls: &[ReadCall]) -> Vec<Result<Value, Failure>> {
        let reads = calls
            .iter()
            .map(|call| reads::read(&self.clients, call.action, &call.params));
        self.block_on(futures_util::future::join_all(reads))
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

impl Clients {
    fn new(conf: &aws_config::SdkConfig) -> Clients {
        Clients {
            ecs: aws_sdk_ecs::Client::new(conf),
            ecr: aws_sdk_ecr::Client::new(conf),
            iam: aws_sdk_iam::Client::new(conf),
            elbv2: aws_sdk_elasticloadbalancingv2::Client::new(conf),
            autoscaling: aws_sdk_applicationautoscaling::Client::new(conf),
            ssm: aws_sdk_ssm::Client::new(conf),
            secrets: aws_sdk_secretsmanager::Client::new(conf),
            logs: aws_sdk_cloudwatchlogs::Client::new(conf),
            sts: aws_sdk_sts::Client::new(conf),
        }
    }
}

/// One cluster as `sandbox status` shows it.
#[derive(Debug, Serialize)]
pub struct ClusterSummary {
    pub name: String,
    pub services: i32,
    pub running_tasks: i32,
    pub pending_tasks: i32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdk_error_text_loses_its_debug_dump_only() {
        let text = "dispatch failure: other: client error (SendRequest): connection closed before message completed (DispatchFailure(DispatchFailure { source: ConnectorError { kind: Other }}))";
        assert_eq!(
            short_cause(text),
            "dispatch failure: other: client error (SendRequest): connection closed before message completed"
        );
        assert_eq!(short_cause("timed out (io)"), "timed out (io)");
        assert!(is_known_region("eu-west-1") && !is_known_region("mars-north-1"));
    }

    #[test]
    fn error_codes_map_to_what_to_do() {
        let cases = [
            ("AccessDeniedException", "AccessDenied"),
            ("ExpiredTokenException", "Expired"),
            ("UnrecognizedClientException", "BadCredentials"),
            ("ThrottlingException", "Throttled"),
            ("Throttling", "Throttled"),
            ("ClusterNotFoundException", "NotFound"),
            ("NoSuchEntity", "NotFound"),
            ("ParameterNotFound", "NotFound"),
            ("InternalFailure", "Unsupported"),
            ("InvalidParameterException", "Other"),
        ];
        for (code, want) in cases {
            let got = format!("{:?}", classify("ecs:DescribeServices", code, "m", "m"));
            assert!(got.starts_with(want), "{code}: {got}");
        }
        let f = classify(
            "ecs:DescribeTaskDefinition",
            "ClientException",
            "Unable to describe task definition.",
            "",
        );
        assert!(matches!(f, Failure::NotFound(_)));
    }

    fn actions(policy: &Value) -> Vec<String> {
        let mut out = Vec::new();
        for st in policy["Statement"].as_array().unwrap() {
            assert_eq!(st["Effect"], "Allow");
            match &st["Action"] {
                Value::String(a) => out.push(a.clone()),
                Value::Array(a) => out.extend(a.iter().map(|x| x.as_str().unwrap().to_string())),
                other => panic!("Action {other}"),
            }
        }
        out
    }

    fn matches(pattern: &str, action: &str) -> bool {
        match pattern.strip_suffix('*') {
            Some(prefix) => action.starts_with(prefix),
            None => pattern == action,
        }
    }

    #[test]
    fn the_checker_policy_is_read_only_and_enough_for_every_read() {
        let policy: Value = serde_json::from_str(include_str!(
            "../../sandbox/aws/ecsdrill-checker-policy.json"
        ))
        .unwrap();
        let allowed = actions(&policy);
        for a in &allowed {
            assert!(crate::lab::ops::is_read_only_action(a), "{a} is not a read");
        }
        for op in crate::lab::ops::ReadAction::ALL
            .iter()
            .filter(|op| !op.is_local())
        {
            let action = op.iam_action();
            assert!(
                allowed.iter().any(|a| a == action),
                "{action} is not allowed"
            );
        }
    }

    #[test]
    fn the_learner_policy_allows_every_call_setup_and_cleanup_make() {
        let policy: Value = serde_json::from_str(include_str!(
            "../../sandbox/aws/ecsdrill-learner-policy.json"
        ))
        .unwrap();
        let allowed = actions(&policy);
        let src = include_str!("setup.rs");
        let mut n = 0;
        for part in src.split("self.fail(\"").skip(1) {
            let action = part.split('"').next().unwrap();
            n += 1;
            assert!(
                allowed.iter().any(|p| matches(p, action)),
                "{action} is not in the learner policy"
            );
        }
        assert!(n > 15, "found only {n} calls");
    }

    #[test]
    fn targets_round_trip() {
        let t = Target::Aws {
            profile: "p".into(),
            region: "eu-west-1".into(),
            account: "111111111111".into(),
            subnets: vec![],
        };
        let s = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<Target>(&s).unwrap(), t);
        assert_eq!(
            serde_json::from_str::<Target>(r#"{"kind":"local"}"#).unwrap(),
            Target::Local
        );
    }
}
