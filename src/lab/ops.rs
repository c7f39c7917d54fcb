//! The read-only API operations a lab check may call, as data: the IAM action name, the
//! parameters it takes and the errors that mean "that resource does not exist". Lab files
//! are parsed into [`ReadAction`], so a lab can only name a read that ecsdrill knows how to
//! make, and no lab can ask for a write; the AWS edge matches every variant, so each one is
//! made.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    Str,
    StrList,
    Int,
    /// A list of objects, passed through (e.g. ECR `imageIds`).
    ObjectList,
    /// An object, passed through (e.g. a policy document).
    Object,
}

use Param::*;

/// Declares [`ReadAction`] from one line per operation, so that the list of all of them,
/// their names and their parameters cannot drift apart.
macro_rules! read_actions {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $action:literal,
        params: [$(($param:literal, $kind:expr)),* $(,)?],
        required: [$($required:literal),* $(,)?];
    )*) => {
        /// A read-only API operation a lab's read may name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum ReadAction {
            $($(#[$doc])* $variant,)*
        }

        impl ReadAction {
            pub const ALL: &[ReadAction] = &[$(ReadAction::$variant),*];

            /// The IAM action, `service:Operation`, which is also how lab files name the read.
            pub fn iam_action(self) -> &'static str {
                match self {
                    $(ReadAction::$variant => $action,)*
                }
            }

            /// The parameters it takes (the API's own names) and their types.
            pub fn params(self) -> &'static [(&'static str, Param)] {
                match self {
                    $(ReadAction::$variant => &[$(($param, $kind)),*],)*
                }
            }

            pub fn required(self) -> &'static [&'static str] {
                match self {
                    $(ReadAction::$variant => &[$($required),*],)*
                }
            }
        }
    };
}

