"""The sandbox server: a forwarding dispatcher behind one lock. ECS requests go
to ecsdrill's own ECS provider (ecs/), the control API lives under /_ecsdrill/,
and every other request goes to moto's WSGI application unchanged.

An operation moto does not implement raises NotImplementedError, which would be
an HTTP 500 that the AWS CLI and SDKs retry (seconds) before an opaque "Internal
Server Error". It is answered at once with a 400 in the service's own error
shape instead (code NotImplemented, which ecsdrill reports as "the sandbox cannot
answer"); every other exception stays a 500 with its traceback on stderr."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import pickle
import sys
import re
import threading
import urllib.parse
import uuid
import time
import traceback
from typing import Any, Callable

from . import ACCOUNT_ID, DEFAULT_REGION, __version__, calls, moto_adapter
from .calls import CallLog
from .clock import Clock
from .ecs.autoscaling import AutoScaling
from .ecs.model import EcsStore
from .ecs import service_connect
from .ecs.provider import EcsError, Provider
from .ecs.sim import Simulation
from .images import BEHAVIORS, SETTING_NAME_RE, Behavior, ImageRegistry

MAX_ADVANCE_S = 7 * 24 * 3600
SNAPSHOT_FORMAT = 1


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The server code's identity: a snapshot is restored only by the code that wrote it."""
    digest = hashlib.sha256()
    root = os.path.dirname(os.path.abspath(__file__))
    for dirpath, dirnames, filenames in sorted(os.walk(root)):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith(".py"):
                with open(os.path.join(dirpath, name), "rb") as f:
                    digest.update(os.path.relpath(os.path.join(dirpath, name), root).encode() + b"\0" + f.read())
    return digest.hexdigest()[:16]


