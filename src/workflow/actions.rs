//! The official AWS actions a deploy workflow uses, as their `action.yml` files declare them
//! (inputs, the required ones, outputs) and the major versions that exist, read from each
//! repository's tags in December 2026. The linter checks a step against this table; the
//! replay knows how each one behaves.

/// One action of `aws-actions/`.
pub struct Action {
    pub name: &'static str,
    /// The major versions published (`v6` stands for every v6.x.y tag).
    pub majors: &'static [u32],
    pub inputs: &'static [&'static str],
    pub required: &'static [&'static str],
    pub outputs: &'static [&'static str],
}

impl Action {
    pub fn latest(&self) -> u32 {
        self.majors.iter().copied().max().unwrap_or(1)
    }
}

pub const CONFIGURE_CREDENTIALS: &str = "aws-actions/configure-aws-credentials";
pub const ECR_LOGIN: &str = "aws-actions/amazon-ecr-login";
pub const RENDER_TASK_DEFINITION: &str = "aws-actions/amazon-ecs-render-task-definition";
pub const DEPLOY_TASK_DEFINITION: &str = "aws-actions/amazon-ecs-deploy-task-definition";

pub const AWS_ACTIONS: &[Action] = &[
    Action {
        name: CONFIGURE_CREDENTIALS,
        majors: &[1, 2, 3, 4, 5, 6],
        inputs: &[
            "aws-region",
            "aws-profile",
            "overwrite-aws-profile",
            "role-to-assume",
            "aws-access-key-id",
            "aws-secret-access-key",
            "aws-session-token",
            "web-identity-token-file",
            "role-chaining",
            "audience",
            "http-proxy",
            "no-proxy",
            "mask-aws-account-id",
            "role-duration-seconds",
            "role-external-id",
            "role-session-name",
            "role-skip-session-tagging",
            "transitive-tag-keys",
            "inline-session-policy",
            "managed-session-policies",
            "output-credentials",
            "output-env-credentials",
            "unset-current-credentials",
            "disable-retry",
            "retry-max-attempts",
            "special-characters-workaround",
            "use-existing-credentials",
            "allowed-account-ids",
            "force-skip-oidc",
            "action-timeout-s",
            "custom-tags",
            "sts-endpoint",
        ],
        required: &["aws-region"],
        outputs: &[
            "aws-account-id",
            "aws-access-key-id",
            "aws-secret-access-key",
            "aws-session-token",
            "aws-expiration",
        ],
    },
    Action {
        name: ECR_LOGIN,
        majors: &[1, 2],
        inputs: &[
            "http-proxy",
            "mask-password",
            "registries",
            "registry-type",
            "skip-logout",
        ],
        required: &[],
        outputs: &["registry"],
    },
    Action {
        name: RENDER_TASK_DEFINITION,
        majors: &[1],
        inputs: &[
            "task-definition",
            "task-definition-arn",
            "task-definition-family",
            "task-definition-revision",
            "container-name",
            "image",
            "environment-variables",
            "log-configuration-log-driver",
            "log-configuration-options",
            "docker-labels",
            "command",
            "task-role-arn",
            "execution-role-arn",
            "env-files",
            "secrets",
        ],
        required: &["container-name", "image"],
        outputs: &["task-definition"],
    },
    Action {
        name: DEPLOY_TASK_DEFINITION,
        majors: &[1, 2],
        inputs: &[
            "task-definition",
            "desired-count",
            "service",
            "cluster",
            "wait-for-service-stability",
            "wait-for-minutes",
            "wait-max-delay-seconds",
            "codedeploy-appspec",
            "codedeploy-application",
            "codedeploy-deployment-group",
            "codedeploy-deployment-description",
            "codedeploy-deployment-config",
            "force-new-deployment",
            "service-managed-ebs-volume-name",
            "service-managed-ebs-volume",
            "run-task",
            "run-task-container-overrides",
            "run-task-security-groups",
            "run-task-subnets",
            "run-task-assign-public-IP",
            "run-task-capacity-provider-strategy",
            "run-task-launch-type",
            "run-task-started-by",
            "run-task-tags",
            "run-task-managed-ebs-volume-name",
            "run-task-managed-ebs-volume",
            "wait-for-task-stopped",
            "enable-ecs-managed-tags",
            "propagate-tags",
            "keep-null-value-keys",
            "max-retries",
        ],
        required: &["task-definition"],
        outputs: &[
            "task-definition-arn",
            "codedeploy-deployment-id",
            "run-task-arn",
        ],
    },
];

/// The AWS action of that name (case-insensitive, as GitHub resolves owners and repos).
pub fn aws_action(name: &str) -> Option<&'static Action> {
    AWS_ACTIONS
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name))
}

/// What a `uses:` ref pins.
#[derive(Debug, PartialEq, Eq)]
pub enum Ref {
    /// `v6`, `v6.2`, `v6.2.3`: a major version (a tag that moves within it, or a release).
    Major(u32),
    /// A full commit SHA: immutable, the hardened way to pin.
    Commit,
    /// A branch such as `main`: whatever is pushed there next runs in your pipeline.
    Branch(String),
    Missing,
}

pub fn parse_ref(r: &str) -> Ref {
    if r.is_empty() {
        return Ref::Missing;
    }
    if r.len() == 40 && r.chars().all(|c| c.is_ascii_hexdigit()) {
        return Ref::Commit;
    }
    if let Some(rest) = r.strip_prefix('v') {
        let major = rest.split('.').next().unwrap_or("");
        if let Ok(n) = major.parse() {
            return Ref::Major(n);
        }
    }
    Ref::Branch(r.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_are_told_apart() {
        assert_eq!(parse_ref("v6"), Ref::Major(6));
        assert_eq!(parse_ref("v2.1.7"), Ref::Major(2));
        assert_eq!(
            parse_ref("0123456789abcdef0123456789abcdef01234567"),
            Ref::Commit
        );
        assert_eq!(parse_ref("main"), Ref::Branch("main".into()));
        assert_eq!(parse_ref(""), Ref::Missing);
    }

    #[test]
    fn the_table_knows_the_four_actions_and_their_required_inputs() {
        for a in AWS_ACTIONS {
            for r in a.required {
                assert!(a.inputs.contains(r), "{}: {r}", a.name);
            }
        }
        assert_eq!(
            aws_action("AWS-Actions/amazon-ecr-login").unwrap().latest(),
            2
        );
        assert_eq!(aws_action(CONFIGURE_CREDENTIALS).unwrap().latest(), 6);
        assert!(aws_action("aws-actions/amazon-ecs-deploy").is_none());
    }
}
