"""The sandbox server: moto's WSGI application behind one lock, the simulation,
and the control API under /_ecsdrill/.

An operation moto does not implement raises NotImplementedError, which would be
an HTTP 500 that the AWS CLI and SDKs retry (seconds) before an opaque "Internal
Server Error". It is answered at once with a 400 in the service's own error
shape instead (code NotImplemented, which ecsdrill reports as "the sandbox cannot
answer"); every other exception stays a 500 with its traceback on stderr."""

from __future__ import annotations

import io
import json
import re
import threading
import urllib.parse
import uuid
import time
import traceback
from typing import Any, Callable

from . import ACCOUNT_ID, DEFAULT_REGION, __version__
from .autoscaling import AutoScaling
from .clock import Clock
from .images import BEHAVIORS, Behavior, ImageRegistry
from .network import create_default_network
from .scheduler import Simulation

MAX_ADVANCE_S = 7 * 24 * 3600


class ControlError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class Sandbox:
    def __init__(self, clock: Clock) -> None:
        from . import patches

        self.lock = threading.RLock()
        self.clock = clock
        self.images = ImageRegistry()
        self.sim = Simulation(clock, self.images)
        self.sim.autoscaling = AutoScaling(self.sim)
        patches.install(self.sim)
        self.network: dict = {}
        self.started = time.time()
        self.default_network_checks = False  # what reset goes back to (the --network-checks flag)

    # the simulation moves only here -------------------------------------------
    def catch_up(self) -> None:
        self.clock.catch_up(self.sim.step)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds, self.sim.step)

    def setup(self) -> None:
        self.network = create_default_network(ACCOUNT_ID, DEFAULT_REGION)

    def reset(self) -> None:
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()
        self.sim.reset()
        self.sim.network_checks = self.default_network_checks
        self.clock.reset_epoch()
        self.setup()

    def status(self) -> dict:
        import moto

        return {
            "sandbox_version": __version__,
            "moto_version": moto.__version__,
            "sim_time": self.clock.now().isoformat().replace("+00:00", "Z"),
            "sim_elapsed_seconds": self.clock.elapsed,
            "clock": self.clock.status(),
            "account": ACCOUNT_ID,
            "region": DEFAULT_REGION,
            "network": self.network,
            "settings": {"network_checks": self.sim.network_checks},
        }

    # control API ----------------------------------------------------------------
    def control(self, method: str, path: str, body: dict) -> dict:
        route = path[len("/_ecsdrill"):].rstrip("/") or "/"
        if route == "/status" and method == "GET":
            return self.status()
        if route == "/network" and method == "GET":
            return self.network
        if method != "POST":
            raise ControlError(f"unknown control endpoint {method} {path}", 404)
        if route == "/clock":
            return self._clock(body)
        if route == "/reset":
            self.reset()
            return self.status()
        if route == "/images":
            return self._images(body)
        if route == "/load":
            return self._load(body)
        if route == "/settings":
            if "network_checks" in body:
                if not isinstance(body["network_checks"], bool):
                    raise ControlError("network_checks must be true or false")
                self.sim.network_checks = body["network_checks"]
            return self.status()
        raise ControlError(f"unknown control endpoint {method} {path}", 404)

    def _clock(self, body: dict) -> dict:
        if "mode" in body or "speed" in body:
            try:
                self.clock.set_mode(body.get("mode"), body.get("speed"))
            except (TypeError, ValueError) as e:
                raise ControlError(str(e))
        if "advance" in body:
            try:
                seconds = float(body["advance"])
            except (TypeError, ValueError):
                raise ControlError("advance must be a number of seconds")
            if seconds < 0 or seconds > MAX_ADVANCE_S:
                raise ControlError(f"advance must be between 0 and {MAX_ADVANCE_S} seconds")
            self.advance(seconds)
        return self.status()

    def _images(self, body: dict) -> dict:
        from moto.ecr.models import ecr_backends

        repository = body.get("repository")
        tag = body.get("tag") or "latest"
        kind = body.get("behavior") or "healthy"
        if not repository or not isinstance(repository, str):
            raise ControlError("repository is required")
        if kind not in BEHAVIORS:
            raise ControlError(f"behavior must be one of {', '.join(BEHAVIORS)}")
        behavior = Behavior(kind=kind)
        if body.get("memory_mib") is not None:
            behavior.memory_mib = int(body["memory_mib"])
        if body.get("start_delay") is not None:
            behavior.start_delay = int(body["start_delay"])
        if body.get("exit_code") is not None:
            code = body["exit_code"]
            if kind != "crash":
                raise ControlError("exit_code applies to the behavior crash only")
            if not isinstance(code, int) or isinstance(code, bool) or not 1 <= code <= 255:
                raise ControlError("exit_code must be a whole number from 1 to 255")
            behavior.exit_code = code
        region = body.get("region") or DEFAULT_REGION
        account = body.get("account") or ACCOUNT_ID
        try:
            return self.images.push(ecr_backends[account][region], account, region, repository, tag, behavior)
        except Exception as e:  # moto validation (e.g. an invalid repository name)
            raise ControlError(f"{type(e).__name__}: {e}")

    def _load(self, body: dict) -> dict:
        cluster = body.get("cluster") or "default"
        service = body.get("service")
        if not service:
            raise ControlError("service is required")
        region = body.get("region") or DEFAULT_REGION
        account = body.get("account") or ACCOUNT_ID
        for key in ("cpu", "memory", "requests_per_target"):
            if body.get(key) is not None:
                try:
                    if float(body[key]) < 0:
                        raise ValueError
                except (TypeError, ValueError):
                    raise ControlError(f"{key} must be a non-negative number")
        try:
            entry = self.sim.autoscaling.set_load(account, region, cluster.split("/")[-1], service.split("/")[-1], body)
        except KeyError as e:
            raise ControlError(str(e.args[0]), 404)
        return {"cluster": cluster, "service": service, "load": entry}


