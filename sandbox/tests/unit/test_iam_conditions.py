"""IAM Condition blocks in the policy simulation (iam_eval.conditions_hold, iam_sim), in
process: each operator family, the missing-key rules of IAM's reference, and what
SimulatePrincipalPolicy answers with and without the keys a conditional Allow reads."""

from __future__ import annotations

import unittest

from fakes import SERVER  # noqa: F401 - puts the server package on the path
from ecsdrill_sandbox import iam_eval, iam_sim

EXEC = "arn:aws:iam::123456789012:role/ecsdrill-exec"
PASS_TO_ECS = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": EXEC,
               "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}}


def holds(condition: dict, **context) -> bool:
    ctx = {k.replace("__", ":").lower(): v if isinstance(v, list) else [v] for k, v in context.items()}
    return iam_eval.conditions_hold({"Condition": condition}, ctx)


class Operators(unittest.TestCase):
    def test_strings(self):
        self.assertTrue(holds({"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}},
                              aws__RequestedRegion="us-east-1"))
        self.assertFalse(holds({"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}, aws__RequestedRegion="us-east-1"))
        self.assertFalse(holds({"StringEquals": {"aws:RequestedRegion": "US-EAST-1"}}, aws__RequestedRegion="us-east-1"))
        self.assertTrue(holds({"StringEqualsIgnoreCase": {"aws:RequestedRegion": "US-EAST-1"}},
                              aws__RequestedRegion="us-east-1"))
        self.assertTrue(holds({"StringLike": {"iam:PassedToService": "ecs*.amazonaws.com"}},
                              iam__PassedToService="ecs-tasks.amazonaws.com"))
        self.assertFalse(holds({"StringNotEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
                               iam__PassedToService="ecs-tasks.amazonaws.com"))
        self.assertTrue(holds({"StringNotLike": {"iam:PassedToService": "ec2*"}},
                              iam__PassedToService="ecs-tasks.amazonaws.com"))

    def test_keys_ignore_case_and_blocks_are_anded(self):
        both = {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"},
                "Bool": {"aws:SecureTransport": "true"}}
        self.assertTrue(holds(both, IAM__PASSEDTOSERVICE="ecs-tasks.amazonaws.com", aws__SecureTransport="true"))
        self.assertFalse(holds(both, iam__PassedToService="ecs-tasks.amazonaws.com", aws__SecureTransport="false"))

    def test_arns_numbers_dates_and_addresses(self):
        self.assertTrue(holds({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/github-*"}},
                              aws__PrincipalArn="arn:aws:iam::123456789012:role/github-deploy"))
        self.assertFalse(holds({"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::*:role/github-*"}},
                               aws__PrincipalArn="arn:aws:iam::123456789012:role/github-deploy"))
        self.assertTrue(holds({"NumericLessThanEquals": {"aws:MultiFactorAuthAge": "3600"}},
                              aws__MultiFactorAuthAge="600"))
        self.assertFalse(holds({"NumericGreaterThan": {"aws:MultiFactorAuthAge": "3600"}},
                               aws__MultiFactorAuthAge="600"))
        self.assertTrue(holds({"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}},
                              aws__CurrentTime="2026-12-07T12:00:00Z"))
        self.assertTrue(holds({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, aws__SourceIp="10.1.2.3"))
        self.assertTrue(holds({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, aws__SourceIp="192.0.2.1"))
        self.assertFalse(holds({"BinaryEquals": {"aws:Key": "QUJD"}}, aws__Key="QUJD"))  # not evaluated: no match

    def test_a_missing_key(self):
        key = "iam:PassedToService"
        self.assertFalse(holds({"StringEquals": {key: "ecs-tasks.amazonaws.com"}}))
        self.assertTrue(holds({"StringNotEquals": {key: "ecs-tasks.amazonaws.com"}}))
        self.assertTrue(holds({"StringEqualsIfExists": {key: "ecs-tasks.amazonaws.com"}}))
        self.assertFalse(holds({"StringEqualsIfExists": {key: "ecs-tasks.amazonaws.com"}},
                               iam__PassedToService="ec2.amazonaws.com"))
        self.assertTrue(holds({"Null": {key: "true"}}))
        self.assertFalse(holds({"Null": {key: "false"}}))
        self.assertTrue(holds({"Null": {key: "false"}}, iam__PassedToService="ecs-tasks.amazonaws.com"))
        self.assertTrue(holds({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}))
        self.assertFalse(holds({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}))
        self.assertFalse(holds({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["team"]}}))

    def test_multivalued_keys(self):
        self.assertTrue(holds({"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}},
                              aws__TagKeys=["team", "env"]))
        self.assertFalse(holds({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}, aws__TagKeys=["team", "env"]))
        self.assertTrue(holds({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}, aws__TagKeys=["team", "env"]))
        self.assertTrue(holds({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["team"]}}, aws__TagKeys=["team", "env"]))
        self.assertFalse(holds({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["team"]}},
                               aws__TagKeys=["team", "env"]))


class Simulation(unittest.TestCase):
    def simulate(self, statements, context=None, resource=EXEC):
        policies = [("deploy", "role", {"Version": "2012-10-17", "Statement": statements})]
        entries = [{"ContextKeyName": k, "ContextKeyValues": v, "ContextKeyType": "string"}
                   for k, v in (context or {}).items()]
        (result,) = iam_sim.simulate(policies, ["iam:PassRole"], [resource], iam_sim.context_of(entries))
        (detail,) = result["ResourceSpecificResults"]
        return result["EvalDecision"], detail["MissingContextValues"]

    def test_a_conditional_allow_needs_its_keys(self):
        self.assertEqual(self.simulate([PASS_TO_ECS]), ("implicitDeny", ["iam:PassedToService"]))
        self.assertEqual(self.simulate([PASS_TO_ECS], {"iam:PassedToService": ["ecs-tasks.amazonaws.com"]}),
                         ("allowed", []))
        self.assertEqual(self.simulate([PASS_TO_ECS], {"iam:PassedToService": ["ec2.amazonaws.com"]}),
                         ("implicitDeny", []))

    def test_a_conditional_deny_applies_only_when_it_holds(self):
        deny_outside = {"Effect": "Deny", "Action": "*", "Resource": "*",
                        "Condition": {"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}}
        allow = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": EXEC}
        self.assertEqual(self.simulate([allow, deny_outside], {"aws:RequestedRegion": ["us-east-1"]}),
                         ("allowed", []))
        self.assertEqual(self.simulate([allow, deny_outside], {"aws:RequestedRegion": ["eu-west-1"]}),
                         ("explicitDeny", []))
        # a negated operator holds on a missing key: the Deny applies
        self.assertEqual(self.simulate([allow, deny_outside]), ("explicitDeny", ["aws:RequestedRegion"]))

    def test_missing_keys_of_statements_for_other_actions_are_not_listed(self):
        other = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                 "Condition": {"Bool": {"aws:SecureTransport": "true"}}}
        allow = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": EXEC}
        self.assertEqual(self.simulate([allow, other]), ("allowed", []))

    def test_without_resources_the_missing_keys_are_on_the_result(self):
        policies = [("deploy", "role", {"Statement": [dict(PASS_TO_ECS, Resource="*")]})]
        (result,) = iam_sim.simulate(policies, ["iam:PassRole"], ["*"], {})
        self.assertEqual((result["EvalDecision"], result["MissingContextValues"]),
                         ("implicitDeny", ["iam:PassedToService"]))
        self.assertNotIn("ResourceSpecificResults", result)


if __name__ == "__main__":
    unittest.main()
