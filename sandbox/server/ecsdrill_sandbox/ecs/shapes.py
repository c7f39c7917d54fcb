"""Writes ECS answers in the API's own output shapes.

The shapes come from botocore's ECS service model (the one the AWS CLI and SDKs
read), so an answer has exactly the members ECS documents, with their names and
types, and nothing else: a model attribute or dict key that is not a member is
never written, a ``None`` member is left out (ECS omits absent members), and a
timestamp is written as epoch seconds as the JSON protocol does.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from botocore import xform_name
from botocore.session import get_session


@lru_cache(maxsize=1)
def service_model():
    return get_session().get_service_model("ecs")


def operation_names() -> list[str]:
    return list(service_model().operation_names)


def write(operation: str, result: dict) -> dict:
    shape = service_model().operation_model(operation).output_shape
    if shape is None:
        return {}
    return _write(shape, result) or {}


def _member(value: Any, name: str) -> Any:
    if isinstance(value, dict):
        return value.get(name)
    return getattr(value, xform_name(name), None)


def _write(shape, value: Any) -> Any:
    if value is None:
        return None
    kind = shape.type_name
    if kind == "structure":
        out = {}
        for name, member in shape.members.items():
            written = _write(member, _member(value, name))
            if written is not None:
                out[name] = written
        return out
    if kind == "list":
        return [w for w in (_write(shape.member, v) for v in value) if w is not None]
    if kind == "map":
        return {k: _write(shape.value, v) for k, v in value.items()}
    if kind == "timestamp":
        if isinstance(value, datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=timezone.utc)
            return value.timestamp()
        return value
    if kind == "boolean":
        return bool(value)
    if kind in ("integer", "long"):
        return int(value)
    if kind in ("double", "float"):
        return float(value)
    if kind == "string":
        return value if isinstance(value, str) else str(value)
    return value
