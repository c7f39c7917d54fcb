//! The read-only API operations a lab check may call, as data: the IAM action name, the
//! parameters it takes and the errors that mean "that resource does not exist". The lab
//! linter and the AWS edge share this table, so a lab file can only name a read that ecsdrill
//! knows how to make, and no lab can ask for a write.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    Str,
    StrList,
    Int,
    /// A list of objects, passed through (e.g. ECR `imageIds`).
    ObjectList,
}

pub struct ReadOp {
    /// The IAM action, `service:Operation`, which is also how lab files name the read.
    pub action: &'static str,
    pub params: &'static [(&'static str, Param)],
    pub required: &'static [&'static str],
}

use Param::*;

pub static READ_OPS: &[ReadOp] = &[
    ReadOp {
        action: "ecs:ListClusters",
        params: &[],
        required: &[],
    },
    ReadOp {
        action: "ecs:DescribeClusters",
        params: &[("clusters", StrList)],
        required: &["clusters"],
    },
    ReadOp {
        action: "ecs:ListServices",
        params: &[("cluster", Str)],
        required: &["cluster"],
    },
    ReadOp {
        action: "ecs:DescribeServices",
        params: &[("cluster", Str), ("services", StrList)],
        required: &["cluster", "services"],
    },
    ReadOp {
        action: "ecs:DescribeTaskDefinition",
        params: &[("taskDefinition", Str)],
        required: &["taskDefinition"],
    },
    ReadOp {
        action: "ecs:ListTaskDefinitions",
        params: &[("familyPrefix", Str), ("status", Str), ("sort", Str)],
        required: &[],
    },
    ReadOp {
        action: "ecs:ListTasks",
        params: &[
            ("cluster", Str),
            ("serviceName", Str),
            ("family", Str),
            ("desiredStatus", Str),
            ("startedBy", Str),
        ],
        required: &["cluster"],
    },
    ReadOp {
        action: "ecs:DescribeTasks",
        params: &[("cluster", Str), ("tasks", StrList)],
        required: &["cluster", "tasks"],
    },
    ReadOp {
        action: "ecr:DescribeRepositories",
        params: &[("repositoryNames", StrList)],
        required: &[],
    },
    ReadOp {
        action: "ecr:DescribeImages",
        params: &[("repositoryName", Str), ("imageIds", ObjectList)],
        required: &["repositoryName"],
    },
    ReadOp {
        action: "iam:GetRole",
        params: &[("RoleName", Str)],
        required: &["RoleName"],
    },
    ReadOp {
        action: "iam:ListAttachedRolePolicies",
        params: &[("RoleName", Str)],
        required: &["RoleName"],
    },
    ReadOp {
        action: "iam:ListRolePolicies",
        params: &[("RoleName", Str)],
        required: &["RoleName"],
    },
    ReadOp {
        action: "iam:GetRolePolicy",
        params: &[("RoleName", Str), ("PolicyName", Str)],
        required: &["RoleName", "PolicyName"],
    },
    ReadOp {
        // IAM's policy simulator: read-only in AWS (it evaluates, it changes nothing). A check
        // asks what a role may do (actions on resources), not how its policies are written.
        action: "iam:SimulatePrincipalPolicy",
        params: &[
            ("PolicySourceArn", Str),
            ("ActionNames", StrList),
            ("ResourceArns", StrList),
        ],
        required: &["PolicySourceArn", "ActionNames"],
    },
    ReadOp {
        // Without decryption: a check sees the parameter's type and version, never a secret.
        action: "ssm:GetParameter",
        params: &[("Name", Str)],
        required: &["Name"],
    },
    ReadOp {
        action: "secretsmanager:DescribeSecret",
        params: &[("SecretId", Str)],
        required: &["SecretId"],
    },
    ReadOp {
        action: "logs:DescribeLogGroups",
        params: &[("logGroupNamePrefix", Str)],
        required: &[],
    },
    ReadOp {
        action: "elasticloadbalancing:DescribeLoadBalancers",
        params: &[("Names", StrList)],
        required: &[],
    },
    ReadOp {
        action: "elasticloadbalancing:DescribeTargetGroups",
        params: &[("Names", StrList), ("LoadBalancerArn", Str)],
        required: &[],
    },
    ReadOp {
        action: "elasticloadbalancing:DescribeTargetHealth",
        params: &[("TargetGroupArn", Str)],
        required: &["TargetGroupArn"],
    },
    ReadOp {
        action: "elasticloadbalancing:DescribeListeners",
        params: &[("LoadBalancerArn", Str)],
        required: &["LoadBalancerArn"],
    },
    ReadOp {
        action: "application-autoscaling:DescribeScalableTargets",
        params: &[
            ("ServiceNamespace", Str),
            ("ResourceIds", StrList),
            ("ScalableDimension", Str),
        ],
        required: &["ServiceNamespace"],
    },
    ReadOp {
        action: "application-autoscaling:DescribeScalingPolicies",
        params: &[
            ("ServiceNamespace", Str),
            ("ResourceId", Str),
            ("ScalableDimension", Str),
        ],
        required: &["ServiceNamespace"],
    },
    ReadOp {
        action: "application-autoscaling:DescribeScalingActivities",
        params: &[
            ("ServiceNamespace", Str),
            ("ResourceId", Str),
            ("ScalableDimension", Str),
        ],
        required: &["ServiceNamespace"],
    },
    ReadOp {
        action: "sts:GetCallerIdentity",
        params: &[],
        required: &[],
    },
];

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

pub fn read_op(action: &str) -> Option<&'static ReadOp> {
    READ_OPS.iter().find(|op| op.action == action)
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
        for op in READ_OPS {
            assert!(op.action.contains(':'), "{}", op.action);
            assert!(
                is_read_only_action(op.action),
                "{} is not a read",
                op.action
            );
            for r in op.required {
                assert!(op.params.iter().any(|(p, _)| p == r), "{}: {r}", op.action);
            }
        }
    }
}
