"""8. IAM SimulatePrincipalPolicy (moto has none) over the sandbox's IAM evaluator,
through the real aws CLI: allowed, implicit and explicit deny, NotAction, wildcards,
AWS managed policies, conditions against the context entries, and NoSuchEntity for an
unknown role."""

import json

from harness import ACCOUNT, SandboxTest, setUpModule, tearDownModule  # noqa: F401

ASSETS = "arn:aws:s3:::assets/*"


class Simulation(SandboxTest):
    def role(self, name: str, *statements: dict, managed: tuple = ()) -> str:
        arn = self.sb.exec_role(name, managed=False)
        if statements:
            self.sb.api("iam", "put_role_policy", RoleName=name, PolicyName="p",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))
        for policy in managed:
            self.sb.api("iam", "attach_role_policy", RoleName=name, PolicyArn=policy)
        return arn

    def decisions(self, arn: str, actions: list, resources: list | None = None) -> list:
        args = ["iam", "simulate-principal-policy", "--policy-source-arn", arn, "--action-names", *actions]
        if resources:
            args += ["--resource-arns", *resources]
        out = self.sb.aws(*args)
        return [(r["EvalActionName"], r["EvalResourceName"], r["EvalDecision"]) for r in out["EvaluationResults"]]

    def test_allowed_and_implicit_deny(self):
        arn = self.role("t1", {"Effect": "Allow", "Action": "s3:GetObject", "Resource": ASSETS})
        self.assertEqual(self.decisions(arn, ["s3:GetObject", "s3:PutObject"], ["arn:aws:s3:::assets/a.css"]), [
            ("s3:GetObject", "arn:aws:s3:::assets/a.css", "allowed"),
            ("s3:PutObject", "arn:aws:s3:::assets/a.css", "implicitDeny"),
        ])
        self.assertEqual(self.decisions(arn, ["s3:GetObject"], ["arn:aws:s3:::other/a.css"]),
                         [("s3:GetObject", "arn:aws:s3:::other/a.css", "implicitDeny")])
        # without resources the simulator asks about "*", which a named resource does not match
        self.assertEqual(self.decisions(arn, ["s3:GetObject"]), [("s3:GetObject", "*", "implicitDeny")])
        out = self.sb.aws("iam", "simulate-principal-policy", "--policy-source-arn", arn,
                          "--action-names", "s3:GetObject", "--resource-arns", "arn:aws:s3:::assets/x")
        self.assertEqual(out["EvaluationResults"][0]["MatchedStatements"][0]["SourcePolicyId"], "p")
        self.assertEqual(out["EvaluationResults"][0]["MatchedStatements"][0]["SourcePolicyType"], "role")

    def test_explicit_deny_wins(self):
        arn = self.role("t2", {"Effect": "Allow", "Action": "*", "Resource": "*"},
                        {"Effect": "Deny", "Action": "iam:*", "Resource": "*"})
        self.assertEqual(self.decisions(arn, ["iam:CreateUser", "ecs:ListClusters"]), [
            ("iam:CreateUser", "*", "explicitDeny"),
            ("ecs:ListClusters", "*", "allowed"),
        ])

    def test_not_action_and_wildcard_resources(self):
        arn = self.role("t3", {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
                        {"Effect": "Allow", "Action": "ssm:Get*", "Resource": "arn:aws:ssm:*:*:parameter/app/*"})
        self.assertEqual(self.decisions(arn, ["iam:PassRole", "s3:DeleteBucket"], ["arn:aws:s3:::x"]), [
            ("iam:PassRole", "arn:aws:s3:::x", "implicitDeny"),
            ("s3:DeleteBucket", "arn:aws:s3:::x", "allowed"),
        ])
        only_ssm = self.role("t4", {"Effect": "Allow", "Action": "ssm:Get*",
                                    "NotResource": "arn:aws:ssm:*:*:parameter/secret/*"})
        self.assertEqual(self.decisions(only_ssm, ["ssm:GetParameters"], [
            f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app/db", f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/secret/db"]), [
            ("ssm:GetParameters", f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app/db", "allowed"),
            ("ssm:GetParameters", f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/secret/db", "implicitDeny"),
        ])

    def test_aws_managed_policies(self):
        arn = self.role("t5", managed=("arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
                                       "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"))
        self.assertEqual(self.decisions(arn, ["ecr:BatchGetImage", "s3:GetObject", "ssm:GetParameters"],
                                        ["arn:aws:s3:::anything/x"]), [
            ("ecr:BatchGetImage", "arn:aws:s3:::anything/x", "allowed"),
            ("s3:GetObject", "arn:aws:s3:::anything/x", "allowed"),
            ("ssm:GetParameters", "arn:aws:s3:::anything/x", "implicitDeny"),
        ])
        out = self.sb.aws("iam", "simulate-principal-policy", "--policy-source-arn", arn,
                          "--action-names", "s3:GetObject")
        self.assertEqual(out["EvaluationResults"][0]["MatchedStatements"][0]["SourcePolicyType"], "aws-managed")

    def test_conditions_read_the_context_entries(self):
        exec_arn = f"arn:aws:iam::{ACCOUNT}:role/ecsdrill-exec"
        arn = self.role("t5", {"Effect": "Allow", "Action": "iam:PassRole", "Resource": exec_arn,
                               "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}})

        def simulate(*context: str) -> tuple:
            args = ["iam", "simulate-principal-policy", "--policy-source-arn", arn, "--action-names", "iam:PassRole",
                    "--resource-arns", exec_arn]
            if context:
                args += ["--context-entries", *context]
            (r,) = self.sb.aws(*args)["EvaluationResults"]
            return r["EvalDecision"], r["ResourceSpecificResults"][0]["MissingContextValues"]

        # without the key the conditional Allow does not apply, and the answer names the key
        self.assertEqual(simulate(), ("implicitDeny", ["iam:PassedToService"]))
        entry = "ContextKeyName=iam:PassedToService,ContextKeyType=string,ContextKeyValues={}"
        self.assertEqual(simulate(entry.format("ecs-tasks.amazonaws.com")), ("allowed", []))
        self.assertEqual(simulate(entry.format("ec2.amazonaws.com")), ("implicitDeny", []))

    def test_unknown_role(self):
        err = self.sb.aws_error("iam", "simulate-principal-policy", "--policy-source-arn",
                                f"arn:aws:iam::{ACCOUNT}:role/nobody", "--action-names", "s3:GetObject")
        self.assertIn("NoSuchEntity", err)