read_actions! {
    EcsListClusters = "ecs:ListClusters", params: [], required: [];
    EcsDescribeClusters = "ecs:DescribeClusters",
        params: [("clusters", StrList)], required: ["clusters"];
    EcsListServices = "ecs:ListServices", params: [("cluster", Str)], required: ["cluster"];
    EcsDescribeServices = "ecs:DescribeServices",
        params: [("cluster", Str), ("services", StrList)], required: ["cluster", "services"];
    EcsDescribeTaskDefinition = "ecs:DescribeTaskDefinition",
        params: [("taskDefinition", Str)], required: ["taskDefinition"];
    EcsListTaskDefinitions = "ecs:ListTaskDefinitions",
        params: [("familyPrefix", Str), ("status", Str), ("sort", Str)], required: [];
    EcsListTasks = "ecs:ListTasks",
        params: [
            ("cluster", Str),
            ("serviceName", Str),
            ("family", Str),
            ("desiredStatus", Str),
            ("startedBy", Str),
        ],
        required: ["cluster"];
    EcsDescribeTasks = "ecs:DescribeTasks",
        params: [("cluster", Str), ("tasks", StrList)], required: ["cluster", "tasks"];
    /// A service's deployments, newest first (the 2024 API): their ARNs and status.
    EcsListServiceDeployments = "ecs:ListServiceDeployments",
        params: [("cluster", Str), ("service", Str), ("status", StrList)],
        required: ["service"];
    /// Deployments in full: lifecycle stage, hooks, traffic weights, rollback.
    EcsDescribeServiceDeployments = "ecs:DescribeServiceDeployments",
        params: [("serviceDeploymentArns", StrList)], required: ["serviceDeploymentArns"];
    EcrDescribeRepositories = "ecr:DescribeRepositories",
        params: [("repositoryNames", StrList)], required: [];
    EcrDescribeImages = "ecr:DescribeImages",
        params: [("repositoryName", Str), ("imageIds", ObjectList)], required: ["repositoryName"];
    IamGetRole = "iam:GetRole", params: [("RoleName", Str)], required: ["RoleName"];
    IamListAttachedRolePolicies = "iam:ListAttachedRolePolicies",
        params: [("RoleName", Str)], required: ["RoleName"];
    IamListRolePolicies = "iam:ListRolePolicies",
        params: [("RoleName", Str)], required: ["RoleName"];
    IamGetRolePolicy = "iam:GetRolePolicy",
        params: [("RoleName", Str), ("PolicyName", Str)], required: ["RoleName", "PolicyName"];
    /// IAM's policy simulator: read-only in AWS (it evaluates, it changes nothing). A check
    /// asks what a role may do (actions on resources), not how its policies are written.
    IamSimulatePrincipalPolicy = "iam:SimulatePrincipalPolicy",
        params: [
            ("PolicySourceArn", Str),
            ("ActionNames", StrList),
            ("ResourceArns", StrList),
        ],
        required: ["PolicySourceArn", "ActionNames"];
    /// Without decryption: a check sees the parameter's type and version, never a secret.
    SsmGetParameter = "ssm:GetParameter", params: [("Name", Str)], required: ["Name"];
    SecretsManagerDescribeSecret = "secretsmanager:DescribeSecret",
        params: [("SecretId", Str)], required: ["SecretId"];
    LogsDescribeLogGroups = "logs:DescribeLogGroups",
        params: [("logGroupNamePrefix", Str)], required: [];
    ElbDescribeLoadBalancers = "elasticloadbalancing:DescribeLoadBalancers",
        params: [("Names", StrList)], required: [];
    ElbDescribeTargetGroups = "elasticloadbalancing:DescribeTargetGroups",
        params: [("Names", StrList), ("LoadBalancerArn", Str)], required: [];
    ElbDescribeTargetHealth = "elasticloadbalancing:DescribeTargetHealth",
        params: [("TargetGroupArn", Str)], required: ["TargetGroupArn"];
    ElbDescribeListeners = "elasticloadbalancing:DescribeListeners",
        params: [("LoadBalancerArn", Str)], required: ["LoadBalancerArn"];
    /// A listener's rules (or the rules named), with their forward weights.
    ElbDescribeRules = "elasticloadbalancing:DescribeRules",
        params: [("ListenerArn", Str), ("RuleArns", StrList)], required: [];
    AutoScalingDescribeScalableTargets = "application-autoscaling:DescribeScalableTargets",
        params: [
            ("ServiceNamespace", Str),
            ("ResourceIds", StrList),
            ("ScalableDimension", Str),
        ],
        required: ["ServiceNamespace"];
    AutoScalingDescribeScalingPolicies = "application-autoscaling:DescribeScalingPolicies",
        params: [
            ("ServiceNamespace", Str),
            ("ResourceId", Str),
            ("ScalableDimension", Str),
        ],
        required: ["ServiceNamespace"];
    AutoScalingDescribeScalingActivities = "application-autoscaling:DescribeScalingActivities",
        params: [
            ("ServiceNamespace", Str),
            ("ResourceId", Str),
            ("ScalableDimension", Str),
        ],
        required: ["ServiceNamespace"];
    StsGetCallerIdentity = "sts:GetCallerIdentity", params: [], required: [];
    /// The account's OIDC provider: its client IDs (audiences) and thumbprints.
    IamGetOpenIdConnectProvider = "iam:GetOpenIDConnectProvider",
        params: [("OpenIDConnectProviderArn", Str)], required: ["OpenIDConnectProviderArn"];
    /// ecsdrill's own reads, made on this machine and never sent to AWS: the learner's
    /// workflow file in the lab's repository, parsed and linted for a push to `Branch`.
    EcsdrillGetWorkflow = "ecsdrill:GetWorkflow",
        params: [("Path", Str), ("Branch", Str)], required: ["Path", "Branch"];
    /// The record of the last `ecsdrill lab replay` of the current attempt.
    EcsdrillGetWorkflowRun = "ecsdrill:GetWorkflowRun", params: [], required: [];
    /// Which GitHub OIDC tokens a trust policy admits: a push of `Repository` to `Branch`,
    /// and the tokens that must stay out (another branch, a pull request, another repo).
    EcsdrillProbeOidcTrust = "ecsdrill:ProbeOidcTrust",
        params: [
            ("PolicyDocument", Object),
            ("ProviderArn", Str),
            ("Repository", Str),
            ("Branch", Str),
        ],
        required: ["PolicyDocument", "ProviderArn", "Repository", "Branch"];
}

