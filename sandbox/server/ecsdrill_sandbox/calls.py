"""The API calls the sandbox has served, for a drill's timeline.

Every signed AWS request is noted with the sandbox time it was served at, the service
(from the request's credential scope), the operation (from ``X-Amz-Target`` or the query
protocol's ``Action``), the HTTP status and who made it (the ``aws`` CLI, ecsdrill's own
SDK calls, or anything else). Only the newest ``LIMIT`` are kept, in memory: the log is a
view of the current session, not state, so it is not part of a snapshot.

Pure: no moto, no WSGI; ``server.py`` feeds it.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from urllib.parse import parse_qs

LIMIT = 5000
SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[a-z0-9-]+/([a-z0-9-]+)/aws4_request")


def who(user_agent: str) -> str:
    """``cli``, ``ecsdrill`` (its own reads and setup) or ``other``."""
    ua = user_agent or ""
    if ua.startswith("aws-cli/"):
        return "cli"
    if "aws-sdk-rust" in ua:
        return "ecsdrill"
    return "other"


def operation_of(target: str, content_type: str, body: bytes) -> str | None:
    """The operation a request names: ``X-Amz-Target``'s part after the dot, or the
    form body's ``Action`` (IAM, ELBv2, EC2, STS, CloudWatch speak the query protocol)."""
    if target:
        return target.rsplit(".", 1)[-1] or None
    if "x-www-form-urlencoded" in (content_type or "") and body:
        try:
            action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        except ValueError:
            return None
        return action[0] if action else None
    return None


def service_of(authorization: str) -> str | None:
    m = SCOPE.search(authorization or "")
    return m.group(1) if m else None


class CallLog:
    def __init__(self, limit: int = LIMIT) -> None:
        self._calls: deque[dict] = deque(maxlen=limit)
        self._seq = 0
        self._lock = threading.Lock()

    def note(self, at: float, service: str, operation: str, status: int, caller: str) -> None:
        with self._lock:
            self._seq += 1
            self._calls.append({"seq": self._seq, "time": round(at, 3), "service": service,
                                "operation": operation, "status": status, "caller": caller})

    def since(self, time: float, caller: str | None = None) -> list[dict]:
        """Calls served at or after sandbox time ``time``, oldest first."""
        with self._lock:
            return [c for c in self._calls
                    if c["time"] >= time and (caller is None or c["caller"] == caller)]

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
