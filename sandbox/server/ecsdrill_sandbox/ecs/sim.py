"""The ECS scheduler simulation over ecsdrill's own model (model.py).

Tasks go through PROVISIONING, PENDING (image pull, secrets), ACTIVATING (behind a
load balancer), RUNNING and on to DEACTIVATING, STOPPING, DEPROVISIONING and STOPPED
over simulated seconds.
Services hold their desired count, roll deployments within
minimumHealthyPercent/maximumPercent, count failed tasks, trip the deployment
circuit breaker (and roll back), register their tasks in target groups by IP and
drain them. See sandbox/README.md for the rules and the timings.

Pure: no moto. Everything outside ECS (roles, subnets, ENIs, images, parameters,
secrets, log groups, target groups) is reached through the ``World`` (world.py);
random ids come from ``world.uuid4``/``world.randint`` so a seeded world gives
reproducible ids.

Deployments are dicts (svc.deployments, newest first; every one also in
svc.history, oldest first). Besides the API's keys the simulation keeps: ``_digests``
(container name -> image digest pinned at creation), ``_completed`` (the deployment
a rollback returns to), ``_completed_once``, ``_finished_at`` (COMPLETED or FAILED),
and on a rollback ``_rollback``, ``_rollback_for`` (the failed deployment's id),
``_revision_of`` (the id of the deployment whose revision it runs), ``_sources`` and
``_reason`` (its first rolloutStateReason, the breaker's); on an older deployment
``_owed`` (tasks it gets back: lost ones, its share of a scale-out).

Everything here runs under the server's global lock, driven by the clock: one
``step`` per simulated second. It only reads the simulated clock, never the wall
clock, so a run is reproducible given the times at which requests arrive.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import math
from datetime import datetime, timedelta
from typing import Any

from .. import iam_eval
from .. import messages as M
from ..images import APP_LOG, CRASH_AFTER, OOM_AFTER, Behavior, ImageRegistry, docker_parts, parse_image
from . import strategies, task_sets
from .model import Cluster, EcsRegion, EcsStore, Service, Task, TaskDefinition
from .world import World

# ---- timings (simulated seconds) -------------------------------------------
# A Fargate task's start, each phase drawn per task (inclusive bounds) from the world's
# seeded random: from creation to RUNNING 22-48 s, 27-58 s with ACTIVATING (ECS: 20-60 s)
PROVISIONING_S = (10, 20)  # capacity and ENI attachment (PROVISIONING)
PULL_S = (12, 28)  # registry auth, secrets and image pull (PENDING)
ACTIVATING_S = (5, 10)  # targets registered after the containers started (ACTIVATING)
STOPPING_S = 2  # containers receive SIGTERM and exit
DEPROVISIONING_S = 3  # ENI detachment
APP_READY_S = 2  # a healthy app answers this long after its container starts
NO_HEALTH_CHECK_HEALTHY_S = 40  # without LB or container health check a task counts as healthy after this
STOPPED_RETENTION_S = 3600  # stopped tasks stay describable at least 1 hour
EVENTS_KEPT = 100  # describe-services returns the 100 most recent events
THROTTLE_AFTER = 3  # consecutive launch failures before ECS backs off
THROTTLE_BASE_S = 30
THROTTLE_MAX_S = 27 * 60  # "up to a maximum of 27 minutes" (service throttle logic, ECS guide)

STEADY_REPEAT_S = 6 * 3600  # an unchanged service event is written again after six hours
LIVE_STATES = ("PROVISIONING", "PENDING", "ACTIVATING", "RUNNING")


def now_plus(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)


def circuit_breaker_threshold(desired: int, conf: dict | None = None) -> int:
    """The breaker's ``thresholdConfiguration``: BOUNDED_PERCENT (default, value 50)
    is value % of the desired count rounded up, at least 3, at most 200;
    UNBOUNDED_PERCENT the same without the bounds; COUNT the value itself."""
    conf = conf or {}
    kind = conf.get("type") or "BOUNDED_PERCENT"
    value = conf.get("value")
    value = 50 if value is None else int(value)
    if kind == "COUNT":
        return max(1, value)
    n = math.ceil(value * desired / 100)
    if kind == "UNBOUNDED_PERCENT":
        return max(1, n)
    return max(3, min(200, n))


def parse_matcher(code_spec: str | None) -> set[int]:
    codes: set[int] = set()
    for part in str(code_spec or "200").split(","):
        part = part.strip()
        if "-" in part:
            lo, hi = part.split("-", 1)
            codes.update(range(int(lo), int(hi) + 1))
        elif part:
            codes.add(int(part))
    return codes


def _mib(value: Any) -> int | None:
    """Task/container memory as MiB from '512', 512, '1 GB', '0.5 GB'."""
    if value is None or value == "":
        return None
    s = str(value).strip().upper()
    try:
        if s.endswith("GB"):
            return int(float(s[:-2]) * 1024)
        return int(float(s))
    except ValueError:
        return None


class ServiceState:
    """What the scheduler remembers about a service between steps."""

    def __init__(self) -> None:
        self.steady = False
        self.failures_in_a_row = 0  # tasks that stopped before reaching RUNNING
        self.next_launch_at: datetime | None = None
        self.throttle_announced = False
        self.subnet_rr = 0
        self.no_instances_announced = False
        self.launch_error_announced: str | None = None
        self.replaced_unhealthy = 0
        self.stuck_announced = False  # "unable to stop or start tasks during a deployment"
        self.steady_announced_at: datetime | None = None


class StepEvents:
    """Events produced during one step, flushed per service in a stable order."""

    def __init__(self) -> None:
        self.registered: dict[int, dict[str, int]] = {}
        self.deregistered: dict[int, dict[str, int]] = {}
        self.draining: dict[int, int] = {}
        self.services: dict[int, Any] = {}

    def add(self, table: dict, svc, key=None, n: int = 1) -> None:
        self.services[id(svc)] = svc
        if key is None:
            table[id(svc)] = table.get(id(svc), 0) + n
        else:
            per = table.setdefault(id(svc), {})
            per[key] = per.get(key, 0) + n


class Simulation:
    def __init__(self, clock, images: ImageRegistry, store: EcsStore, world: World) -> None:
        self.clock = clock
        self.images = images
        self.store = store
        self.world = world
        self.loads: dict[tuple[str, str, str, str], dict] = {}  # (acct, region, cluster, service) -> load
        self._ips: dict[str, int] = {}
        self._step_events = StepEvents()
        self.autoscaling = None  # set by the server (autoscaling.AutoScaling)
        self.network_checks = False  # tasks need a route to registries and endpoints

    def reset(self) -> None:
        self.loads.clear()
        self._ips.clear()
        self.images.clear()
        if self.autoscaling is not None:
            self.autoscaling.reset()

    def persistent_state(self) -> dict:
        """The simulation's memory outside the store (the server's snapshot); the
        per-service memory is in the store (Service.sim), the tasks' in the tasks."""
        return {"loads": self.loads, "ips": self._ips,
                "autoscaling": self.autoscaling.persistent_state() if self.autoscaling is not None else None}

    def restore_state(self, state: dict) -> None:
        self.loads = dict(state.get("loads") or {})
        self._ips = dict(state.get("ips") or {})
        if self.autoscaling is not None and state.get("autoscaling") is not None:
            self.autoscaling.restore_state(state["autoscaling"])

    # ------------------------------------------------------------------ helpers
    def _uuid(self) -> str:
        return str(self.world.uuid4())

    def _new_task_id(self) -> str:
        return self._uuid().replace("-", "")

    def _new_deployment_id(self) -> str:
        return f"ecs-svc/{self.world.randint(10**18, 10**19 - 1)}"

    @staticmethod
    def service_key(svc: Service) -> tuple[str, str]:
        return (svc.cluster_name, svc.name)

    @staticmethod
    def state(svc: Service) -> ServiceState:
        st = svc.sim
        if st is None:
            st = ServiceState()
            svc.sim = st
        return st

    def emit(self, svc: Service, message: str, now: datetime | None = None) -> None:
        now = now or self.clock.now()
        svc.events.insert(0, {"id": self._uuid(), "createdAt": now, "message": message})
        del svc.events[EVENTS_KEPT:]

    def service_of(self, region: EcsRegion, task: Task) -> Service | None:
        if task._svc_key is None:
            return None
        return region.services.get(f"{task._svc_key[0]}:{task._svc_key[1]}")

    def tasks_of(self, region: EcsRegion, svc: Service) -> list[Task]:
        key = self.service_key(svc)
        return [t for t in region.tasks.get(svc.cluster_name, {}).values() if t._svc_key == key]

    # ------------------------------------------------------------------ the step
    def step(self, dt: float) -> None:
        now = self.clock.now()
        for region in self.store.all():
            for cluster_tasks in list(region.tasks.values()):
                for task in list(cluster_tasks.values()):
                    if task.last_status != "STOPPED":
                        self.advance_task(region, task, now)
            self._flush_step_events(now)
            for svc in list(region.services.values()):
                if svc.status in ("ACTIVE", "DRAINING") and svc.deployment_controller.get("type", "ECS") != "CODE_DEPLOY":
                    self.reconcile_service(region, svc, now)
            self._flush_step_events(now)  # what the scheduler did (stops drain, launches register)
            self._purge_stopped(region, now)
            self._update_cluster_counts(region)
        if self.autoscaling is not None:
            self.autoscaling.step(now)

    def settle(self, region: EcsRegion, svc: Service | None = None) -> None:
        """Run the scheduler once at the current time (after an API call)."""
        now = self.clock.now()
        if svc is not None:
            self.reconcile_service(region, svc, now)
        self._flush_step_events(now)
        self._update_cluster_counts(region)

    def _flush_step_events(self, now: datetime) -> None:
        ev = self._step_events
        for key, svc in ev.services.items():
            for tg, n in ev.registered.get(key, {}).items():
                self.emit(svc, M.REGISTERED_TARGETS.format(svc=svc.name, n=n, tg=tg), now)
            if ev.draining.get(key):
                self.emit(svc, M.DRAINING.format(svc=svc.name, n=ev.draining[key]), now)
            for tg, n in ev.deregistered.get(key, {}).items():
                self.emit(svc, M.DEREGISTERED_TARGETS.format(svc=svc.name, n=n, tg=tg), now)
        self._step_events = StepEvents()

    def _purge_stopped(self, region: EcsRegion, now: datetime) -> None:
        limit = now - timedelta(seconds=STOPPED_RETENTION_S)
        for cluster, tasks in region.tasks.items():
            stale = [arn for arn, t in tasks.items()
                     if t.last_status == "STOPPED" and t.stopped_at and t.stopped_at < limit]
            for arn in stale:
                del tasks[arn]

    def _update_cluster_counts(self, region: EcsRegion) -> None:
        for cluster in region.clusters.values():
            running = pending = 0
            for t in region.tasks.get(cluster.name, {}).values():
                status = t.last_status
                if status == "RUNNING":
                    running += 1
                elif status in ("PROVISIONING", "PENDING", "ACTIVATING"):
                    pending += 1
            cluster.running_tasks_count = running
            cluster.pending_tasks_count = pending
            cluster.active_services_count = sum(
                1 for s in region.services.values() if s.cluster_name == cluster.name and s.status == "ACTIVE")

    # ------------------------------------------------------------------ launching
    def launch_tasks(self, region: EcsRegion, cluster: Cluster, td: TaskDefinition, count: int, *,
                     now: datetime, group: str, started_by: str | None, launch_type: str | None,
                     capacity_provider_name: str | None, platform_version: str | None,
                     network_configuration: dict | None, overrides: dict | None = None,
                     tags: list | None = None, enable_execute_command: bool = False,
                     svc: Service | None = None, deployment: dict | None = None,
                     subnet_offset: int = 0) -> list[Task]:
        tasks = []
        for i in range(count):
            task_id = self._new_task_id()
            task = Task(task_id=task_id, task_arn=region.arn("task", f"{cluster.name}/{task_id}"),
                        cluster=cluster, task_definition=td, group=group, started_by=started_by,
                        launch_type=launch_type, capacity_provider_name=capacity_provider_name,
                        platform_version=platform_version, overrides=overrides, tags=tags,
                        enable_execute_command=enable_execute_command, now=now)
            task._until = now_plus(now, self.world.randint(*PROVISIONING_S))
            if svc is not None:
                task._svc_key = self.service_key(svc)
                task._deployment_id = deployment["id"] if deployment else None
            task._digests = dict(deployment.get("_digests", {})) if deployment else {}
            self._attach_network(region, task, td, network_configuration, subnet_offset + i)
            task.containers = self._make_containers(region, task, td)
            region.tasks.setdefault(cluster.name, {})[task.task_arn] = task
            tasks.append(task)
        return tasks

    def _attach_network(self, region: EcsRegion, task: Task, td: TaskDefinition, netconf: dict | None,
                        index: int) -> None:
        if td.network_mode != "awsvpc":
            task.availability_zone = ("us-east-1a" if region.region_name == "us-east-1"
                                      else f"{region.region_name}a")
            return
        account, rname = region.account_id, region.region_name
        conf = (netconf or {}).get("awsvpcConfiguration", {})
        subnets = conf.get("subnets") or []
        subnet_id = subnets[index % len(subnets)] if subnets else None
        attachment_id = self._uuid()
        details = []
        if subnet_id:
            try:
                subnet = self.world.subnet(account, rname, subnet_id)
            except Exception:
                subnet = None
            if subnet is not None:
                task.availability_zone = subnet.availability_zone
                task._subnet_id = subnet_id
                task._public_ip = conf.get("assignPublicIp") == "ENABLED"
                ip = self._alloc_ip(account, rname, subnet)
                groups = conf.get("securityGroups") or []
                try:
                    eni = self.world.create_eni(account, rname, subnet_id, ip, groups,
                                                f"arn:aws:ecs:{rname}:{account}:attachment/{attachment_id}")
                except Exception:
                    eni = None
                if eni is not None:
                    eni_id, mac = eni
                    task._eni_id = eni_id
                    dns = f"ip-{ip.replace('.', '-')}.ec2.internal"
                    details = [
                        {"name": "subnetId", "value": subnet_id},
                        {"name": "networkInterfaceId", "value": eni_id},
                        {"name": "macAddress", "value": mac},
                        {"name": "privateDnsName", "value": dns},
                        {"name": "privateIPv4Address", "value": ip},
                    ]
                else:
                    details = [{"name": "subnetId", "value": subnet_id},
                               {"name": "privateIPv4Address", "value": ip}]
                task._ip = ip
        task.attachments = [{"id": attachment_id, "type": "ElasticNetworkInterface",
                             "status": "PRECREATED", "details": details}]

    def _alloc_ip(self, account: str, rname: str, subnet) -> str:
        net = ipaddress.IPv4Network(subnet.cidr_block, strict=False)
        used = self.world.used_ips(account, rname, subnet.id)
        counter = self._ips.get(subnet.id, 10)
        size = net.num_addresses
        for _ in range(size):
            counter = counter + 1 if counter + 1 < size - 1 else 10
            ip = str(net.network_address + counter)
            if ip not in used:
                self._ips[subnet.id] = counter
                return ip
        return str(net.network_address + 10)

    def _make_containers(self, region: EcsRegion, task: Task, td: TaskDefinition) -> list[dict]:
        containers = []
        cluster = task.cluster_name
        overrides = {o.get("name"): o for o in (task.overrides or {}).get("containerOverrides", []) or []}
        for cd in td.container_definitions:
            name = cd.get("name")
            c = {
                "containerArn": region.arn("container", f"{cluster}/{task.id}/{self._uuid()}"),
                "taskArn": task.task_arn,
                "name": name,
                "image": cd.get("image"),
                "lastStatus": "PENDING",
                "networkInterfaces": [],
                "healthStatus": "UNKNOWN",
                "cpu": str(cd.get("cpu", 0)),
            }
            if cd.get("memory") is not None:
                c["memory"] = str(cd.get("memory"))
            if cd.get("memoryReservation") is not None:
                c["memoryReservation"] = str(cd.get("memoryReservation"))
            containers.append(c)
            task._runtime.append({
                "name": name,
                "essential": cd.get("essential", True) is not False,
                "definition": cd,
                "override": overrides.get(name, {}),
                "behavior": None,
                "exit_at": None,
                "exit_kind": None,
                "ready_at": None,
                "hc": None,
            })
        return containers

    # ------------------------------------------------------------------ task life
    def advance_task(self, region, task: Task, now: datetime) -> None:
        # a task moves at most through every due transition in one step
        for _ in range(8):
            if not self._advance_once(region, task, now):
                break

    def _advance_once(self, region, task: Task, now: datetime) -> bool:
        status = task.last_status
        if status == "PROVISIONING":
            if task.desired_status == "STOPPED":
                self._to_deprovisioning(task, now)
                return True
            if now >= task._until:
                task.last_status = "PENDING"
                task.connectivity = "CONNECTED"
                task.connectivity_at = now
                task.pull_started_at = now
                for a in task.attachments:
                    a["status"] = "ATTACHED"
                task._until = now_plus(now, self.world.randint(*PULL_S))
                task.touch()
                return True
            return False
        if status == "ACTIVATING":
            # (a stop moves it on at once: begin_stop)
            if now >= task._until:
                self._reach_running(region, task, now)
                task.touch()
                return True
            return False
        if status == "PENDING":
            if task.desired_status == "STOPPED":
                self._to_deprovisioning(task, now)
                return True
            if now >= task._until:
                failure = self.start_check(region, task)
                if failure is not None:
                    reason, container_reason = failure
                    task.pull_stopped_at = now
                    self.begin_stop(region, task, now, reason, M.STOP_FAILED_TO_START, failure=True,
                                    before_running=True, container_reason=container_reason)
                    return True
                self._start_running(region, task, now)
                return True
            return False
        if status == "RUNNING":
            return self._advance_running(region, task, now)
        if status == "DEACTIVATING":
            if now >= task._until:
                self._finish_draining(region, task, now)
                task.last_status = "STOPPING"
                task._until = now_plus(now, STOPPING_S)
                task.touch()
                return True
            return False
        if status == "STOPPING":
            if now >= task._until:
                for c in task.containers:
                    if c["lastStatus"] != "STOPPED":
                        c["lastStatus"] = "STOPPED"
                        c.setdefault("exitCode", 0)
                task.execution_stopped_at = now
                self._to_deprovisioning(task, now)
                return True
            return False
        if status == "DEPROVISIONING":
            if now >= task._until:
                task.last_status = "STOPPED"
                task.stopped_at = now
                for a in task.attachments:
                    a["status"] = "DELETED"
                if task._eni_id:
                    try:
                        self.world.delete_eni(region.account_id, region.region_name, task._eni_id)
                    except Exception:
                        pass
                    task._eni_id = None
                task.touch()
                return True
            return False
        return False

    def _to_deprovisioning(self, task: Task, now: datetime) -> None:
        if task.desired_status != "STOPPED":
            task.desired_status = "STOPPED"
        for c in task.containers:
            if c["lastStatus"] != "STOPPED":
                c["lastStatus"] = "STOPPED"
        if task.execution_stopped_at is None:
            task.execution_stopped_at = now
        if task.stopping_at is None:
            task.stopping_at = now
        task.last_status = "DEPROVISIONING"
        task._until = now_plus(now, DEPROVISIONING_S)
        task.touch()

    def _start_running(self, region, task: Task, now: datetime) -> None:
        """The image is pulled and the containers start: the task is RUNNING, or first
        ACTIVATING while ECS registers it with what its service names (load balancer
        target groups, service discovery, Service Connect: "Task lifecycle", ECS guide)."""
        task.pull_stopped_at = now
        svc = self.service_of(region, task)
        if svc is not None and (svc.load_balancers or svc.service_registries
                                or (svc.service_connect_configuration or {}).get("enabled")):
            task.last_status = "ACTIVATING"
            task._until = now_plus(now, self.world.randint(*ACTIVATING_S))
        else:
            self._reach_running(region, task, now)
        td_mem = _mib(task.memory)
        for c, rt in zip(task.containers, task._runtime):
            beh: Behavior = rt["behavior"] or Behavior()
            c["lastStatus"] = "RUNNING"
            c["runtimeId"] = f"{task.id}-{int(hashlib.sha256(c['name'].encode()).hexdigest()[:8], 16) % 10**10:010d}"
            if task._ip:
                c["networkInterfaces"] = [{"attachmentId": task.attachments[0]["id"], "privateIpv4Address": task._ip}]
            limit = _mib(rt["definition"].get("memory")) or td_mem
            # a crash image exits for want of its required setting; given it, it runs
            configured = beh.kind == "crash" and self._sets(rt, beh.requires)
            if beh.kind == "crash" and not configured:
                rt["exit_at"], rt["exit_kind"] = now_plus(now, CRASH_AFTER), "crash"
            elif beh.kind == "oom" or (limit is not None and beh.memory_mib > limit):
                rt["exit_at"], rt["exit_kind"] = now_plus(now, OOM_AFTER), "oom"
            delay = beh.start_delay if beh.kind == "slow-start" else APP_READY_S
            rt["ready_at"] = now_plus(now, delay)
            self._log(rt, now, [line.replace("{requires}", beh.requires) for line in
                                APP_LOG.get("configured" if configured else beh.kind, {}).get("start", [])])
            rt["ready_logged"] = False
            hc = rt["definition"].get("healthCheck")
            if hc:
                c["healthStatus"] = "UNKNOWN"
                rt["hc"] = {
                    "interval": int(hc.get("interval", 30) or 30),
                    "retries": int(hc.get("retries", 3) or 3),
                    "start_period": int(hc.get("startPeriod", 0) or 0),
                    "command": " ".join(str(x) for x in hc.get("command", [])),
                    "next": now_plus(now, int(hc.get("interval", 30) or 30)),
                    "fails": 0,
                }
        for a in task.attachments:
            a["status"] = "ATTACHED"
        if svc is not None and svc.load_balancers:
            self._register_targets(region, svc, task, now)
        task.touch()

    def _reach_running(self, region, task: Task, now: datetime) -> None:
        task.last_status = "RUNNING"
        task.started_at = now
        svc = self.service_of(region, task)
        if svc is not None:
            st = self.state(svc)
            st.failures_in_a_row = 0
            st.next_launch_at = None
            st.throttle_announced = False

    # ---- checks at pull time ------------------------------------------------
    def start_check(self, region: EcsRegion, task: Task) -> tuple[str, str | None] | None:
        """Secrets, registry auth and image pull, as the Fargate agent does them.
        Returns (task stoppedReason, container reason) or None when all is well."""
        td = region.task_definition(task.task_definition_arn)
        if td is None:  # a task definition the provider no longer has: nothing left to check
            return None
        account, rname = region.account_id, region.region_name
        role = self.world.role(account, td.execution_role_arn) if td.execution_role_arn else None
        principal = iam_eval.assumed_role_principal(account, role, task.id) if role else None
        rid = self._uuid()
        refs = [parse_image(c.get("image") or "") for c in td.container_definitions]

        secrets = []
        for cd in td.container_definitions:
            secrets.extend(cd.get("secrets") or [])
            secrets.extend((cd.get("logConfiguration") or {}).get("secretOptions") or [])
        ssm_refs = [s.get("valueFrom", "") for s in secrets if ":secretsmanager:" not in s.get("valueFrom", "")]
        asm_refs = [s.get("valueFrom", "") for s in secrets if ":secretsmanager:" in s.get("valueFrom", "")]

        # 0) optional: can the task's ENI reach the endpoints at all?
        if self.network_checks and task._subnet_id:
            failure = self._check_egress(region, task, refs, ssm_refs, asm_refs)
            if failure:
                return failure
        # 1) registry auth for private ECR images (execution role; on EC2 without one,
        #    the container instance role pulls, and instance roles are not simulated)
        instance_pulls = role is None and task.launch_type == "EC2"
        if any(r.ecr for r in refs) and not instance_pulls:
            if role is None:
                return M.NO_EXECUTION_ROLE.format(what="ecr registry auth"), None
            why = iam_eval.denied_because(role, "ecr:GetAuthorizationToken", "*")
            if why:
                return M.ECR_AUTH_DENIED.format(rid=rid, principal=principal, action="ecr:GetAuthorizationToken",
                                                why=why, resource="*"), None
        # 2) secrets (execution role)
        if secrets and role is None:
            return M.NO_EXECUTION_ROLE.format(what="secrets"), None
        if ssm_refs:
            failure = self._check_ssm(account, rname, role, principal, rid, ssm_refs)
            if failure:
                return failure, None
        for ref in asm_refs:
            failure = self._check_asm(role, principal, rid, ref)
            if failure:
                return failure, None
        # 3) image pull per container
        for ref, rt in zip(refs, task._runtime):
            if not ref.ecr:
                rt["behavior"] = Behavior()  # public registries: assumed reachable and healthy
                continue
            repo_arn = f"arn:aws:ecr:{ref.region}:{ref.account}:repository/{ref.repo}"
            if not instance_pulls and not (iam_eval.is_allowed(role, "ecr:BatchGetImage", repo_arn)
                                           and iam_eval.is_allowed(role, "ecr:GetDownloadUrlForLayer", repo_arn)):
                reason = M.PULL_FORBIDDEN.format(image=ref.raw, host=ref.host, ref=ref.ref)
                return reason, reason
            digest = self._resolve_image(ref, task._digests.get(rt["name"]), rt["definition"])
            if digest is None:
                reason = M.PULL_NOT_FOUND.format(image=ref.raw)
                return reason, reason
            rt["behavior"] = self.images.behavior_for(ref.account, ref.region, ref.repo, digest)
            for c in task.containers:
                if c["name"] == rt["name"]:
                    c["imageDigest"] = digest
        # 4) log streams for awslogs (execution role on Fargate)
        for rt in task._runtime:
            failure = self._open_log_stream(region, task, rt, role, principal, rid)
            if failure:
                return failure, None
        return None

    def _open_log_stream(self, region: EcsRegion, task: Task, rt: dict, role, principal, rid) -> str | None:
        log = rt["definition"].get("logConfiguration") or {}
        if log.get("logDriver") != "awslogs":
            return None
        opts = log.get("options") or {}
        group_name = opts.get("awslogs-group")
        if not group_name:
            return None
        account = region.account_id
        log_region = opts.get("awslogs-region") or region.region_name
        prefix = opts.get("awslogs-stream-prefix")
        stream = f"{prefix}/{rt['name']}/{task.id}" if prefix else task.id
        try:
            exists = self.world.log_group_exists(account, log_region, group_name)
        except Exception:  # a region CloudWatch Logs does not have
            return None
        check = role is not None
        group_arn = f"arn:aws:logs:{log_region}:{account}:log-group:{group_name}"
        if not exists:
            if str(opts.get("awslogs-create-group", "")).lower() != "true":
                return M.LOG_GROUP_MISSING
            why = iam_eval.denied_because(role, "logs:CreateLogGroup", group_arn + ":*") if check else None
            if why:
                return M.LOG_DENIED.format(what="group", principal=principal, action="logs:CreateLogGroup", why=why,
                                           resource=group_arn + ":log-stream:", rid=rid)
            self.world.create_log_group(account, log_region, group_name)
        stream_arn = f"{group_arn}:log-stream:{stream}"
        why = iam_eval.denied_because(role, "logs:CreateLogStream", stream_arn) if check else None
        if why:
            return M.LOG_DENIED.format(what="stream", principal=principal, action="logs:CreateLogStream", why=why,
                                       resource=stream_arn, rid=rid)
        self.world.create_log_stream(account, log_region, group_name, stream)
        rt["log"] = (account, log_region, group_name, stream)
        return None

    def _log(self, rt: dict, when: datetime, lines: list[str]) -> None:
        target = rt.get("log")
        if not target or not lines:
            return
        ports = [pm.get("containerPort") for pm in rt["definition"].get("portMappings") or []]
        port = next((p for p in ports if p), 80)
        lines = [line.replace("{port}", str(port)) for line in lines]
        account, log_region, group, stream = target
        ms = int(when.timestamp() * 1000)
        try:
            self.world.put_log_events(account, log_region, group, stream,
                                      [{"timestamp": ms + i, "message": line} for i, line in enumerate(lines)])
        except Exception:
            pass

    def _check_egress(self, region: EcsRegion, task: Task, refs, ssm_refs, asm_refs) -> tuple[str, str | None] | None:
        account, rname = region.account_id, region.region_name
        subnet, public = task._subnet_id, task._public_ip

        def egress(service: str) -> bool:
            return self.world.egress(account, rname, subnet, public, service)

        if any(r.ecr for r in refs) and not egress("ecr"):
            return M.ECR_AUTH_TIMEOUT.format(region=rname, ip="52.46.145.142"), None
        if ssm_refs and not egress("ssm"):
            return M.SSM_TIMEOUT, None
        if asm_refs and not egress("secretsmanager"):
            return M.ASM_TIMEOUT.format(secret=":".join(asm_refs[0].split(":")[:7])), None
        for ref in refs:
            if ref.ecr or egress("docker"):
                continue
            host, path, tag = docker_parts(ref.raw)
            reason = M.PULL_TIMEOUT.format(
                image=f"{'docker.io' if host == 'registry-1.docker.io' else host}/{path}:{tag}",
                host=host, path=path, ref=tag, ip="54.236.113.205")
            return reason, reason
        return None

    def _image_digest(self, ref, tag: str | None = None, digest: str | None = None) -> str | None:
        try:
            return self.world.image_digest(ref.account, ref.region, ref.repo, tag=tag, digest=digest)
        except Exception:
            return None

    def resolve_digest_now(self, image: str) -> str | None:
        """The digest an ECR image reference names now (tag or digest), None if none."""
        ref = parse_image(image)
        if not ref.ecr:
            return None
        return self._image_digest(ref, tag=None if ref.digest else ref.tag, digest=ref.digest)

    def _resolve_image(self, ref, pinned: str | None, definition: dict) -> str | None:
        """The digest a task pulls: the one resolved when the deployment started
        (version consistency), else whatever the tag points at now."""
        if pinned and definition.get("versionConsistency", "enabled") != "disabled":
            return pinned if self._image_digest(ref, digest=pinned) == pinned else None
        return self._image_digest(ref, tag=None if ref.digest else ref.tag, digest=ref.digest)

    def _check_ssm(self, account, region, role, principal, rid, refs: list[str]) -> str | None:
        missing = []
        for ref in refs:
            if ref.startswith("arn:"):
                parts = ref.split(":", 5)
                p_region, p_account = parts[3], parts[4]
                name = parts[5].split("parameter", 1)[1] if "parameter" in parts[5] else parts[5]
                if not name.startswith("/"):
                    name = "/" + name.lstrip("/") if name.startswith("/") else name.lstrip("/")
                arn = ref
            else:
                p_region, p_account, name = region, account, ref
                arn = f"arn:aws:ssm:{region}:{account}:parameter/{ref.lstrip('/')}"
            why = iam_eval.denied_because(role, "ssm:GetParameters", arn)
            if why:
                return M.SSM_DENIED.format(rid=rid, principal=principal, action="ssm:GetParameters", resource=arn,
                                           why=why)
            lookup = name if ref.startswith("arn:") else ref
            try:
                found = self.world.ssm_parameter_exists(p_account, p_region, lookup)
            except Exception:
                found = False
            if not found:
                missing.append(ref if not ref.startswith("arn:") else name)
        if missing:
            return M.SSM_INVALID.format(names=" ".join(missing))
        return None

    def _check_asm(self, role, principal, rid, ref: str) -> str | None:
        parts = ref.split(":")
        # arn:aws:secretsmanager:region:account:secret:name[:json-key:version-stage:version-id]
        base = ":".join(parts[:7])
        json_key = parts[7] if len(parts) > 7 and parts[7] else None
        s_region, s_account = (parts[3], parts[4]) if len(parts) > 4 else ("", "")
        try:
            secret = self.world.secret(s_account, s_region, base)
        except Exception:
            secret = None
        resource = secret.arn if secret is not None else base
        why = iam_eval.denied_because(role, "secretsmanager:GetSecretValue", resource)
        if why:
            return M.ASM_DENIED.format(rid=rid, principal=principal, action="secretsmanager:GetSecretValue", why=why,
                                       resource=resource, secret=base)
        if secret is None or secret.deleted:
            return M.ASM_NOT_FOUND.format(rid=rid, secret=base)
        if json_key:
            try:
                value = json.loads(secret.secret_string or "")
            except (ValueError, TypeError):
                value = None
            if not isinstance(value, dict) or json_key not in value:
                return M.ASM_NO_JSON_KEY.format(key=json_key)
        return None

    # ---- running tasks ---------------------------------------------------------
    def _advance_running(self, region, task: Task, now: datetime) -> bool:
        svc = self.service_of(region, task)
        changed = False
        # containers exiting on their own
        for c, rt in zip(task.containers, task._runtime):
            if c["lastStatus"] == "RUNNING" and rt["exit_at"] is not None and now >= rt["exit_at"]:
                c["lastStatus"] = "STOPPED"
                if rt["exit_kind"] == "oom":
                    c["exitCode"] = 137
                    c["reason"] = M.OOM_CONTAINER_REASON
                else:
                    beh = rt["behavior"] or Behavior()
                    code = beh.exit_code
                    c["exitCode"] = code
                    self._log(rt, rt["exit_at"], [line.format(exit_code=code, requires=beh.requires)
                                                  for line in APP_LOG.get("crash", {}).get("exit", [])])
                changed = True
                if rt["essential"]:
                    self.begin_stop(region, task, now, M.ESSENTIAL_EXITED, M.STOP_ESSENTIAL, failure=True)
                    return True
        for c, rt in zip(task.containers, task._runtime):
            if not rt.get("ready_logged") and rt["ready_at"] is not None and now >= rt["ready_at"] \
                    and c["lastStatus"] == "RUNNING":
                rt["ready_logged"] = True
                beh = rt["behavior"] or Behavior()
                self._log(rt, rt["ready_at"], APP_LOG.get(beh.kind, {}).get("ready", []))
        # container health checks
        for c, rt in zip(task.containers, task._runtime):
            hc = rt["hc"]
            if hc is None or c["lastStatus"] != "RUNNING":
                continue
            while now >= hc["next"]:
                at = hc["next"]
                hc["next"] = now_plus(at, hc["interval"])
                ok = self._app_answers(rt, at, hc["command"], container_check=True)
                in_start_period = at < now_plus(task.started_at, hc["start_period"])
                if ok:
                    hc["fails"] = 0
                    if c["healthStatus"] != "HEALTHY":
                        c["healthStatus"] = "HEALTHY"
                        changed = True
                elif not in_start_period:
                    hc["fails"] += 1
                    if hc["fails"] >= hc["retries"] and c["healthStatus"] != "UNHEALTHY":
                        c["healthStatus"] = "UNHEALTHY"
                        changed = True
        self._update_task_health(task)
        # load balancer health checks
        for tgt in task._targets:
            if tgt["state"] in ("draining", "gone"):
                continue
            if now < tgt["next_check"]:
                continue
            tg = self._target_group(region, tgt["tg"])
            if tg is None:
                continue
            interval = int(tg.health_check_interval_seconds or 30)
            while now >= tgt["next_check"]:
                at = tgt["next_check"]
                tgt["next_check"] = now_plus(at, interval)
                ok, code = self._target_check(task, tgt, tg, at)
                self._apply_target_result(region, tgt, tg, ok, code)
        # past the grace period an unhealthy task is marked for replacement; the
        # scheduler starts its replacement first and stops it once that one is
        # healthy (reconcile_service), as ECS has done since October 2023
        if svc is not None and task.desired_status == "RUNNING" and task._unhealthy is None:
            grace = int(getattr(svc, "health_check_grace_period_seconds", 0) or 0)
            past_grace = now >= now_plus(task.started_at, grace)
            if past_grace:
                bad = next((t for t in task._targets if t["state"] == "unhealthy"), None)
                if bad is not None:
                    self.emit(svc, M.UNHEALTHY_TARGET.format(svc=svc.name, task=task.id, port=bad["port"],
                                                             tg=bad["tg"], reason=bad["desc"]), now)
                    self._mark_unhealthy(region, svc, task, M.ELB_HEALTH.format(tg=bad["tg"]), now)
                    changed = True
                elif task.health_status == "UNHEALTHY":
                    self.emit(svc, M.FAILED_CONTAINER_HC.format(svc=svc.name, task=task.id), now)
                    self._mark_unhealthy(region, svc, task, M.CONTAINER_HEALTH, now)
                    changed = True
        if changed:
            task.touch()
        return False

    def _mark_unhealthy(self, region, svc, task: Task, reason: str, now: datetime) -> None:
        """The task failed its health checks: it counts as a failure for the
        circuit breaker now and is replaced (and then stopped) by the scheduler."""
        task._unhealthy = reason
        st = self.state(svc)
        st.replaced_unhealthy += 1
        st.steady = False
        self.record_failure(region, svc, task, now, before_running=False)

    @staticmethod
    def _count_lost(svc, task: Task) -> None:
        """A task of an older deployment, still listed, stopped by a failure or by hand:
        the scheduler replaces it with a task of that deployment."""
        dep = next((d for d in svc.deployments[1:] if d["id"] == task._deployment_id), None)
        if dep is not None and dep.get("rolloutState") != "FAILED" and task.desired_status == "STOPPED":
            dep["_owed"] = dep.get("_owed", 0) + 1

    def scale_out_older_deployments(self, region, svc, n: int) -> None:
        """Auto scaling's scale-out during a rollout grows every older deployment that
        still serves, not only the new one, so the running version can take the load
        even if the new one fails (ECS since November 2025)."""
        for dep in svc.deployments[1:]:
            if dep.get("rolloutState") == "FAILED":
                continue
            if any(t._deployment_id == dep["id"] and t.desired_status == "RUNNING" for t in self.tasks_of(region, svc)):
                dep["_owed"] = dep.get("_owed", 0) + n

    def _stop_unhealthy(self, region, svc, tasks: list[Task], now: datetime) -> None:
        for task in tasks:
            self.begin_stop(region, task, now, task._unhealthy, M.STOP_SCHEDULER, scheduler_event=True)

    @staticmethod
    def _update_task_health(task: Task) -> None:
        states = [c["healthStatus"] for c, rt in zip(task.containers, task._runtime) if rt["hc"] and rt["essential"]]
        if not states:
            task.health_status = "UNKNOWN"
        elif "UNHEALTHY" in states:
            task.health_status = "UNHEALTHY"
        elif all(s == "HEALTHY" for s in states):
            task.health_status = "HEALTHY"
        else:
            task.health_status = "UNKNOWN"

    @staticmethod
    def _app_answers(rt: dict, at: datetime, path_or_command: str, container_check: bool = False) -> bool:
        beh: Behavior = rt["behavior"] or Behavior()
        if rt["ready_at"] is None or at < rt["ready_at"]:
            return False
        if rt["exit_at"] is not None and at >= rt["exit_at"]:
            return False
        if beh.kind == "no-health" and "health" in (path_or_command or "").lower():
            return False
        return True

    @staticmethod
    def _sets(rt: dict, name: str) -> bool:
        """Whether the container gets the setting ``name``: a non-empty value in its
        ``environment`` (as the task's container overrides leave it) or an entry in its
        ``secrets`` (fetched before it started, so it has a value)."""
        env = {e.get("name"): e.get("value") for e in rt["definition"].get("environment") or []}
        env.update({e.get("name"): e.get("value") for e in rt["override"].get("environment") or []})
        if env.get(name):
            return True
        return any(s.get("name") == name for s in rt["definition"].get("secrets") or [])

    # ---- load balancer ---------------------------------------------------------
    def _target_group(self, region: EcsRegion, arn: str):
        try:
            return self.world.target_group(region.account_id, region.region_name, arn)
        except Exception:
            return None

    def _set_health(self, region: EcsRegion, tg_arn: str, ip: str, state: str | None,
                    reason: str | None = None, description: str | None = None) -> None:
        self.world.set_target_health(region.account_id, region.region_name, tg_arn, ip, state, reason, description)

    def _register_targets(self, region: EcsRegion, svc: Service, task: Task, now: datetime) -> None:
        if not task._ip:
            return
        dep = next((d for d in svc.history if d["id"] == task._deployment_id), None)
        pairs = task_sets.target_groups(svc, task)  # a task set's task: its task set's target groups
        if pairs is None:
            pairs = zip(svc.load_balancers or [], strategies.serving_target_groups(svc, dep))
        for lb, arn in pairs:
            tg = self._target_group(region, arn) if arn else None
            if tg is None:
                continue
            port = int(lb.get("containerPort") or tg.port or 80)
            self.world.register_target(region.account_id, region.region_name, arn, task._ip, port)
            self._set_health(region, arn, task._ip, "initial", "Elb.RegistrationInProgress",
                             "Target registration is in progress")
            interval = int(tg.health_check_interval_seconds or 30)
            task._targets.append({"tg": arn, "ip": task._ip, "port": port, "container": lb.get("containerName"),
                                  "state": "initial", "passes": 0, "fails": 0, "desc": "",
                                  "next_check": now_plus(now, interval), "drain_until": None})
            self._step_events.add(self._step_events.registered, svc, arn)

    def _target_check(self, task: Task, tgt: dict, tg, at: datetime) -> tuple[bool, int | None]:
        rt = next((r for r in task._runtime if r["name"] == tgt["container"]),
                  task._runtime[0] if task._runtime else None)
        if rt is None or not tg.health_check_enabled:
            return True, 200
        if not self._app_answers(rt, at, "", False):
            return False, None  # connection refused / timeout
        listening = self._listening_ports(rt)
        if listening is not None and self._health_check_port(tgt, tg) not in listening:
            return False, None  # nothing listens on the health check port
        protocol = (tg.health_check_protocol or "HTTP").upper()
        if protocol not in ("HTTP", "HTTPS"):
            return True, None
        path = tg.health_check_path or "/"
        beh: Behavior = rt["behavior"] or Behavior()
        code = 404 if beh.kind == "no-health" and "health" in path.lower() else 200
        if code == 404:
            self._log(rt, at, [f'[info] "GET {path} HTTP/1.1" 404 "ELB-HealthChecker/2.0"'])
        matcher = parse_matcher(tg.matcher)
        return code in matcher, code

    @staticmethod
    def _health_check_port(tgt: dict, tg) -> int | None:
        port = tg.health_check_port
        if port in (None, "", "traffic-port"):
            return tgt["port"]
        try:
            return int(port)
        except (TypeError, ValueError):
            return tgt["port"]

    @staticmethod
    def _listening_ports(rt: dict) -> set[int] | None:
        """The app listens on its container's mapped ports (None: it maps none, any will do)."""
        ports = {pm.get("containerPort") for pm in rt["definition"].get("portMappings") or []}
        return ports or None

    def _apply_target_result(self, region: EcsRegion, tgt: dict, tg, ok: bool, code: int | None) -> None:
        healthy_n = int(tg.healthy_threshold_count or 5)
        unhealthy_n = int(tg.unhealthy_threshold_count or 2)
        if ok:
            tgt["passes"] += 1
            tgt["fails"] = 0
            # a newly registered target needs one passing check; an unhealthy one
            # HealthyThresholdCount in a row (ALB "Health checks for your target groups")
            if tgt["state"] != "healthy" and (tgt["state"] == "initial" or tgt["passes"] >= healthy_n):
                tgt["state"] = "healthy"
        else:
            tgt["fails"] += 1
            tgt["passes"] = 0
            if code is not None:
                tgt["reason"], tgt["desc"] = ("Target.ResponseCodeMismatch",
                                              f"Health checks failed with these codes: [{code}]")
            else:
                tgt["reason"], tgt["desc"] = "Target.FailedHealthChecks", "Health checks failed"
            if tgt["state"] != "unhealthy" and tgt["fails"] >= unhealthy_n:
                tgt["state"] = "unhealthy"
        if not getattr(tg, "load_balancer_arns", None):
            # no listener routes to the group: ELB shows its targets as unused (ECS's own
            # view of the task, tgt["state"], goes on from the checks)
            self._set_health(region, tgt["tg"], tgt["ip"], "unused", M.TARGET_NOT_IN_USE,
                             M.TARGET_NOT_IN_USE_DESC)
        elif tgt["state"] == "healthy":
            self._set_health(region, tgt["tg"], tgt["ip"], "healthy")
        elif tgt["state"] == "unhealthy":
            self._set_health(region, tgt["tg"], tgt["ip"], "unhealthy", tgt["reason"], tgt["desc"])
        else:
            self._set_health(region, tgt["tg"], tgt["ip"], "initial", "Elb.RegistrationInProgress",
                             "Target registration is in progress")

    def _start_draining(self, region: EcsRegion, svc: Service | None, task: Task, now: datetime) -> float:
        """Deregister the task's targets; returns how long draining lasts."""
        longest = 0.0
        for tgt in task._targets:
            if tgt["state"] in ("draining", "gone"):
                continue
            tg = self._target_group(region, tgt["tg"])
            if tg is None:
                tgt["state"] = "gone"
                continue
            delay = float(tg.deregistration_delay_seconds or 0)
            tgt["state"] = "draining"
            tgt["drain_until"] = now_plus(now, delay)
            self._set_health(region, tgt["tg"], task._ip, "draining", "Target.DeregistrationInProgress",
                             "Target deregistration is in progress")
            longest = max(longest, delay)
        return longest

    def _finish_draining(self, region: EcsRegion, task: Task, now: datetime) -> None:
        svc = self.service_of(region, task)
        for tgt in task._targets:
            if tgt["state"] != "draining":
                continue
            tgt["state"] = "gone"
            tg = self._target_group(region, tgt["tg"])
            if tg is None:
                continue
            self.world.deregister_target(region.account_id, region.region_name, tgt["tg"], task._ip)
            if svc is not None:
                self._step_events.add(self._step_events.deregistered, svc, tgt["tg"])

    # ---- stopping ---------------------------------------------------------------
    def begin_stop(self, region, task: Task, now: datetime, reason: str, stop_code: str, *,
                   failure: bool = False, before_running: bool = False, container_reason: str | None = None,
                   scheduler_event: bool = False, unhealthy: bool = False) -> None:
        """Start stopping a task. The service's "has stopped" event is written by
        the caller that decides (scheduler) or here for health replacements."""
        if task.desired_status == "STOPPED" and task.last_status not in LIVE_STATES:
            return
        svc = self.service_of(region, task)
        was_running = task.last_status in ("RUNNING", "ACTIVATING")  # its containers run
        task.desired_status = "STOPPED"
        if task.stopped_reason is None:
            task.stopped_reason = reason
            task.stop_code = stop_code
        task.stopping_at = now
        if container_reason:
            for c in task.containers:
                if c["lastStatus"] != "STOPPED":
                    c["reason"] = container_reason
        if svc is not None and scheduler_event:
            self.emit(svc, M.STOPPED.format(svc=svc.name, n=1, tasks=f"(task {task.id})"), now)
        if svc is not None and unhealthy:
            self.state(svc).replaced_unhealthy += 1
        if failure and svc is not None:
            self.record_failure(region, svc, task, now, before_running=before_running)
        if svc is not None and stop_code != M.STOP_SCHEDULER:
            self._count_lost(svc, task)
        if svc is not None:
            self.state(svc).steady = False
        if was_running:
            drain = self._start_draining(region, svc, task, now) if task._targets else 0.0
            if drain > 0 or task._targets:
                if svc is not None and task._targets:
                    self._step_events.add(self._step_events.draining, svc)
                task.last_status = "DEACTIVATING"
                task._until = now_plus(now, drain)
            else:
                task.last_status = "STOPPING"
                task._until = now_plus(now, STOPPING_S)
        elif task.last_status in ("PROVISIONING", "PENDING", "ACTIVATING"):
            self._to_deprovisioning(task, now)
        task.touch()

    def stop_by_user(self, region, task: Task, reason: str | None) -> None:
        now = self.clock.now()
        if task.desired_status == "STOPPED":
            return
        self.begin_stop(region, task, now, reason or M.USER_STOPPED, M.STOP_USER)
        self._flush_step_events(now)  # "has begun draining connections" for stop-task too

    # ---- circuit breaker ---------------------------------------------------------
    def record_failure(self, region, svc, task: Task, now: datetime, before_running: bool) -> None:
        st = self.state(svc)
        if before_running:
            st.failures_in_a_row += 1
            if st.failures_in_a_row >= THROTTLE_AFTER:
                delay = min(THROTTLE_MAX_S, THROTTLE_BASE_S * 2 ** (st.failures_in_a_row - THROTTLE_AFTER))
                st.next_launch_at = now_plus(now, delay)
                if not st.throttle_announced:
                    st.throttle_announced = True
                    self.emit(svc, M.THROTTLED.format(svc=svc.name), now)
        dep = next((d for d in svc.deployments if d["id"] == task._deployment_id), None)
        if dep is None:
            return
        dep["failedTasks"] = dep.get("failedTasks", 0) + 1
        dep["updatedAt"] = now
        primary = svc.deployments[0]
        if dep is not primary or dep.get("rolloutState") != "IN_PROGRESS":
            return
        breaker = (getattr(svc, "deployment_configuration", None) or {}).get("deploymentCircuitBreaker") or {}
        if not breaker.get("enable") or dep.get("_strategy"):
            return  # the breaker watches rolling updates only (DeploymentCircuitBreaker, API reference)
        threshold = circuit_breaker_threshold(dep.get("desiredCount", svc.desired_count),
                                              breaker.get("thresholdConfiguration"))
        if dep["failedTasks"] >= threshold:
            self.trip_breaker(region, svc, dep, bool(breaker.get("rollback")), now)

    def trip_breaker(self, region, svc, dep: dict, rollback: bool, now: datetime) -> None:
        dep["rolloutState"] = "FAILED"
        dep["rolloutStateReason"] = M.ROLLOUT_BREAKER_FAILED
        dep["updatedAt"] = now
        dep["_finished_at"] = now
        self.emit(svc, M.DEPLOYMENT_FAILED.format(svc=svc.name, dep=dep["id"]), now)
        # a failed rollback is not rolled back again: it stalls, as ECS does when
        # no deployment is COMPLETED (the rollback's target is IN_PROGRESS again)
        if not rollback or dep.get("_rollback"):
            return
        target = next((d for d in svc.deployments[1:] if d.get("_completed")), None)
        if target is None:
            return
        self.begin_rollback(region, svc, dep, target, now)

    def begin_rollback(self, region, svc, dep: dict, target: dict, now: datetime, reason: str | None = None) -> dict:
        """A rollback deployment that returns to ``target`` (the last completed one) and
        takes over its running tasks; the failed ``dep`` is left to be scaled in."""
        new = self.new_deployment(region, svc, target["taskDefinition"], now, rollback_of=target)
        if reason:
            new["rolloutStateReason"] = reason
        new["_rollback"] = True
        new["_rollback_for"] = dep["id"]  # the failed deployment it rolls back
        new["_revision_of"] = target.get("_revision_of") or target["id"]  # it runs the target's revision
        new["_sources"] = [dep["id"]]
        new["_reason"] = new["rolloutStateReason"]  # why it rolled back, kept once it completes
        for key in ("_configuration", "_load_balancers", "_service_registries", "_tgs"):
            if key in target:
                new[key] = target[key]
        target["_completed"] = False
        # the rollback takes over the target's tasks as they run, pinned digests and all
        for t in self.tasks_of(region, svc):
            if t._deployment_id == target["id"] and t.desired_status == "RUNNING":
                t._deployment_id = new["id"]
        dep["status"] = "ACTIVE"
        svc.deployments.insert(0, new)
        svc.task_definition = target["taskDefinition"]
        st = self.state(svc)
        st.failures_in_a_row = 0
        st.next_launch_at = None
        st.throttle_announced = False
        self.emit(svc, M.ROLLING_BACK.format(svc=svc.name, dep=target["id"]), now)
        return new

    # ---- deployments -------------------------------------------------------------
    def new_deployment(self, region: EcsRegion, svc: Service, task_definition_arn: str, now: datetime,
                       rollback_of: dict | None = None) -> dict:
        """A new deployment dict (not yet in svc.deployments); it is appended to
        svc.history, the service's deployments oldest first."""
        dep_id = self._new_deployment_id()
        digests = {}
        td = region.task_definition(task_definition_arn)
        if td is not None:
            for cd in td.container_definitions:
                d = self.resolve_digest_now(cd.get("image") or "")
                if d:
                    digests[cd.get("name")] = d
        if rollback_of is not None:
            digests = dict(rollback_of.get("_digests", digests))
        launch_type = svc.launch_type
        dep = {
            "id": dep_id,
            "status": "PRIMARY",
            "taskDefinition": task_definition_arn,
            "desiredCount": svc.desired_count,
            "pendingCount": 0,
            "runningCount": 0,
            "failedTasks": 0,
            "createdAt": now,
            "updatedAt": now,
            "launchType": launch_type,
            "capacityProviderStrategy": getattr(svc, "capacity_provider_strategy", None) or None,
            "platformVersion": svc.platform_version if launch_type != "EC2" else None,
            "platformFamily": "Linux" if (launch_type == "FARGATE" or getattr(svc, "capacity_provider_strategy", None)) else None,
            "networkConfiguration": svc.network_configuration or None,
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": (M.ROLLOUT_BREAKER_ROLLBACK.format(dep=rollback_of["id"]) if rollback_of
                                   else M.ROLLOUT_IN_PROGRESS.format(dep=dep_id)),
            "_digests": digests,
            "_completed": False,
        }
        if dep["capacityProviderStrategy"] is None:
            del dep["capacityProviderStrategy"]
        svc.history.append(dep)
        return dep

    def start_deployment(self, region: EcsRegion, svc: Service, task_definition_arn: str) -> dict:
        now = self.clock.now()
        for d in svc.deployments:
            d["status"] = "ACTIVE"
        dep = self.new_deployment(region, svc, task_definition_arn, now)
        svc.deployments.insert(0, dep)
        strategies.begin(self, region, svc, dep, now)
        st = self.state(svc)
        st.failures_in_a_row = 0
        st.next_launch_at = None
        st.throttle_announced = False
        st.steady = False
        st.launch_error_announced = None
        st.stuck_announced = False
        return dep

    # ---- the service scheduler ---------------------------------------------------
    def _is_healthy(self, svc, task: Task, now: datetime) -> bool:
        if task.last_status != "RUNNING" or task.desired_status != "RUNNING":
            return False
        container_checked = any(rt["hc"] for rt in task._runtime if rt["essential"])
        if svc.load_balancers and task._targets:
            # both checks when both are defined ("How Amazon ECS determines task health")
            return all(t["state"] == "healthy" for t in task._targets) and (
                not container_checked or task.health_status == "HEALTHY")
        if container_checked:
            return task.health_status == "HEALTHY"
        return now >= now_plus(task.started_at, NO_HEALTH_CHECK_HEALTHY_S)

    def reconcile_service(self, region, svc, now: datetime) -> None:
        if task_sets.drives(svc):  # EXTERNAL controller: its task sets hold the tasks (task_sets.py)
            return task_sets.reconcile(self, region, svc, now)
        st = self.state(svc)
        tasks = self.tasks_of(region, svc)
        not_stopped = [t for t in tasks if t.last_status != "STOPPED"]
        live = [t for t in not_stopped if t.desired_status == "RUNNING"]

        if svc.status == "DRAINING":
            self._stop_tasks(region, svc, live, now, svc.deployments[0]["id"] if svc.deployments else "")
            if not [t for t in self.tasks_of(region, svc) if t.last_status != "STOPPED"]:
                svc.status = "INACTIVE"
                svc.running_count = svc.pending_count = 0
            self._update_counts(svc, self.tasks_of(region, svc))
            return
        if not svc.deployments:
            return
        if strategies.drives(svc):
            strategies.reconcile(self, region, svc, now)
            return
        primary = svc.deployments[0]
        desired = int(svc.desired_count or 0)
        primary["desiredCount"] = desired
        conf = getattr(svc, "deployment_configuration", None) or {}
        max_pct = conf.get("maximumPercent", 200)
        min_pct = conf.get("minimumHealthyPercent", 100)
        max_total = math.floor(desired * max_pct / 100)
        min_healthy = math.ceil(desired * min_pct / 100)

        mine = [t for t in live if t._deployment_id == primary["id"]]
        old = [t for t in live if t._deployment_id != primary["id"]]
        # tasks marked unhealthy still run and count against maximumPercent, but a
        # replacement is started for each
        unhealthy = sorted((t for t in mine if t._unhealthy is not None), key=lambda t: t.created_at)

        # scale in the primary deployment (tasks marked unhealthy go their own way, below)
        kept = [t for t in mine if t._unhealthy is None]
        if len(kept) > desired:
            order = sorted(kept, key=lambda t: (self._is_healthy(svc, t, now), t.last_status == "RUNNING", t.created_at))
            extra = order[: len(kept) - desired]
            self._stop_tasks(region, svc, extra, now, primary["id"])
            mine = [t for t in mine if t not in extra]
            not_stopped = [t for t in self.tasks_of(region, svc) if t.last_status != "STOPPED"]

        room = max_total - len(not_stopped)
        # an older deployment gets back the tasks it is owed (ones that failed or were stopped
        # by hand, its share of a scale-out), whatever the new one does (ECS since November 2025)
        for dep in svc.deployments[1:]:
            owed = dep.get("_owed", 0)
            if owed and room > 0 and (st.next_launch_at is None or now >= st.next_launch_at):
                started = self.launch_for_service(region, svc, dep, min(owed, room), now)
                for t in started:
                    t._replaces_lost = True
                dep["_owed"] = owed - len(started)
                room -= len(started)
                old.extend(started)
                live.extend(started)
        # start tasks for the primary deployment (and replacements of unhealthy ones)
        wanted = desired - (len(mine) - len(unhealthy))
        if primary.get("rolloutState") != "FAILED" and wanted > 0:
            # keeping the desired count is always allowed once no old task is left
            if not old:
                room = max(room, desired - len(mine) - len([t for t in not_stopped if t.desired_status == "STOPPED"]))
            n = min(wanted, room)
            if n > 0 and (st.next_launch_at is None or now >= st.next_launch_at):
                started = self.launch_for_service(region, svc, primary, n, now)
                mine.extend(started)
                room -= len(started)
            elif (n <= 0 and not unhealthy and old and not st.stuck_announced
                  and not any(t.desired_status == "STOPPED" for t in not_stopped)):
                # (tasks still shutting down free room soon: not stuck)
                st.stuck_announced = self._stuck(svc, live, old, min_healthy, now)
        # unhealthy tasks stop as their replacements become healthy; when
        # maximumPercent leaves no room for a replacement, one at a time
        if unhealthy:
            healthy_mine = sum(1 for t in mine if t._unhealthy is None and self._is_healthy(svc, t, now))
            n = max(0, min(len(unhealthy), healthy_mine + len(unhealthy) - desired))
            replacing = len(mine) - len(unhealthy)
            if n == 0 and replacing < desired and room <= 0:
                n = 1
            self._stop_unhealthy(region, svc, unhealthy[:n], now)

        # a FAILED deployment without rollback leaves the old tasks serving the desired count
        # (after a scale-in, the newest of them go)
        if old and primary.get("rolloutState") == "FAILED" and len(old) > desired:
            surplus = sorted(old, key=lambda t: (self._is_healthy(svc, t, now), -t.created_at.timestamp()))
            self._stop_tasks(region, svc, surplus[: len(old) - desired], now, primary["id"])
        # stop tasks of older deployments as far as minimumHealthyPercent allows
        if old and primary.get("rolloutState") != "FAILED":
            healthy_total = sum(1 for t in live if self._is_healthy(svc, t, now))
            # a same-version replacement is given its chance to become healthy first
            unhealthy_old = [t for t in old if not self._is_healthy(svc, t, now)
                             and not (t._replaces_lost and t._unhealthy is None and not t._seen_healthy)]
            healthy_old = sorted([t for t in old if self._is_healthy(svc, t, now)], key=lambda t: t.created_at)
            budget = max(0, healthy_total - min_healthy)
            self._stop_tasks(region, svc, unhealthy_old + healthy_old[:budget], now, primary["id"])

        self._reset_on_healthy(svc, live, now)
        tasks = self.tasks_of(region, svc)
        self._update_counts(svc, tasks)
        self._check_completion(region, svc, tasks, now)

    def _stuck(self, svc, live: list[Task], old: list[Task], min_healthy: int, now: datetime) -> bool:
        """A deployment that can neither start a task (maximumPercent) nor stop
        one (minimumHealthyPercent) says so once, as ECS does; True if it said so."""
        healthy_total = sum(1 for t in live if self._is_healthy(svc, t, now))
        if any(not self._is_healthy(svc, t, now) for t in old) or healthy_total > min_healthy:
            return False
        if any(t.last_status != "RUNNING" for t in live):
            return False  # still starting: wait and see
        self.emit(svc, M.DEPLOYMENT_CONFIG_STUCK.format(svc=svc.name), now)
        return True

    def _reset_on_healthy(self, svc, live: list[Task], now: datetime) -> None:
        """failedTasks counts consecutive failures: a task of the deployment that
        becomes healthy resets it (``resetOnHealthyTask``, default true)."""
        breaker = (getattr(svc, "deployment_configuration", None) or {}).get("deploymentCircuitBreaker") or {}
        reset = breaker.get("resetOnHealthyTask") is not False
        for t in live:
            if t._seen_healthy or not self._is_healthy(svc, t, now):
                continue
            t._seen_healthy = True
            dep = next((d for d in svc.deployments if d["id"] == t._deployment_id), None)
            if reset and dep is not None and dep.get("rolloutState") == "IN_PROGRESS" and dep.get("failedTasks"):
                dep["failedTasks"] = 0
                dep["updatedAt"] = now

    def roles_passable(self, region, svc, td: TaskDefinition, now: datetime) -> bool:
        """Whether ECS can pass the task definition's roles to a task; when it cannot, the
        service says so once and tries again a minute later."""
        st = self.state(svc)
        for role_arn in (td.execution_role_arn, td.task_role_arn):
            if not role_arn:
                continue
            role = self.world.role(region.account_id, role_arn)
            if role is None or not iam_eval.trusts_ecs_tasks(role):
                message = M.ASSUME_ROLE.format(role=role_arn)
                if st.launch_error_announced != message:
                    st.launch_error_announced = message
                    self.emit(svc, M.FAILED_TO_LAUNCH.format(svc=svc.name, error=message), now)
                st.next_launch_at = now_plus(now, 60)
                return False
        st.launch_error_announced = None
        return True

    def launch_for_service(self, region, svc, dep: dict, n: int, now: datetime,
                           settings: dict | None = None) -> list[Task]:
        """Start n tasks of a deployment (or task set) `dep` of the service, with the
        service's launch settings, or those of `settings` (a task set's launchType,
        capacityProviderStrategy, platformVersion, networkConfiguration); startedBy is
        the deployment's id, the group the service's."""
        st = self.state(svc)
        cluster = region.clusters.get(svc.cluster_name)
        if cluster is None:
            return []
        td = region.task_definition(dep["taskDefinition"])
        if td is None:
            return []
        if not self.roles_passable(region, svc, td, now):
            return []
        if settings is None:
            settings = {"launchType": svc.launch_type,
                        "capacityProviderStrategy": getattr(svc, "capacity_provider_strategy", None),
                        "platformVersion": svc.platform_version,
                        "networkConfiguration": svc.network_configuration}
        cp = settings.get("capacityProviderStrategy") or []
        launch_type = settings.get("launchType")
        if launch_type == "EC2" and not cp and not region.container_instances.get(svc.cluster_name):
            if not st.no_instances_announced:
                st.no_instances_announced = True
                self.emit(svc, M.NO_CONTAINER_INSTANCES.format(svc=svc.name), now)
            return []
        cp_name = cp[0].get("capacityProvider") if cp else None
        started = self.launch_tasks(
            region, cluster, td, n, now=now, group=f"service:{svc.name}", started_by=dep["id"],
            launch_type=launch_type or ("FARGATE" if cp_name in ("FARGATE", "FARGATE_SPOT") else launch_type),
            capacity_provider_name=cp_name, platform_version=settings.get("platformVersion"),
            network_configuration=settings.get("networkConfiguration"), tags=self._propagated_tags(region, svc, td),
            enable_execute_command=getattr(svc, "enable_execute_command", False), svc=svc, deployment=dep,
            subnet_offset=st.subnet_rr)
        st.subnet_rr += n
        st.steady = False
        message = M.STARTED.format(svc=svc.name, n=len(started), tasks=" ".join(f"(task {t.id})" for t in started))
        if st.replaced_unhealthy:
            message += M.REPLACED_UNHEALTHY.format(n=min(st.replaced_unhealthy, len(started)))
            st.replaced_unhealthy = max(0, st.replaced_unhealthy - len(started))
        self.emit(svc, message, now)
        return started

    @staticmethod
    def _propagated_tags(region, svc, td) -> list:
        mode = getattr(svc, "propagate_tags", "NONE") or "NONE"
        if mode == "SERVICE":
            return list(svc.tags or [])
        if mode == "TASK_DEFINITION":
            return list(getattr(td, "tags", None) or [])
        return []

    def _stop_tasks(self, region, svc, tasks: list[Task], now: datetime, dep_id: str) -> None:
        tasks = [t for t in tasks if t.desired_status == "RUNNING"]
        if not tasks:
            return
        reason = M.SCALING_ACTIVITY.format(dep=dep_id)
        running = [t for t in tasks if t.last_status == "RUNNING"]
        for t in tasks:
            self.begin_stop(region, t, now, reason, M.STOP_SCHEDULER)
        if running:
            self.emit(svc, M.STOPPED.format(svc=svc.name, n=len(running),
                                            tasks=" ".join(f"(task {t.id})" for t in running)), now)

    def _update_counts(self, svc, tasks: list[Task]) -> None:
        running = pending = 0
        per_dep: dict[str, list[int]] = {}
        for t in tasks:
            counts = per_dep.setdefault(t._deployment_id or "", [0, 0])
            if t.last_status == "RUNNING":
                running += 1
                counts[0] += 1
            elif t.last_status in ("PROVISIONING", "PENDING", "ACTIVATING"):
                pending += 1
                counts[1] += 1
        svc.running_count = running
        svc.pending_count = pending
        for d in svc.deployments:
            r, p = per_dep.get(d["id"], [0, 0])
            if d.get("runningCount") != r or d.get("pendingCount") != p:
                d["runningCount"], d["pendingCount"] = r, p
                d["updatedAt"] = self.clock.now()

    def _check_completion(self, region, svc, tasks: list[Task], now: datetime) -> None:
        st = self.state(svc)
        primary = svc.deployments[0]
        desired = int(svc.desired_count or 0)
        mine = [t for t in tasks if t._deployment_id == primary["id"] and t.desired_status == "RUNNING"]
        others_left = [t for t in tasks if t._deployment_id != primary["id"] and t.last_status != "STOPPED"]
        healthy = [t for t in mine if self._is_healthy(svc, t, now)]
        settled = (len(mine) == desired and len(healthy) == desired and not others_left)
        if primary.get("rolloutState") == "IN_PROGRESS" and settled:
            primary["rolloutState"] = "COMPLETED"
            primary["rolloutStateReason"] = M.ROLLOUT_COMPLETED.format(dep=primary["id"])
            primary["_completed"] = True
            primary["_completed_once"] = True  # _completed is cleared when a rollback takes it over
            primary["updatedAt"] = now
            primary["_finished_at"] = now
            svc.deployments[1:] = []
            self.emit(svc, M.DEPLOYMENT_COMPLETED.format(svc=svc.name, dep=primary["id"]), now)
        elif primary.get("rolloutState") == "COMPLETED" and len(svc.deployments) > 1 and not others_left:
            svc.deployments[1:] = []
        stopping = [t for t in tasks if t.last_status != "STOPPED" and t.desired_status == "STOPPED"]
        steady = (primary.get("rolloutState") == "COMPLETED" and len(svc.deployments) == 1 and settled
                  and svc.pending_count == 0 and not stopping)
        if steady and (not st.steady or now >= now_plus(st.steady_announced_at, STEADY_REPEAT_S)):
            # ECS repeats an unchanged event after six hours, the steady state too
            st.steady = True
            st.steady_announced_at = now
            self.emit(svc, M.STEADY.format(svc=svc.name), now)
        elif not steady and st.steady and (len(mine) != desired or stopping):
            st.steady = False