class SandboxApp:
    """WSGI: /_ecsdrill/* is the control API, everything else goes to moto, one
    request at a time, after the clock has caught up (realtime mode)."""

    def __init__(self, moto_app: Callable, sandbox: Sandbox) -> None:
        self.moto_app = moto_app
        self.sandbox = sandbox

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        path = environ.get("PATH_INFO", "") or ""
        method = environ.get("REQUEST_METHOD", "GET")
        if path.startswith("/_ecsdrill"):
            return self._control(environ, start_response, method, path)
        if path.rstrip("/") == "/moto-api/reset" and method == "POST":
            with self.sandbox.lock:
                self.sandbox.reset()
            return self._json(start_response, 200, {"status": "ok"})
        raw = _buffer_body(environ)
        with self.sandbox.lock:
            self.sandbox.catch_up()
            captured: dict = {}
            chunks: list[bytes] = []

            def sr(status, headers, exc_info=None):
                captured["status"], captured["headers"] = status, headers
                return chunks.append

            try:
                result = self.moto_app(environ, sr)
            except NotImplementedError as e:
                return _not_implemented(environ, raw, e, start_response)
            try:
                for chunk in result:
                    chunks.append(chunk)
            finally:
                if hasattr(result, "close"):
                    result.close()
        body = b"".join(chunks)
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        start_response(captured["status"], headers)
        return [body]

    def _control(self, environ, start_response, method, path):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            body = json.loads(raw.decode() or "{}") if raw else {}
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            return self._json(start_response, 400, {"error": "the body must be a JSON object"})
        try:
            with self.sandbox.lock:
                self.sandbox.catch_up()
                result = self.sandbox.control(method, path, body)
            return self._json(start_response, 200, result)
        except ControlError as e:
            return self._json(start_response, e.status, {"error": str(e)})
        except Exception as e:  # pragma: no cover - a bug; say what it was
            traceback.print_exc()
            return self._json(start_response, 500, {"error": f"{type(e).__name__}: {e}"})

    @staticmethod
    def _json(start_response, status: int, payload: dict):
        body = json.dumps(payload, default=str).encode()
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}[status]
        start_response(f"{status} {reason}", [("Content-Type", "application/json"),
                                              ("Content-Length", str(len(body)))])
        return [body]


def _buffer_body(environ: dict) -> bytes:
    """Read the request body once and hand moto a copy: a Query-protocol
    request names its operation (Action=) in it."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return b""
    if length <= 0:
        return b""
    raw = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(raw)
    return raw


MOTO_NOT_IMPLEMENTED = re.compile(r"^The (\w+) action has not been implemented$")


def _not_implemented(environ: dict, raw: bytes, error: NotImplementedError, start_response: Callable) -> list:
    """The error a real service would give, in its protocol: JSON (X-Amz-Target),
    Query XML (Action=; EC2's own envelope), else REST-JSON."""
    target = environ.get("HTTP_X_AMZ_TARGET") or ""
    params = urllib.parse.parse_qs(environ.get("QUERY_STRING") or "")
    ctype = environ.get("CONTENT_TYPE") or ""
    if "x-www-form-urlencoded" in ctype and raw:
        params.update(urllib.parse.parse_qs(raw.decode("utf-8", "replace")))
    whole = MOTO_NOT_IMPLEMENTED.match(str(error))
    operation = target.rsplit(".", 1)[-1] if target else (params.get("Action") or [""])[0]
    if not operation and whole:
        operation = "".join(w.capitalize() for w in whole.group(1).split("_"))
    operation = operation or "This operation"
    message = f"{operation} is not available in the ecsdrill sandbox"
    if not whole and str(error):  # moto implements the operation, not this input
        message += f" with this input ({error})"
    traceback.print_exception(error, limit=-1)  # one line of where, on stderr
    code = "NotImplemented"
    request_id = str(uuid.uuid4())
    headers = [("x-amzn-RequestId", request_id), ("x-amzn-ErrorType", code)]
    if target or "Action" not in params:
        body = json.dumps({"__type": code, "message": message}).encode()
        headers.append(("Content-Type", "application/x-amz-json-1.1" if target else "application/json"))
    else:
        from xml.sax.saxutils import escape

        credential = environ.get("HTTP_AUTHORIZATION") or ""
        if "/ec2/aws4_request" in credential:
            xml = (f"<Response><Errors><Error><Code>{code}</Code><Message>{escape(message)}</Message></Error>"
                   f"</Errors><RequestID>{request_id}</RequestID></Response>")
        else:
            xml = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{escape(message)}"
                   f"</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>")
        body = xml.encode()
        headers.append(("Content-Type", "text/xml"))
    headers.append(("Content-Length", str(len(body))))
    start_response("400 Bad Request", headers)
    return [body]


def start_ticker(sandbox: Sandbox, interval: float = 0.5) -> threading.Thread:
    """In realtime mode, move the clock even when nobody asks."""

    def run() -> None:
        while True:
            time.sleep(interval)
            if sandbox.clock.mode != "realtime":
                continue
            try:
                with sandbox.lock:
                    sandbox.catch_up()
            except Exception:  # pragma: no cover - keep ticking, say what broke
                traceback.print_exc()

    thread = threading.Thread(target=run, name="ecsdrill-clock", daemon=True)
    thread.start()
    return thread
