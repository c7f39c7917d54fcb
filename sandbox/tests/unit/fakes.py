"""In-process test kit for ecsdrill's ECS simulation: a fake World (no moto) and a
``Kit`` that builds clusters, task definitions and services straight in the model
and moves a manual clock.

Run the unit tests with the sandbox's venv (``run-tests.sh VENV --unit-only``, or ``cd
sandbox/tests/unit && VENV/bin/python -m unittest -v``): the API's output shapes come from the
pinned botocore, and the adapter's contract tests need the pinned moto.
"""

from __future__ import annotations

import hashlib
import os
import random
import sys
import uuid

SERVER = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "server"))
if SERVER not in sys.path:
    sys.path.insert(0, SERVER)

from ecsdrill_sandbox import messages as M  # noqa: E402
from ecsdrill_sandbox.ecs.autoscaling import AutoScaling  # noqa: E402
from ecsdrill_sandbox.clock import Clock  # noqa: E402
from ecsdrill_sandbox.ecs.model import Cluster, EcsStore, Service, TaskDefinition  # noqa: E402
from ecsdrill_sandbox.ecs.sim import Simulation  # noqa: E402
from ecsdrill_sandbox.ecs.world import (Role, ScalableTarget, ScalingPolicy, Secret, Subnet,  # noqa: E402
                                        TargetGroup)
from ecsdrill_sandbox.ecs.world import IngressRule, Namespace  # noqa: E402
from ecsdrill_sandbox.images import Behavior, ImageRegistry  # noqa: E402

ACCOUNT = "123456789012"
REGION = "us-east-1"
ECS_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
EXEC_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole"