class ControlError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class Sandbox:
    """The sandbox's parts: moto (behind moto_adapter), ecsdrill's ECS (its
    model, simulation and API provider), the clock and the image behaviours."""

    def __init__(self, clock: Clock, seed: int | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.seed = seed  # --seed: every reset starts the random stream again from it
        self.images = ImageRegistry()
        self.store = EcsStore()
        self.world = moto_adapter.MotoWorld()
        self.sim = Simulation(clock, self.images, self.store, self.world)
        self.sim.autoscaling = AutoScaling(self.sim, self.world)
        self.provider = Provider(self.store, self.sim, self.world)
        moto_adapter.install(self.sim)
        self.network: dict = {}
        self.version = 0  # bumped by every request that may change state (snapshots)
        self.restored: dict | None = None  # what the snapshot gave back at start (status)
        self.started = time.time()
        self.default_network_checks = False  # what reset goes back to (the --network-checks flag)
        self.calls = CallLog()
        if seed is not None:
            moto_adapter.seed_random(seed)

    # the simulation moves only here -------------------------------------------
    def catch_up(self) -> None:
        self.clock.catch_up(self.sim.step)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds, self.sim.step)

    def setup(self) -> None:
        self.network = moto_adapter.create_default_network(ACCOUNT_ID, DEFAULT_REGION)

    def reset(self) -> None:
        moto_adapter.reset_moto()
        if self.seed is not None:
            moto_adapter.seed_random(self.seed)
        self.restored = None
        self.store.reset()
        self.sim.reset()
        self.sim.network_checks = self.default_network_checks
        self.clock.reset_epoch()
        self.calls.clear()
        self.setup()

    # state that survives down/up ------------------------------------------------
    def snapshot(self) -> bytes:
        """Everything a learner made, in one pickle: moto's backends, ecsdrill's ECS
        model and the simulation's memory, the clock and the seeded random."""
        state = {
            "format": SNAPSHOT_FORMAT,
            "code": code_fingerprint(),
            "moto_version": moto_adapter.moto_version(),
            "clock": {"epoch": self.clock.epoch, "elapsed": self.clock.elapsed},
            "network": self.network,
            "store": self.store,
            "images": self.images,
            "sim": self.sim.persistent_state(),
            "moto": moto_adapter.backends_state(),
        }
        return pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)

    def restore(self, blob: bytes) -> str | None:
        """Restores a snapshot; returns why it was not restored, or None."""
        try:
            state = pickle.loads(blob)
        except Exception as e:  # a truncated or foreign file: start empty, say so
            return f"unreadable ({type(e).__name__})"
        if not isinstance(state, dict) or state.get("format") != SNAPSHOT_FORMAT:
            return "made by another version of the sandbox"
        if (state.get("code"), state.get("moto_version")) != (code_fingerprint(), moto_adapter.moto_version()):
            return "made by another version of the sandbox (after an ecsdrill upgrade)"
        moto_adapter.restore_backends(state["moto"])
        self.store.regions = state["store"].regions
        self.images.behaviors = state["images"].behaviors
        self.sim.restore_state(state["sim"])
        self.network = state["network"]
        # the sandbox's time stands still while it is down
        self.clock.epoch = state["clock"]["epoch"]
        self.clock.elapsed = state["clock"]["elapsed"]
        self.clock.set_mode()
        return None

    def status(self) -> dict:
        return {
            "sandbox_version": __version__,
            "moto_version": moto_adapter.moto_version(),
            "sim_time": self.clock.now().isoformat().replace("+00:00", "Z"),
            "sim_elapsed_seconds": self.clock.elapsed,
            "clock": self.clock.status(),
            "account": ACCOUNT_ID,
            "region": DEFAULT_REGION,
            "network": self.network,
            "settings": {"network_checks": self.sim.network_checks},
            "seed": self.seed,
            "restored": self.restored,
        }

    # control API ----------------------------------------------------------------
    def control(self, method: str, path: str, body: dict) -> dict:
        route = path[len("/_ecsdrill"):].rstrip("/") or "/"
        if route == "/status" and method == "GET":
            return self.status()
        if route == "/network" and method == "GET":
            return self.network
        if route == "/calls" and method == "GET":
            return self._calls(body)
        if route == "/service-connect/reach" and method == "GET":
            return self._reach(body)
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

    def _calls(self, query: dict) -> dict:
        """The calls served since sandbox time ``since`` (epoch seconds), optionally only
        those of one ``caller`` (cli, ecsdrill, other)."""
        try:
            since = float(query.get("since", 0))
        except (TypeError, ValueError):
            raise ControlError("since must be a number of epoch seconds")
        caller = query.get("caller")
        if caller is not None and caller not in ("cli", "ecsdrill", "other"):
            raise ControlError("caller must be cli, ecsdrill or other")
        return {"now": self.clock.now().timestamp(), "calls": self.calls.since(since, caller)}

    def _reach(self, query: dict) -> dict:
        """Can the tasks of service ``from`` (in ``cluster``) reach ``to`` (DNS:PORT) through
        Service Connect? Judged from the configuration (ecs/service_connect.py)."""
        cluster, client, target = query.get("cluster") or "default", query.get("from"), query.get("to")
        if not client:
            raise ControlError("from (the calling service) is required")
        parsed = service_connect.split_target(target or "")
        if parsed is None:
            raise ControlError("to must be DNS_NAME:PORT, e.g. orders:8080")
        region = self.store.region(query.get("account") or ACCOUNT_ID, query.get("region") or DEFAULT_REGION)
        answer = service_connect.reach(
            region, self.world, cluster.split("/")[-1], client.split("/")[-1], parsed[0], parsed[1],
            is_healthy=lambda svc, task: self.sim._is_healthy(svc, task, self.clock.now()),
            network_checks=self.sim.network_checks)
        return {"cluster": cluster, "from": client, "to": target, **answer.to_json()}

    def _images(self, body: dict) -> dict:
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
        if body.get("requires") is not None:
            name = body["requires"]
            if kind != "crash":
                raise ControlError("requires applies to the behavior crash only")
            if not isinstance(name, str) or not SETTING_NAME_RE.match(name) or len(name) > 128:
                raise ControlError("requires must be a setting name such as ORDERS_DB_URL: "
                                   "capital letters, digits and _, starting with a letter")
            behavior.requires = name
        if body.get("build") is not None:
            build = body["build"]
            if not isinstance(build, str) or len(build) > 64:
                raise ControlError("build must be a text of at most 64 characters")
            behavior.build = build
        region = body.get("region") or DEFAULT_REGION
        account = body.get("account") or ACCOUNT_ID
        try:
            return moto_adapter.push_image(account, region, repository, tag, behavior, self.images)
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


ECS_TARGET = "AmazonEC2ContainerServiceV20141113."
CREDENTIAL = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/")


