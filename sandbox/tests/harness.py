"""Test harness: the real sandbox server in a subprocess (manual clock, free
port) and the real ``aws`` CLI from the sandbox's venv.

The venv is taken from ECSDRILL_SANDBOX_VENV (run-tests.sh sets it); the
server package from ../server. Nothing here reads ~/.aws: the CLI gets dummy
credentials and /dev/null config files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER_DIR = os.path.join(os.path.dirname(HERE), "server")
VENV = os.environ.get("ECSDRILL_SANDBOX_VENV") or os.path.dirname(os.path.dirname(sys.executable))
PYTHON = os.path.join(VENV, "bin", "python")
AWS = os.path.join(VENV, "bin", "aws")
ACCOUNT = "123456789012"
REGION = "us-east-1"
REGISTRY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"

EXEC_ROLE = "ecsTaskExecutionRole"
EXEC_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{EXEC_ROLE}"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


class AwsError(Exception):
    def __init__(self, args, code, stderr):
        super().__init__(f"aws {' '.join(args[:2])} failed ({code}): {stderr.strip()}")
        self.stderr = stderr


class Sandbox:
    """One server process, shared by the tests of a module."""

    def __init__(self) -> None:
        self.proc = None
        self.endpoint = None
        self.startup_seconds = None

    def start(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = SERVER_DIR
        env["PYTHONUNBUFFERED"] = "1"
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "ecsdrill_sandbox", "--port", "0", "--clock", "manual", "--seed", "7"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("ECSDRILL_SANDBOX_READY "):
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            self.stop()
            raise RuntimeError(f"sandbox did not start: {line!r} {err}")
        self.endpoint = line.split()[1]
        self.startup_seconds = time.monotonic() - t0

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            for stream in (self.proc.stdout, self.proc.stderr):
                try:
                    stream.close()
                except Exception:
                    pass
        self.proc = None

    # ------------------------------------------------------------ control API
    def control(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.endpoint + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                return resp.status, json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def post(self, path: str, body: dict | None = None) -> dict:
        status, payload = self.control("POST", path, body or {})
        if status != 200:
            raise AssertionError(f"POST {path} -> {status} {payload}")
        return payload

    def advance(self, seconds: float) -> dict:
        return self.post("/_ecsdrill/clock", {"advance": seconds})

    def reset(self) -> dict:
        return self.post("/_ecsdrill/reset")

    def push(self, repository: str, tag: str, behavior: str = "healthy", **extra) -> dict:
        return self.post("/_ecsdrill/images", {"repository": repository, "tag": tag, "behavior": behavior, **extra})

    def network(self) -> dict:
        return self.control("GET", "/_ecsdrill/network")[1]

    # ------------------------------------------------------------ the aws CLI
    def aws(self, *args: str, check: bool = True, path: str | None = None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        if path:  # a directory put first on PATH (e.g. a stub session-manager-plugin)
            env["PATH"] = path + os.pathsep + env.get("PATH", "")
        env.update({"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                    "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": os.devnull,
                    "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_PAGER": ""})
        cmd = [AWS, "--endpoint-url", self.endpoint, "--region", REGION, "--output", "json", *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
        if proc.returncode != 0:
            if check:
                raise AwsError(list(args), proc.returncode, proc.stderr)
            return proc
        out = proc.stdout.strip()
        return json.loads(out) if out else None

    def aws_error(self, *args: str) -> str:
        proc = self.aws(*args, check=False)
        if not isinstance(proc, subprocess.CompletedProcess):
            raise AssertionError(f"aws {' '.join(args[:2])} succeeded, expected an error")
        return proc.stderr.strip()

    # ------------------------------------------------------------ fixtures
    def exec_role(self, name: str = EXEC_ROLE, managed: bool = True, inline: dict | None = None) -> str:
        self.aws("iam", "create-role", "--role-name", name, "--assume-role-policy-document", TRUST)
        if managed:
            self.aws("iam", "attach-role-policy", "--role-name", name, "--policy-arn",
                     "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")
        if inline:
            self.aws("iam", "put-role-policy", "--role-name", name, "--policy-name", "inline",
                     "--policy-document", json.dumps(inline))
        return f"arn:aws:iam::{ACCOUNT}:role/{name}"

    def task_definition(self, family: str, image: str, *, cpu: str = "256", memory: str = "512",
                        role: str | None = EXEC_ROLE_ARN, port: int = 80, container: dict | None = None) -> str:
        cd = {"name": "app", "image": image, "essential": True,
              "portMappings": [{"containerPort": port, "protocol": "tcp"}]}
        cd.update(container or {})
        args = ["ecs", "register-task-definition", "--family", family, "--requires-compatibilities", "FARGATE",
                "--network-mode", "awsvpc", "--cpu", cpu, "--memory", memory,
                "--container-definitions", json.dumps([cd])]
        if role:
            args += ["--execution-role-arn", role]
        return self.aws(*args)["taskDefinition"]["taskDefinitionArn"]

    def cluster(self, name: str = "lab") -> None:
        self.aws("ecs", "create-cluster", "--cluster-name", name)

    def netconf(self, tier: str = "public", public_ip: bool = True) -> str:
        subnets = self.network()[f"{tier}_subnets"]
        return json.dumps({"awsvpcConfiguration": {"subnets": subnets,
                                                   "assignPublicIp": "ENABLED" if public_ip else "DISABLED"}})

    def service(self, name: str, td: str, desired: int, *, cluster: str = "lab", extra: list | None = None) -> dict:
        args = ["ecs", "create-service", "--cluster", cluster, "--service-name", name, "--task-definition", td,
                "--desired-count", str(desired), "--launch-type", "FARGATE",
                "--network-configuration", self.netconf()]
        return self.aws(*args, *(extra or []))["service"]

    def describe_service(self, name: str, cluster: str = "lab") -> dict:
        return self.aws("ecs", "describe-services", "--cluster", cluster, "--services", name)["services"][0]

    def tasks(self, cluster: str = "lab", service: str | None = None, desired: str = "RUNNING") -> list[dict]:
        args = ["ecs", "list-tasks", "--cluster", cluster, "--desired-status", desired]
        if service:
            args += ["--service-name", service]
        arns = self.aws(*args)["taskArns"]
        if not arns:
            return []
        return self.aws("ecs", "describe-tasks", "--cluster", cluster, "--tasks", *arns)["tasks"]

    def load_balancer(self, name: str = "lab-alb", health_path: str = "/", interval: int = 10,
                      healthy: int = 2, unhealthy: int = 2, dereg_delay: int | None = 5) -> str:
        net = self.network()
        lb = self.aws("elbv2", "create-load-balancer", "--name", name, "--subnets", *net["public_subnets"],
                      "--security-groups", net["default_security_group"])["LoadBalancers"][0]
        tg = self.aws("elbv2", "create-target-group", "--name", f"{name}-tg", "--protocol", "HTTP", "--port", "80",
                      "--vpc-id", net["vpc_id"], "--target-type", "ip", "--health-check-path", health_path,
                      "--health-check-interval-seconds", str(interval),
                      "--healthy-threshold-count", str(healthy),
                      "--unhealthy-threshold-count", str(unhealthy))["TargetGroups"][0]
        self.aws("elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"], "--protocol", "HTTP",
                 "--port", "80", "--default-actions", f"Type=forward,TargetGroupArn={tg['TargetGroupArn']}")
        if dereg_delay is not None:
            self.aws("elbv2", "modify-target-group-attributes", "--target-group-arn", tg["TargetGroupArn"],
                     "--attributes", f"Key=deregistration_delay.timeout_seconds,Value={dereg_delay}")
        return tg["TargetGroupArn"]

    def target_health(self, tg: str) -> list[dict]:
        return self.aws("elbv2", "describe-target-health", "--target-group-arn", tg)["TargetHealthDescriptions"]


SANDBOX = Sandbox()


def setUpModule() -> None:  # noqa: N802 - unittest hook, imported by test modules
    if SANDBOX.proc is None:
        SANDBOX.start()


def tearDownModule() -> None:  # noqa: N802
    SANDBOX.stop()


class SandboxTest(unittest.TestCase):
    sb = SANDBOX

    def setUp(self) -> None:
        if self.sb.proc is None:
            self.sb.start()
        self.sb.reset()

    def events(self, service: str, cluster: str = "lab") -> list[str]:
        return [e["message"] for e in self.describe(service, cluster)["events"]]

    def describe(self, service: str, cluster: str = "lab") -> dict:
        return self.sb.describe_service(service, cluster)