class FakeWorld:
    """ecs.world.World in memory. Every store is a plain attribute a test may set."""

    def __init__(self, seed: int = 7) -> None:
        self.random = random.Random(seed)
        self.roles: dict[str, Role] = {}  # name -> role
        self.subnets: dict[str, Subnet] = {}
        self.security_groups: dict[str, str] = {}  # vpc id -> default group id
        self.enis: dict[str, tuple[str, str]] = {}  # eni id -> (subnet id, ip)
        self.no_egress: set[tuple[str, str]] = set()  # (subnet id, service) without a route
        self.repos: dict[tuple[str, str, str], list[list]] = {}  # (acct, region, repo) -> [[digest, {tags}]]
        self.parameters: set[tuple[str, str, str]] = set()
        self.secrets: dict[str, Secret] = {}
        self.logs: dict[tuple[str, str, str], dict[str, list[dict]]] = {}  # group -> stream -> events
        self.target_groups: dict[str, TargetGroup] = {}
        self.targets: dict[str, dict[str, int]] = {}  # tg arn -> ip -> port
        self.health: dict[tuple[str, str], tuple] = {}  # (tg arn, ip) -> (state, reason, description)
        self.scalable: list[ScalableTarget] = []
        self.policies: dict[tuple[str, str], list[ScalingPolicy]] = {}
        self.alarm_states: dict[str, str] = {}
        self.rules: dict[str, dict[str, int]] = {}  # listener rule ARN -> target group ARN -> weight
        self.namespaces: dict[str, Namespace] = {}  # Cloud Map namespace ARN -> namespace
        self.ingress: dict[str, list[IngressRule]] = {}  # security group -> inbound rules (unset: below)

    # randomness
    def uuid4(self) -> str:
        return str(uuid.UUID(int=self.random.getrandbits(128), version=4))

    def randint(self, lo: int, hi: int) -> int:
        return self.random.randint(lo, hi)

    # IAM
    def role(self, account, arn_or_name):
        if not arn_or_name:
            return None
        name = arn_or_name.split("/")[-1]
        return next((r for r in self.roles.values() if r.arn == arn_or_name or r.name == name), None)

    # EC2
    def subnet(self, account, region, subnet_id):
        return self.subnets.get(subnet_id)

    def used_ips(self, account, region, subnet_id):
        return {ip for s, ip in self.enis.values()}

    def create_eni(self, account, region, subnet_id, ip, groups, description):
        eni_id = f"eni-{self.random.getrandbits(64):017x}"[:21]
        self.enis[eni_id] = (subnet_id, ip)
        return eni_id, "02:00:00:00:00:01"

    def delete_eni(self, account, region, eni_id):
        self.enis.pop(eni_id, None)

    def default_security_group(self, account, region, subnet_id):
        s = self.subnets.get(subnet_id)
        return self.security_groups.get(s.vpc_id) if s else None

    def egress(self, account, region, subnet_id, public_ip, service):
        return (subnet_id, service) not in self.no_egress

    # ECR
    def image_digest(self, account, region, repo, tag=None, digest=None):
        for d, tags in self.repos.get((account, region, repo), []):
            if digest:
                if d == digest:
                    return d
            elif tag in tags:
                return d
        return None

    def put_image(self, repo: str, tag: str, digest: str, account: str = ACCOUNT, region: str = REGION) -> None:
        """The tag moves to digest; the image it pointed at stays, untagged."""
        images = self.repos.setdefault((account, region, repo), [])
        for entry in images:
            entry[1].discard(tag)
        for entry in images:
            if entry[0] == digest:
                entry[1].add(tag)
                return
        images.append([digest, {tag}])

    def delete_image(self, repo: str, digest: str, account: str = ACCOUNT, region: str = REGION) -> None:
        self.repos[(account, region, repo)] = [e for e in self.repos.get((account, region, repo), [])
                                               if e[0] != digest]

    # SSM and Secrets Manager
    def ssm_parameter_exists(self, account, region, name):
        return (account, region, "/" + name.lstrip("/")) in self.parameters or \
            (account, region, name) in self.parameters

    def secret(self, account, region, arn):
        return self.secrets.get(arn)

    # CloudWatch Logs
    def log_group_exists(self, account, region, group):
        return (account, region, group) in self.logs

    def create_log_group(self, account, region, group):
        self.logs.setdefault((account, region, group), {})

    def create_log_stream(self, account, region, group, stream):
        self.logs[(account, region, group)].setdefault(stream, [])

    def put_log_events(self, account, region, group, stream, events):
        self.logs[(account, region, group)][stream].extend(events)

    # ELBv2
    def target_group(self, account, region, arn):
        return self.target_groups.get(arn)

    def register_target(self, account, region, tg_arn, ip, port):
        self.targets.setdefault(tg_arn, {})[ip] = port

    def deregister_target(self, account, region, tg_arn, ip):
        self.targets.get(tg_arn, {}).pop(ip, None)
        self.health.pop((tg_arn, ip), None)

    def set_target_health(self, account, region, tg_arn, ip, state, reason=None, description=None):
        if state is None:
            self.health.pop((tg_arn, ip), None)
        else:
            self.health[(tg_arn, ip)] = (state, reason, description)

    # listener rules and alarms
    def forward_weights(self, account, region, rule_arn):
        weights = self.rules.get(rule_arn)
        return dict(weights) if weights is not None else None

    def set_forward_weights(self, account, region, rule_arn, weights):
        if rule_arn in self.rules:
            self.rules[rule_arn].update({arn: int(w) for arn, w in weights.items() if arn})

    def alarm_state(self, account, region, name):
        return self.alarm_states.get(name)

    # Cloud Map and security groups (Service Connect)
    def namespace(self, account, region, name_or_arn):
        return next((n for n in self.namespaces.values() if name_or_arn in (n.arn, n.name)), None)

    def create_http_namespace(self, account, region, name):
        ns_id = f"ns-{self.random.getrandbits(64):016x}"
        ns = Namespace(id=ns_id, arn=f"arn:aws:servicediscovery:{region}:{account}:namespace/{ns_id}", name=name,
                       type="HTTP")
        self.namespaces[ns.arn] = ns
        return ns

    def security_group_ingress(self, account, region, group_id):
        """A group's rules as set in ``ingress``; a VPC's default group not set there admits
        itself (all traffic), as in EC2; any other group is unknown."""
        if group_id in self.ingress:
            return list(self.ingress[group_id])
        if group_id in self.security_groups.values():
            return [IngressRule("-1", None, None, [], [group_id])]
        return None

    # Application Auto Scaling / CloudWatch
    def scalable_targets(self):
        return list(self.scalable)

    def scaling_policies(self, account, region):
        return list(self.policies.get((account, region), []))

    def set_alarm_state(self, account, region, alarm_name, state):
        self.alarm_states[alarm_name] = state


