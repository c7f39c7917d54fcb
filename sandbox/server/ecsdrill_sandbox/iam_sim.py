"""IAM SimulatePrincipalPolicy, which moto does not implement, over ecsdrill's IAM
evaluator (iam_eval): the identity policies of a role or user (inline, and attached
managed ones, AWS managed included), an explicit Deny wins, otherwise an Allow is
needed; Action/NotAction, Resource/NotResource and wildcards. Conditions are taken as
satisfied; permission boundaries, SCPs and resource policies are not evaluated (the
real simulator only evaluates resource policies when given one).

One EvaluationResult per action and resource (resource `*` when none is given), with
EvalDecision allowed | explicitDeny | implicitDeny and the matched statements' policy.

Pure: the policies come in as (SourcePolicyId, SourcePolicyType, document) triples;
moto_adapter finds the principal in IAM and answers the request.
"""

from __future__ import annotations

from . import iam_eval


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


def simulate(policies, actions: list[str], resources: list[str]) -> list[dict]:
    """The EvaluationResults of SimulatePrincipalPolicy."""
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
    return results