impl ReadAction {
    /// A read ecsdrill makes itself, on this machine (no AWS call, no IAM permission).
    pub fn is_local(self) -> bool {
        self.iam_action().starts_with("ecsdrill:")
    }
}

/// A name in a lab file that is no read ecsdrill can make; its message names a near miss.
#[derive(Debug, PartialEq, Eq)]
pub struct UnknownRead(pub String);

impl fmt::Display for UnknownRead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = ReadAction::ALL.iter().map(|a| a.iam_action()).collect();
        write!(
            f,
            "`{}` is not a read ecsdrill can make (see ReadAction in src/lab/ops.rs; checks never write)",
            self.0
        )?;
        match crate::deck::did_you_mean(&self.0, &names) {
            Some(near) => write!(f, "; did you mean `{near}`?"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for UnknownRead {}

impl FromStr for ReadAction {
    type Err = UnknownRead;

    fn from_str(s: &str) -> Result<ReadAction, UnknownRead> {
        ReadAction::ALL
            .iter()
            .copied()
            .find(|a| a.iam_action() == s)
            .ok_or_else(|| UnknownRead(s.to_string()))
    }
}

impl fmt::Display for ReadAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.iam_action())
    }
}

/// Lab files name a read by its IAM action; an unknown name fails to load, at its place.
impl<'de> Deserialize<'de> for ReadAction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ReadAction, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// Operations that only read although their names do not say Describe/List/Get.
pub const READ_ONLY_SIMULATIONS: &[&str] = &["iam:SimulatePrincipalPolicy"];

/// Whether an IAM action (no wildcard) only reads: Describe/List/Get, or a simulation.
pub fn is_read_only_action(action: &str) -> bool {
    let name = action.split_once(':').map_or(action, |(_, n)| n);
    !action.contains('*')
        && (["Describe", "List", "Get"]
            .iter()
            .any(|p| name.starts_with(p))
            || READ_ONLY_SIMULATIONS.contains(&action))
}

/// Error codes that mean "the thing you asked about does not exist", per service.
pub const NOT_FOUND_CODES: &[&str] = &[
    "ClusterNotFoundException",
    "ServiceNotFoundException",
    "RepositoryNotFoundException",
    "ImageNotFoundException",
    "NoSuchEntity",
    "ParameterNotFound",
    "ResourceNotFoundException",
    "TargetGroupNotFound",
    "LoadBalancerNotFound",
    "ListenerNotFound",
    "ObjectNotFoundException",
];

/// ECS answers "no such task definition" with a plain ClientException.
pub fn is_not_found(code: &str, message: &str) -> bool {
    NOT_FOUND_CODES.contains(&code)
        || (code == "ClientException"
            && (message.contains("Unable to describe task definition")
                || message.contains("does not exist")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_read_is_a_read() {
        for &op in ReadAction::ALL {
            let action = op.iam_action();
            assert_eq!(op.is_local(), action.starts_with("ecsdrill:"));
            assert!(action.contains(':'), "{action}");
            // ecsdrill's own reads call no AWS API at all
            assert!(
                op.is_local() || is_read_only_action(action),
                "{action} is not a read"
            );
            assert_eq!(action.parse(), Ok(op));
            for r in op.required() {
                assert!(op.params().iter().any(|(p, _)| p == r), "{action}: {r}");
            }
        }
    }

    #[test]
    fn an_unknown_read_names_a_near_miss() {
        let e = "ecs:DescribeService".parse::<ReadAction>().unwrap_err();
        assert!(
            e.to_string()
                .ends_with("did you mean `ecs:DescribeServices`?"),
            "{e}"
        );
    }
}