def digest_of(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


class Kit:
    """A clock, a store, a fake world and the simulation over them, plus builders."""

    def __init__(self, seed: int = 7) -> None:
        self.clock = Clock("manual")
        self.images = ImageRegistry()
        self.store = EcsStore()
        self.world = FakeWorld(seed)
        self.sim = Simulation(self.clock, self.images, self.store, self.world)
        self.sim.autoscaling = AutoScaling(self.sim, self.world)
        self.region = self.store.region(ACCOUNT, REGION)
        self.cluster = Cluster(name="default", arn=self.region.arn("cluster", "default"))
        self.region.clusters["default"] = self.cluster
        self.world.roles["ecsTaskExecutionRole"] = Role(arn=EXEC_ROLE, name="ecsTaskExecutionRole",
                                                        trust_policy=ECS_TRUST, documents=[ALLOW_ALL])
        self.world.subnets["subnet-a"] = Subnet("subnet-a", "vpc-1", "us-east-1a", "172.31.0.0/20")
        self.world.subnets["subnet-b"] = Subnet("subnet-b", "vpc-1", "us-east-1b", "172.31.16.0/20")
        self.world.security_groups["vpc-1"] = "sg-default"

    # ---- time
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds, self.sim.step)

    def elapsed(self) -> float:
        return self.clock.elapsed

    def at(self, when) -> float:
        """A simulated time (a task's startedAt, an event's createdAt) as the elapsed
        seconds it was: task start times are drawn per task, so tests measure them."""
        return (when - self.clock.epoch).total_seconds()

    def until(self, predicate, limit: float = 3600, step: float = 1.0) -> float:
        """Advance second by second until predicate() is true; the elapsed time."""
        waited = 0.0
        while not predicate():
            if waited >= limit:
                raise AssertionError(f"not reached within {limit} simulated seconds")
            self.advance(step)
            waited += step
        return self.clock.elapsed

    # ---- images
    def push(self, repo: str, tag: str, behavior: str = "healthy", **kw) -> str:
        """An image with this behaviour under repo:tag; returns its digest."""
        beh = Behavior(kind=behavior, **kw)
        digest = digest_of(f"{repo}:{tag}:{beh.to_json()}")
        self.world.put_image(repo, tag, digest)
        self.images.remember(ACCOUNT, REGION, repo, digest, beh)
        return digest

    @staticmethod
    def uri(repo: str, tag: str) -> str:
        return f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{repo}:{tag}"

    # ---- model
    def task_definition(self, family: str = "web", image: str | None = None, *, health_check: dict | None = None,
                        execution_role: str | None = EXEC_ROLE, version_consistency: str | None = None,
                        memory: str = "512", log_group: str | None = None) -> TaskDefinition:
        revs = self.region.task_definitions.setdefault(family, {})
        rev = max(revs, default=0) + 1
        container = {"name": "app", "image": image or self.uri("web", "v1"), "essential": True,
                     "portMappings": [{"containerPort": 80, "protocol": "tcp"}]}
        if health_check:
            container["healthCheck"] = health_check
        if version_consistency:
            container["versionConsistency"] = version_consistency
        if log_group:
            container["logConfiguration"] = {"logDriver": "awslogs", "options": {
                "awslogs-group": log_group, "awslogs-region": REGION, "awslogs-stream-prefix": "ecs",
                "awslogs-create-group": "true"}}
        td = TaskDefinition(family=family, revision=rev, arn=self.region.arn("task-definition", f"{family}:{rev}"),
                            container_definitions=[container], network_mode="awsvpc",
                            requires_compatibilities=["FARGATE"], compatibilities=["EC2", "FARGATE"],
                            cpu="256", memory=memory, execution_role_arn=execution_role)
        revs[rev] = td
        return td

    def target_group(self, name: str = "web-tg", **kw) -> TargetGroup:
        arn = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/{name}/0123456789abcdef"
        defaults = dict(port=80, protocol="HTTP", target_type="ip",
                        load_balancer_arns=[f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/lb/1"],
                        health_check_interval_seconds=10, healthy_threshold_count=2, unhealthy_threshold_count=2)
        defaults.update(kw)
        tg = TargetGroup(arn=arn, name=name, **defaults)
        self.world.target_groups[arn] = tg
        return tg

    def service(self, name: str, td: TaskDefinition, desired: int, *, min_pct: int = 100, max_pct: int = 200,
                breaker: dict | None = None, tg: TargetGroup | None = None, grace: int | None = None) -> Service:
        """As CreateService: the service, its first deployment, one settle."""
        conf = {"deploymentCircuitBreaker": breaker or {"enable": False, "rollback": False},
                "maximumPercent": max_pct, "minimumHealthyPercent": min_pct}
        svc = Service(name=name, arn=self.region.arn("service", f"default/{name}"), cluster_name="default",
                      cluster_arn=self.cluster.arn, task_definition=td.arn, desired_count=desired,
                      launch_type="FARGATE", platform_version="LATEST", platform_family="Linux",
                      deployment_configuration=conf,
                      network_configuration={"awsvpcConfiguration": {
                          "subnets": ["subnet-a", "subnet-b"], "securityGroups": ["sg-default"],
                          "assignPublicIp": "ENABLED"}},
                      load_balancers=([{"targetGroupArn": tg.arn, "containerName": "app", "containerPort": 80}]
                                      if tg else []),
                      health_check_grace_period_seconds=grace if grace is not None else (0 if tg else None),
                      created_at=self.clock.now())
        self.region.services[svc.key] = svc
        self.sim.start_deployment(self.region, svc, td.arn)
        self.sim.settle(self.region, svc)
        return svc

    def run_task(self, td: TaskDefinition, *, started_by: str | None = None,
                 security_groups: tuple = ("sg-default",), public_ip: bool = False):
        """As RunTask: one standalone Fargate task in subnet-a."""
        conf = {"subnets": ["subnet-a"], "securityGroups": list(security_groups)}
        if public_ip:
            conf["assignPublicIp"] = "ENABLED"
        [task] = self.sim.launch_tasks(self.region, self.cluster, td, 1, now=self.clock.now(), group="family:web",
                                       started_by=started_by, launch_type="FARGATE", capacity_provider_name=None,
                                       platform_version=None, network_configuration={"awsvpcConfiguration": conf})
        return task

    def deploy(self, svc: Service, td: TaskDefinition) -> dict:
        """As UpdateService with a new task definition."""
        svc.task_definition = td.arn
        dep = self.sim.start_deployment(self.region, svc, td.arn)
        self.sim.settle(self.region, svc)
        return dep

    def scale(self, svc: Service, desired: int) -> None:
        svc.desired_count = desired
        if svc.deployments:
            svc.deployments[0]["desiredCount"] = desired
        self.sim.settle(self.region, svc)

    # ---- reading
    def tasks(self, svc: Service | None = None) -> list:
        out = list(self.region.tasks.get("default", {}).values())
        if svc is not None:
            out = [t for t in out if t._svc_key == (svc.cluster_name, svc.name)]
        return out

    def live(self, svc: Service) -> list:
        return [t for t in self.tasks(svc) if t.last_status != "STOPPED"]

    @staticmethod
    def messages(svc: Service) -> list[str]:
        """The service's events, oldest first."""
        return [e["message"] for e in reversed(svc.events)]

    def steady(self, svc: Service) -> bool:
        return M.STEADY.format(svc=svc.name) in self.messages(svc)


__all__ = ["ACCOUNT", "REGION", "EXEC_ROLE", "FakeWorld", "Kit", "M", "Behavior", "ScalableTarget",
           "ScalingPolicy", "Secret", "Role", "digest_of"]
