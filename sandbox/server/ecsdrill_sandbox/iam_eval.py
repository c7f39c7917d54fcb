"""Just enough IAM policy evaluation to decide what a task's execution role may do.

Pure: it evaluates a ``world.Role`` view (its trust policy and its identity policy
documents); moto_adapter builds the views from IAM (``MotoWorld.role``).

Identity-based policies only (inline and attached managed policies of the role):
an explicit Deny wins, otherwise any matching Allow allows. Action, NotAction,
Resource and NotResource with ``*`` and ``?`` wildcards are honoured. What ECS's
agent does with a role (``decision``) takes Condition blocks as satisfied, as the
simulation cannot know the agent's request context; the policy simulation (iam_sim)
evaluates them against the context keys its caller gives (``conditions_hold``).
Permission boundaries, SCPs and resource policies (repository policies, key policies)
are not evaluated.
"""

from __future__ import annotations

import fnmatch
import json
from urllib.parse import unquote


def _as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def _load(doc):
    """A policy document as a dict (IAM may hold it JSON- or URL-encoded)."""
    if isinstance(doc, dict):
        return doc
    if not doc:
        return {}
    try:
        return json.loads(doc)
    except ValueError:
        return json.loads(unquote(doc))


def role_documents(role) -> list[dict]:
    """The identity policy documents of a role view (inline and attached)."""
    return [_load(doc) for doc in role.documents]


def _match(patterns, value: str, case_insensitive: bool) -> bool:
    for p in patterns:
        if case_insensitive:
            if fnmatch.fnmatchcase(value.lower(), str(p).lower()):
                return True
        elif fnmatch.fnmatchcase(value, str(p)):
            return True
    return False


def _statement_applies(st: dict, action: str, resource: str) -> bool:
    if "Action" in st:
        if not _match(_as_list(st["Action"]), action, True):
            return False
    elif "NotAction" in st:
        if _match(_as_list(st["NotAction"]), action, True):
            return False
    else:
        return False
    if "Resource" in st:
        if not _match(_as_list(st["Resource"]), resource, False):
            return False
    elif "NotResource" in st:
        if _match(_as_list(st["NotResource"]), resource, False):
            return False
    return True


# ---- Condition blocks, for the policy simulation (iam_sim), which is given the request's
# context keys. As IAM's reference says ("Condition operators"): operators are ANDed, keys within
# one are ANDed, a key's values are ORed; a key missing from the request fails the condition,
# except for the negated operators (true), ...IfExists (true), Null, and ForAllValues (true).
_NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike",
            "NumericNotEquals", "DateNotEquals", "NotIpAddress"}


def _number(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _date(v):
    from datetime import datetime, timezone

    n = _number(v)
    if n is not None:
        return n
    try:
        d = datetime.fromisoformat(str(v).replace("Z", "+00:00"))
    except ValueError:
        return None
    return (d if d.tzinfo else d.replace(tzinfo=timezone.utc)).timestamp()


def _in_network(value, cidr) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(str(value)) in ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return False


def _compare(op: str, request: str, policy) -> bool:
    """One request value against one policy value, for the positive form of ``op``."""
    if op in ("StringEquals", "StringNotEquals"):
        return request == str(policy)
    if op in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return request.lower() == str(policy).lower()
    if op in ("StringLike", "StringNotLike", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"):
        return fnmatch.fnmatchcase(request, str(policy))
    if op == "Bool":
        return request.lower() == str(policy).lower()
    if op.startswith("Numeric") or op.startswith("Date"):
        convert = _number if op.startswith("Numeric") else _date
        a, b = convert(request), convert(policy)
        if a is None or b is None:
            return False
        base = op.replace("Not", "").replace("Numeric", "").replace("Date", "")
        return {"Equals": a == b, "LessThan": a < b, "LessThanEquals": a <= b, "GreaterThan": a > b,
                "GreaterThanEquals": a >= b}.get(base, False)
    if op in ("IpAddress", "NotIpAddress"):
        return _in_network(request, policy)
    return False  # an operator this evaluator does not know (BinaryEquals): never matches


def _condition_holds(operator: str, values: list[str] | None, policy_values: list) -> bool:
    """One operator and key: values is None when the request does not have the key."""
    if operator == "Null":
        return any(str(v).lower() == ("true" if values is None else "false") for v in policy_values)
    quantifier, _, op = operator.rpartition(":")
    if_exists = op.endswith("IfExists")
    op = op.removesuffix("IfExists")
    negated = op in _NEGATED
    if values is None:
        if quantifier == "ForAllValues" or if_exists:
            return True
        return negated and quantifier != "ForAnyValue"

    def matches(v: str) -> bool:
        return any(_compare(op, v, p) for p in policy_values)

    if quantifier == "ForAllValues":
        return all((not matches(v)) if negated else matches(v) for v in values)
    if quantifier == "ForAnyValue":
        return any((not matches(v)) if negated else matches(v) for v in values)
    return not any(matches(v) for v in values) if negated else any(matches(v) for v in values)


def condition_keys(st: dict) -> set[str]:
    """The context keys a statement's Condition block reads."""
    cond = st.get("Condition")
    if not isinstance(cond, dict):
        return set()
    return {key for block in cond.values() if isinstance(block, dict) for key in block}


def conditions_hold(st: dict, context: dict[str, list[str]]) -> bool:
    """Whether a statement's Condition block holds for the request's context keys
    (``context``: key name in lower case -> its values)."""
    cond = st.get("Condition")
    if cond is None:
        return True
    if not isinstance(cond, dict):
        return False
    for operator, block in cond.items():
        if not isinstance(block, dict):
            return False
        for key, policy_values in block.items():
            if not _condition_holds(str(operator), context.get(key.lower()), _as_list(policy_values)):
                return False
    return True


def decision(role, action: str, resource: str) -> str:
    """``allowed``, ``explicitDeny`` or ``implicitDeny`` (as IAM's EvalDecision)."""
    allowed = False
    for doc in role_documents(role):
        for st in _as_list(doc.get("Statement")):
            if not isinstance(st, dict) or not _statement_applies(st, action, resource):
                continue
            if st.get("Effect") == "Deny":
                return "explicitDeny"
            if st.get("Effect") == "Allow":
                allowed = True
    return "allowed" if allowed else "implicitDeny"


def is_allowed(role, action: str, resource: str) -> bool:
    return decision(role, action, resource) == "allowed"


def denied_because(role, action: str, resource: str) -> str | None:
    """The tail of AWS's AccessDenied message for a denied call, None if allowed."""
    d = decision(role, action, resource)
    if d == "allowed":
        return None
    if d == "explicitDeny":
        return "with an explicit deny in an identity-based policy"
    return f"because no identity-based policy allows the {action} action"


def trusts_ecs_tasks(role) -> bool:
    return trusts_service(role, "ecs-tasks.amazonaws.com")


def trusts_service(role, service: str) -> bool:
    """The role's trust policy lets this AWS service principal assume it."""
    doc = _load(role.trust_policy)
    for st in _as_list(doc.get("Statement")):
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        if not _match(_as_list(st.get("Action")), "sts:AssumeRole", True):
            continue
        principal = st.get("Principal")
        if principal == "*":
            return True
        if isinstance(principal, dict):
            services = _as_list(principal.get("Service"))
            if service in services or "*" in _as_list(principal.get("AWS")):
                return True
    return False


def assumed_role_principal(account: str, role, session: str) -> str:
    return f"arn:aws:sts::{account}:assumed-role/{role.name}/{session}"