class SandboxApp:
    """WSGI: /_ecsdrill/* is the control API; an ECS request (by X-Amz-Target) goes
    to ecsdrill's ECS provider; everything else goes to moto unchanged. One request
    at a time, after the clock has caught up (realtime mode)."""

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
        target = environ.get("HTTP_X_AMZ_TARGET") or ""
        start_response = self._noting(environ, raw, target, start_response)
        if target.startswith(ECS_TARGET) and self.sandbox.provider.owns(target[len(ECS_TARGET):]):
            return self._ecs(environ, raw, target[len(ECS_TARGET):], start_response)
        with self.sandbox.lock:
            self.sandbox.catch_up()
            self.sandbox.version += 1
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

    def _noting(self, environ: dict, raw: bytes, target: str, start_response: Callable) -> Callable:
        """``start_response`` that also notes the call in the sandbox's call log."""
        service = calls.service_of(environ.get("HTTP_AUTHORIZATION") or "")
        operation = calls.operation_of(target, environ.get("CONTENT_TYPE") or "", raw)
        if not service or not operation:
            return start_response
        caller = calls.who(environ.get("HTTP_USER_AGENT") or "")

        def noting(status, headers, exc_info=None):
            try:
                code = int(str(status).split(" ", 1)[0])
            except ValueError:
                code = 0
            self.sandbox.calls.note(self.sandbox.clock.now().timestamp(), service, operation, code, caller)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return noting

    def _ecs(self, environ: dict, raw: bytes, operation: str, start_response: Callable) -> list:
        account, region = request_scope(environ)
        request_id = str(uuid.uuid4())
        try:
            params = json.loads(raw.decode() or "{}") if raw else {}
            if not isinstance(params, dict):
                raise ValueError
        except ValueError:
            return _aws_json(start_response, 400, request_id,
                             {"__type": "SerializationException", "message": "the body must be a JSON object"})
        try:
            with self.sandbox.lock:
                denied = moto_adapter.authorize(environ, raw, account, operation)
                if denied is not None:
                    return _aws_json(start_response, 400, request_id, {"__type": denied[0], "message": denied[1]})
                self.sandbox.catch_up()
                self.sandbox.version += 1
                answer = self.sandbox.provider.handle(account, region, operation, params)
        except EcsError as e:
            return _aws_json(start_response, 400, request_id, {"__type": e.code, "message": e.message})
        except Exception as e:  # a bug in the sandbox: say what it was, once, without retries piling up
            traceback.print_exc()
            return _aws_json(start_response, 500, request_id,
                             {"__type": "ServerException", "message": f"ecsdrill sandbox: {type(e).__name__}: {e}"})
        return _aws_json(start_response, 200, request_id, answer)

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
        if method == "GET":
            body = {k: v[-1] for k, v in urllib.parse.parse_qs(environ.get("QUERY_STRING") or "").items()}
        try:
            with self.sandbox.lock:
                self.sandbox.catch_up()
                self.sandbox.version += 1
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


def request_scope(environ: dict) -> tuple[str, str]:
    """(account, region) of a signed request: the region from the credential
    scope; the account is the sandbox's (or moto's x-moto-account-id header)."""
    m = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION") or "")
    account = environ.get("HTTP_X_MOTO_ACCOUNT_ID") or ACCOUNT_ID
    return account, (m.group(1) if m else DEFAULT_REGION)


def _aws_json(start_response: Callable, status: int, request_id: str, payload: dict) -> list:
    body = json.dumps(payload).encode()
    reason = {200: "OK", 400: "Bad Request", 500: "Internal Server Error"}[status]
    headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", request_id),
               ("Content-Length", str(len(body)))]
    if status != 200:
        headers.append(("x-amzn-ErrorType", payload["__type"]))
    start_response(f"{status} {reason}", headers)
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


class Snapshot:
    """The sandbox's state on disk (DIR/snapshot.pickle): loaded at start, written
    on a clean stop and every SAVE_EVERY_S seconds while requests come in, always
    to a temporary file renamed over the old one, so a crash loses at most the
    last half minute and never leaves half a file."""

    FILE = "snapshot.pickle"
    SAVE_EVERY_S = 30.0

    def __init__(self, sandbox: Sandbox, state_dir: str) -> None:
        self.sandbox = sandbox
        self.path = os.path.join(state_dir, self.FILE)
        self.saved_version = sandbox.version

    def load(self) -> None:
        try:
            with open(self.path, "rb") as f:
                blob = f.read()
        except FileNotFoundError:
            return
        t0 = time.monotonic()
        with self.sandbox.lock:
            why_not = self.sandbox.restore(blob)
            self.saved_version = self.sandbox.version
        regions = self.sandbox.store.all()
        self.sandbox.restored = {"discarded": why_not} if why_not else {
            "sim_time": self.sandbox.clock.now().isoformat().replace("+00:00", "Z"),
            "clusters": sum(1 for r in regions for c in r.clusters.values() if c.status == "ACTIVE"),
            "services": sum(1 for r in regions for s in r.services.values() if s.status == "ACTIVE"),
        }
        if why_not:
            os.replace(self.path, self.path + ".discarded")
            print(f"ecsdrill-sandbox: the saved state was not restored ({why_not}); it was kept as "
                  f"{self.FILE}.discarded and the sandbox starts empty", file=sys.stderr, flush=True)
        else:
            print(f"ecsdrill-sandbox: state restored from {self.path} in {time.monotonic() - t0:.2f}s",
                  file=sys.stderr, flush=True)

    def save(self, only_if_changed: bool = False) -> None:
        with self.sandbox.lock:
            if only_if_changed and self.sandbox.version == self.saved_version:
                return
            version = self.sandbox.version
            blob = self.sandbox.snapshot()
        tmp = f"{self.path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        self.saved_version = version


def start_ticker(sandbox: Sandbox, snapshot: Snapshot | None = None, interval: float = 0.5) -> threading.Thread:
    """In realtime mode, move the clock even when nobody asks; save the state now and then."""

    def run() -> None:
        last_save = time.monotonic()
        while True:
            time.sleep(interval)
            if snapshot is not None and time.monotonic() - last_save >= Snapshot.SAVE_EVERY_S:
                last_save = time.monotonic()
                try:
                    snapshot.save(only_if_changed=True)
                except Exception:  # pragma: no cover - keep serving; say what broke
                    traceback.print_exc()
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
