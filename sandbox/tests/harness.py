"""Test harness: the real sandbox server in a subprocess (manual clock, free
port), the real ``aws`` CLI from the sandbox's venv, and a botocore client.

``sb.aws(...)`` runs the real CLI (one process per call, about 0.4 s of CPU):
tests use it for what a learner sees from the CLI (its output, its error
texts, CLI-only behaviour) and for the commands the labs run. ``sb.api(...)``
calls the same server in-process through botocore (milliseconds): fixtures
and reads whose CLI rendering does not matter. Its timestamps and blobs are
left as they come over the wire, as the CLI prints them, so both answer alike.

The venv is taken from ECSDRILL_SANDBOX_VENV (run-tests.sh sets it); the
server package from ../server. Nothing here reads ~/.aws: the CLI and the
client get dummy credentials and /dev/null config files.
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
# a task's start is drawn per task (sim.py: PROVISIONING_S, PULL_S, ACTIVATING_S): the
# simulated seconds by which every task is RUNNING, without and with a load balancer
RUNNING_BY = 48
RUNNING_BY_LB = 58

EXEC_ROLE = "ecsTaskExecutionRole"
EXEC_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{EXEC_ROLE}"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def _identity(value):
    return value


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
        self.clients = {}
        self.calls = {"cli": 0, "api": 0}

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
        self.clients = {}
        self.startup_seconds = time.monotonic() - t0

    def server_cpu_seconds(self) -> float | None:
        """The server process's CPU time so far (Linux /proc), for run.py's summary."""
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError, AttributeError):
            return None

    def stop(self) -> None:
        server_cpu = self.server_cpu_seconds() if self.proc is not None else None
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
        if self.calls["cli"] or self.calls["api"]:
            # run.py adds these up
            print(f"ECSDRILL_CALLS cli={self.calls['cli']} api={self.calls['api']} server_cpu={server_cpu or 0:.1f}",
                  file=sys.stderr, flush=True)
            self.calls = {"cli": 0, "api": 0}

    # ------------------------------------------------------------ botocore
    def client(self, service: str):
        """A botocore client for the server: dummy keys, no ~/.aws, no retries, and
        timestamps and blobs as they come over the wire (as the CLI prints them)."""
        if service not in self.clients:
            import botocore.session
            from botocore.config import Config
            from botocore.configprovider import BOTOCORE_DEFAUT_SESSION_VARIABLES as DEFAULTS

            # every setting without its AWS_* environment variable (as the CLI gets none), and
            # /dev/null for the config files
            variables = {name: (config, None, default, convert)
                         for name, (config, _env, default, convert) in DEFAULTS.items()}
            for name in ("config_file", "credentials_file"):
                variables[name] = (None, None, os.devnull, None)
            session = botocore.session.Session(session_vars=variables)
            session.get_component("response_parser_factory").set_parser_defaults(
                timestamp_parser=_identity, blob_parser=_identity)
            self.clients[service] = session.create_client(
                service, region_name=REGION, endpoint_url=self.endpoint,
                aws_access_key_id="test", aws_secret_access_key="test",
                config=Config(retries={"total_max_attempts": 1}, read_timeout=120, parameter_validation=True))
        return self.clients[service]

    def api(self, service: str, operation: str, /, **params) -> dict:
        """One API call through botocore (e.g. ``api("ecs", "create_cluster", clusterName="lab")``);
        the answer without ResponseMetadata, as the CLI prints it. Errors raise ClientError."""
        self.calls["api"] += 1
        out = getattr(self.client(service), operation)(**params)
        out.pop("ResponseMetadata", None)
        return out

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

    def until(self, predicate, limit: float, step: float = 1) -> float:
        """Move the clock on ``step`` seconds at a time until predicate() holds, for a state
        that lasts only a while (a task RUNNING before it is killed); the seconds it took."""
        waited = 0.0
        while not predicate():
            if waited >= limit:
                raise AssertionError(f"not reached within {limit} simulated seconds")
            self.advance(step)
            waited += step
        return waited

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
        self.calls["cli"] += 1
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
    # Through botocore unless told otherwise (cli=True, or extra CLI arguments):
    # the tests that are about these commands run them with sb.aws themselves.
    def exec_role(self, name: str = EXEC_ROLE, managed: bool = True, inline: dict | None = None) -> str:
        self.api("iam", "create_role", RoleName=name, AssumeRolePolicyDocument=TRUST)
        if managed:
            self.api("iam", "attach_role_policy", RoleName=name,
                     PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")
        if inline:
            self.api("iam", "put_role_policy", RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(inline))
        return f"arn:aws:iam::{ACCOUNT}:role/{name}"

    def task_definition(self, family: str, image: str, *, cpu: str = "256", memory: str = "512",
                        role: str | None = EXEC_ROLE_ARN, port: int = 80, container: dict | None = None,
                        cli: bool = False) -> str:
        cd = {"name": "app", "image": image, "essential": True,
              "portMappings": [{"containerPort": port, "protocol": "tcp"}]}
        cd.update(container or {})
        if not cli:
            params = dict(family=family, requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu=cpu,
                          memory=memory, containerDefinitions=[cd])
            if role:
                params["executionRoleArn"] = role
            return self.api("ecs", "register_task_definition", **params)["taskDefinition"]["taskDefinitionArn"]
        args = ["ecs", "register-task-definition", "--family", family, "--requires-compatibilities", "FARGATE",
                "--network-mode", "awsvpc", "--cpu", cpu, "--memory", memory,
                "--container-definitions", json.dumps([cd])]
        if role:
            args += ["--execution-role-arn", role]
        return self.aws(*args)["taskDefinition"]["taskDefinitionArn"]

    def cluster(self, name: str = "lab") -> None:
        self.api("ecs", "create_cluster", clusterName=name)

    def network_configuration(self, tier: str = "public", public_ip: bool = True) -> dict:
        subnets = self.network()[f"{tier}_subnets"]
        return {"awsvpcConfiguration": {"subnets": subnets, "assignPublicIp": "ENABLED" if public_ip else "DISABLED"}}

    def netconf(self, tier: str = "public", public_ip: bool = True) -> str:
        return json.dumps(self.network_configuration(tier, public_ip))

    def service(self, name: str, td: str, desired: int, *, cluster: str = "lab", extra: list | None = None,
                cli: bool = False, **params) -> dict:
        """CreateService with launch type FARGATE in the public subnets. ``params``: more API
        parameters (botocore); ``extra``: more CLI arguments, which makes it a CLI call."""
        if extra is None and not cli:
            return self.api("ecs", "create_service", cluster=cluster, serviceName=name, taskDefinition=td,
                            desiredCount=desired, launchType="FARGATE",
                            networkConfiguration=self.network_configuration(), **params)["service"]
        assert not params, "CLI arguments go in extra"
        args = ["ecs", "create-service", "--cluster", cluster, "--service-name", name, "--task-definition", td,
                "--desired-count", str(desired), "--launch-type", "FARGATE",
                "--network-configuration", self.netconf()]
        return self.aws(*args, *(extra or []))["service"]

    def describe_service(self, name: str, cluster: str = "lab", cli: bool = False) -> dict:
        if cli:
            return self.aws("ecs", "describe-services", "--cluster", cluster, "--services", name)["services"][0]
        return self.api("ecs", "describe_services", cluster=cluster, services=[name])["services"][0]

    def task_arns(self, cluster: str = "lab", service: str | None = None, desired: str = "RUNNING") -> list[str]:
        params = {"cluster": cluster, "desiredStatus": desired}
        if service:
            params["serviceName"] = service
        return self.api("ecs", "list_tasks", **params)["taskArns"]

    def describe_tasks(self, arns: list[str], cluster: str = "lab") -> list[dict]:
        return self.api("ecs", "describe_tasks", cluster=cluster, tasks=list(arns))["tasks"] if arns else []

    def tasks(self, cluster: str = "lab", service: str | None = None, desired: str = "RUNNING") -> list[dict]:
        return self.describe_tasks(self.task_arns(cluster, service, desired), cluster)

    def load_balancer(self, name: str = "lab-alb", health_path: str = "/", interval: int = 10,
                      healthy: int = 2, unhealthy: int = 2, dereg_delay: int | None = 5) -> str:
        net = self.network()
        lb = self.api("elbv2", "create_load_balancer", Name=name, Subnets=net["public_subnets"],
                      SecurityGroups=[net["default_security_group"]])["LoadBalancers"][0]
        tg = self.api("elbv2", "create_target_group", Name=f"{name}-tg", Protocol="HTTP", Port=80,
                      VpcId=net["vpc_id"], TargetType="ip", HealthCheckPath=health_path,
                      HealthCheckIntervalSeconds=interval, HealthyThresholdCount=healthy,
                      UnhealthyThresholdCount=unhealthy)["TargetGroups"][0]
        self.api("elbv2", "create_listener", LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                 DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
        if dereg_delay is not None:
            self.api("elbv2", "modify_target_group_attributes", TargetGroupArn=tg["TargetGroupArn"],
                     Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": str(dereg_delay)}])
        return tg["TargetGroupArn"]

    def target_health(self, tg: str, cli: bool = False) -> list[dict]:
        if cli:
            return self.aws("elbv2", "describe-target-health", "--target-group-arn", tg)["TargetHealthDescriptions"]
        return self.api("elbv2", "describe_target_health", TargetGroupArn=tg)["TargetHealthDescriptions"]


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

    def events(self, service: str, cluster: str = "lab", cli: bool = False) -> list[str]:
        return [e["message"] for e in self.describe(service, cluster, cli)["events"]]

    def describe(self, service: str, cluster: str = "lab", cli: bool = False) -> dict:
        return self.sb.describe_service(service, cluster, cli)
