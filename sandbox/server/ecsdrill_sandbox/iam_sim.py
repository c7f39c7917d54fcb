"""IAM SimulatePrincipalPolicy, which moto does not implement, over ecsdrill's IAM
evaluator (iam_eval): the identity policies of a role or user (inline, and attached
managed ones, AWS managed included), an explicit Deny wins, otherwise an Allow is
needed; Action/NotAction, Resource/NotResource and wildcards. Conditions are taken as
satisfied; permission boundaries, SCPs and resource policies are not evaluated (the
real simulator only evaluates resource policies when given one).

One EvaluationResult per action and resource (resource `*` when none is given), with
EvalDecision allowed | explicitDeny | implicitDeny and the matched statements' policy.
The answer is serialized by moto from botocore's model, as IAM's query protocol does.
"""

from __future__ import annotations

from moto.core.responses import ActionResult
from moto.iam import responses as iam_responses
from moto.iam.exceptions import IAMException, NotFoundException

from . import iam_eval


class InvalidInput(IAMException):
    code = "InvalidInput"


def _principal(backend, arn: str):
    """The role or user an ARN names (paths allowed), or NoSuchEntity."""
    if not arn or ":" not in arn:
        raise InvalidInput(f"Invalid ARN: {arn!r}")
    kind_and_name = arn.split(":", 5)[-1]
    kind, _, rest = kind_and_name.partition("/")
    name = rest.split("/")[-1]
    if kind == "role":
        for role in backend.roles.values():
            if role.arn == arn or role.name == name:
                return role, "role"
        raise NotFoundException(f"Role {name} not found")
    if kind == "user":
        for user in backend.users.values():
            if user.arn == arn or user.name == name:
                return user, "user"
        raise NotFoundException(f"User {name} not found")
    raise InvalidInput(f"PolicySourceArn must be the ARN of a role or a user: {arn}")


def _policies(principal, kind: str) -> list[tuple[str, str, dict]]:
    """(SourcePolicyId, SourcePolicyType, document) of every identity policy."""
    out = []
    for name, doc in principal.policies.items():
        out.append((name, kind, iam_eval._load(doc)))
    for policy in principal.managed_policies.values():
        version = next((v for v in policy.versions if v.is_default), None)
        if version is None:
            continue
        ptype = "aws-managed" if ":aws:policy/" in policy.arn else "user-managed"
        out.append((policy.name, ptype, iam_eval._load(version.document)))
    return out


def evaluate(policies, action: str, resource: str) -> tuple[str, list[dict]]:
    denies, allows = [], []
    for pid, ptype, doc in policies:
        for st in iam_eval._as_list(doc.get("Statement")):
            if not isinstance(st, dict) or not iam_eval._statement_applies(st, action, resource):
                continue
            matched = {"SourcePolicyId": pid, "SourcePolicyType": ptype}
            if st.get("Effect") == "Deny":
                denies.append(matched)
            elif st.get("Effect") == "Allow":
                allows.append(matched)
    if denies:
        return "explicitDeny", denies
    if allows:
        return "allowed", allows
    return "implicitDeny", []


def simulate_principal_policy(self) -> ActionResult:
    arn = self._get_param("PolicySourceArn")
    actions = self._get_param("ActionNames") or []
    resources = self._get_param("ResourceArns") or ["*"]
    if not actions:
        raise InvalidInput("ActionNames must name at least one action")
    principal, kind = _principal(self.backend, arn)
    policies = _policies(principal, kind)
    results = []
    for action in actions:
        for resource in resources:
            decision, matched = evaluate(policies, action, resource)
            result = {
                "EvalActionName": action,
                "EvalResourceName": resource,
                "EvalDecision": decision,
                "MatchedStatements": matched,
                "MissingContextValues": [],
            }
            if resource != "*":
                # as IAM answers for named resources: the same decision, resource by resource
                result["ResourceSpecificResults"] = [{
                    "EvalResourceName": resource,
                    "EvalResourceDecision": decision,
                    "MatchedStatements": matched,
                    "MissingContextValues": [],
                }]
            results.append(result)
    return ActionResult({"EvaluationResults": results, "IsTruncated": False})


def install() -> None:
    iam_responses.IamResponse.simulate_principal_policy = simulate_principal_policy
