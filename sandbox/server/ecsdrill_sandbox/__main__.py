"""Entry point: ``python -m ecsdrill_sandbox [--port N] [--clock realtime|manual]``.

Listens on 127.0.0.1 only. When it answers, prints exactly one line to stdout,
``ECSDRILL_SANDBOX_READY http://127.0.0.1:PORT``, and flushes it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time

HOST = "127.0.0.1"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m ecsdrill_sandbox",
                                description="ecsdrill's local ECS sandbox (moto + ECS scheduler simulation)")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = pick a free one; default 0)")
    p.add_argument("--clock", choices=("realtime", "manual"), default="realtime",
                   help="realtime: simulated time follows wall time x speed; manual: only POST /_ecsdrill/clock "
                        "moves it (default realtime)")
    p.add_argument("--speed", type=float, default=1.0, help="simulated seconds per wall second in realtime mode")
    p.add_argument("--state-dir", default=None,
                   help="directory for the sandbox's files (server.json while running); state itself is in memory")
    p.add_argument("--seed", type=int, default=None, help="seed the random ids and draws; every reset starts again from it (reproducible runs)")
    p.add_argument("--network-checks", action="store_true",
                   help="tasks fail to start without a route to ECR/registries/SSM/Secrets Manager "
                        "(public IP + internet gateway, NAT gateway or VPC endpoints)")
    p.add_argument("--log-requests", action="store_true", help="log every request to stderr")
    return p.parse_args(argv)


def _prepare_environment() -> None:
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    os.environ.setdefault("MOTO_ECS_NEW_ARN", "true")
    # no lab or drill starts an EC2 instance: moto's catalogue of public AMIs, built again for
    # each region's EC2 backend after every reset, would only slow resets down
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    # botocore (used by moto for region lists) must not trip on the user's AWS configuration
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        os.environ.pop(var, None)
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull


def _share_boto3_session() -> None:
    """moto builds several boto3 Sessions at import time just to list regions;
    each one re-reads botocore's endpoint data. One shared Session is enough."""
    import boto3

    real = boto3.Session
    shared = {}

    def session(*args, **kwargs):
        if args or kwargs:
            return real(*args, **kwargs)
        if "s" not in shared:
            shared["s"] = real()
        return shared["s"]

    boto3.Session = session  # type: ignore[assignment]


def main(argv: list[str] | None = None) -> int:
    t0 = time.monotonic()
    args = parse_args(argv)
    _prepare_environment()
    _share_boto3_session()

    import logging

    from werkzeug.serving import make_server

    from moto.moto_server.werkzeug_app import (DomainDispatcherApplication, MotoRequestHandler,
                                               create_backend_app)

    from .clock import Clock
    from .server import Sandbox, SandboxApp, Snapshot, start_ticker

    if not args.log_requests:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)

    clock = Clock(args.clock, args.speed)
    sandbox = Sandbox(clock, args.seed)
    sandbox.sim.network_checks = sandbox.default_network_checks = args.network_checks
    moto_app = DomainDispatcherApplication(create_backend_app)
    app = SandboxApp(moto_app, sandbox)
    try:
        server = make_server(HOST, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    except (OSError, SystemExit) as e:  # werkzeug reports "address in use" and exits itself
        print(f"ecsdrill-sandbox: cannot listen on {HOST}:{args.port} ({e or 'address in use'})", file=sys.stderr)
        return 2
    port = server.server_port
    os.environ["MOTO_PORT"] = str(port)
    with sandbox.lock:
        sandbox.setup()
    endpoint = f"http://{HOST}:{port}"
    snapshot = Snapshot(sandbox, args.state_dir) if args.state_dir else None
    if snapshot is not None:
        snapshot.load()

    info_path = None
    if args.state_dir:
        os.makedirs(args.state_dir, exist_ok=True)
        info_path = os.path.join(args.state_dir, "server.json")
        import moto

        with open(info_path, "w") as f:
            json.dump({"pid": os.getpid(), "endpoint": endpoint, "port": port,
                       "moto_version": moto.__version__, "clock": clock.status(),
                       "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, f)

    def stop(signum, frame):
        def shutdown() -> None:
            server.shutdown()

        def watchdog() -> None:  # never outlive a stop request by more than 4 s (down waits 5)
            time.sleep(4)
            if info_path:
                try:
                    os.remove(info_path)
                except OSError:
                    pass
            os._exit(0)

        threading.Thread(target=shutdown, daemon=True).start()
        threading.Thread(target=watchdog, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    start_ticker(sandbox, snapshot)
    print(f"ECSDRILL_SANDBOX_READY {endpoint}", flush=True)
    print(f"ecsdrill-sandbox: ready in {time.monotonic() - t0:.2f}s (clock {clock.mode}, speed {clock.speed})",
          file=sys.stderr, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        if snapshot is not None:
            try:
                with sandbox.lock:
                    snapshot.save()
            except Exception:  # pragma: no cover - the state is lost, say why
                import traceback

                traceback.print_exc()
        if info_path:
            try:
                os.remove(info_path)
            except OSError:
                pass
    # skip tearing down moto's in-memory state object by object: nothing to save
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
