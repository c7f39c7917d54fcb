"""Just enough IAM policy evaluation to decide what a task's execution role may do.

Pure: it evaluates a ``world.Role`` view (its trust policy and its identity policy
documents); moto_adapter builds the views from IAM (``MotoWorld.role``).

Identity-based policies only (inline and attached managed policies of the role):
an explicit Deny wins, otherwise any matching Allow allows. Action, NotAction,
Resource and NotResource with ``*`` and ``?`` wildcards are honoured; Condition
blocks are assumed to be satisfied; permission boundaries, SCPs and resource
policies (repository policies, key policies) are not evaluated.
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
