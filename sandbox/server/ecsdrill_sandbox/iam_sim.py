"""IAM SimulatePrincipalPolicy, which moto does not implement, over ecsdrill's IAM
evaluator (iam_eval): the identity policies of a role or user (inline, and attached
managed ones, AWS managed included), an explicit Deny wins, otherwise an Allow is
needed; Action/NotAction, Resource/NotResource and wildcards. Conditions are evaluated
against the ContextEntries given, as IAM does: a key not given fails the condition
(unless the operator is negated, ...IfExists, Null or ForAllValues), so a conditional
Allow is an implicitDeny without its keys, and the keys are listed in
MissingContextValues. Permission boundaries, SCPs and resource policies are not evaluated
(the real simulator only evaluates resource policies when given one).

One EvaluationResult per action and resource (resource `*` when none is given), with
EvalDecision allowed | explicitDeny | implicitDeny and the matched statements' policy.

Pure: the policies come in as (SourcePolicyId, SourcePolicyType, document) triples;
moto_adapter finds the principal in IAM and answers the request.
"""

from __future__ import annotations

from . import iam_eval


def evaluate(policies, action: str, resource: str, context: dict[str, list[str]] | None = None
             ) -> tuple[str, list[dict], list[str]]:
    """The decision, the statements that made it, and the context keys that statements for
    this action and resource read but the request did not give (MissingContextValues)."""
    context = context or {}
    denies, allows, missing = [], [], set()
    for pid, ptype, doc in policies:
        for st in iam_eval._as_list(doc.get("Statement")):
            if not isinstance(st, dict) or not iam_eval._statement_applies(st, action, resource):
                continue
            missing |= {k for k in iam_eval.condition_keys(st) if k.lower() not in context}
            if not iam_eval.conditions_hold(st, context):
                continue
            matched = {"SourcePolicyId": pid, "SourcePolicyType": ptype}
            if st.get("Effect") == "Deny":
                denies.append(matched)
            elif st.get("Effect") == "Allow":
                allows.append(matched)
    missing_keys = sorted(missing, key=str.lower)
    if denies:
        return "explicitDeny", denies, missing_keys
    if allows:
        return "allowed", allows, missing_keys
    return "implicitDeny", [], missing_keys


def context_of(entries) -> dict[str, list[str]]:
    """SimulatePrincipalPolicy's ContextEntries as key (lower case: IAM's keys ignore case) -> values."""
    out: dict[str, list[str]] = {}
    for e in entries or []:
        name = e.get("ContextKeyName") if isinstance(e, dict) else None
        if name:
            out.setdefault(name.lower(), []).extend(str(v) for v in iam_eval._as_list(e.get("ContextKeyValues")))
    return out


def simulate(policies, actions: list[str], resources: list[str], context: dict[str, list[str]] | None = None
             ) -> list[dict]:
    """The EvaluationResults of SimulatePrincipalPolicy."""
    results = []
    for action in actions:
        for resource in resources:
            decision, matched, missing = evaluate(policies, action, resource, context)
            result = {
                "EvalActionName": action,
                "EvalResourceName": resource,
                "EvalDecision": decision,
                "MatchedStatements": matched,
                # as IAM answers: with named resources the missing keys are given per resource
                "MissingContextValues": missing if resource == "*" else [],
            }
            if resource != "*":
                # as IAM answers for named resources: the same decision, resource by resource
                result["ResourceSpecificResults"] = [{
                    "EvalResourceName": resource,
                    "EvalResourceDecision": decision,
                    "MatchedStatements": matched,
                    "MissingContextValues": missing,
                }]
            results.append(result)
    return results
