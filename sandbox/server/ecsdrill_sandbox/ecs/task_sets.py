"""Task sets: services with the EXTERNAL deployment controller.

Why a module of its own: such a service has no deployments. A third-party controller
creates task sets (CreateTaskSet), scales each one as a percentage of the service's
desiredCount (UpdateTaskSet), names the one that serves production (PRIMARY,
UpdateServicePrimaryTaskSet) and deletes the old ones (DeleteTaskSet). The ECS
scheduler only keeps every task set at its computed count. sim.reconcile_service hands
such a service to ``reconcile`` here (``drives``); sim._register_targets asks
``target_groups`` where a task set's task registers.

What it follows (ECS API reference: CreateTaskSet, UpdateTaskSet, DeleteTaskSet,
DescribeTaskSets, UpdateServicePrimaryTaskSet, TaskSet, Scale; Developer Guide,
"Deploy Amazon ECS services using a third-party controller"):

- CreateService with EXTERNAL takes only the service-level parameters (name, count,
  deployment configuration, tags, grace period, placement); the task definition, launch
  type, network and load balancers belong to task sets. ECS answers "TaskDefinition
  must be blank." when one is given;
- a task set is created ACTIVE (not serving production); computedDesiredCount is the
  service's desiredCount times the scale percentage, always rounded up; scale is 0-100
  PERCENT (0 when not given, as in the AWS CLI's example answer);
- stabilityStatus is STEADY_STATE when runningCount equals computedDesiredCount, nothing
  is pending and every task is healthy by its load balancer and container health
  checks; otherwise STABILIZING;
- UpdateServicePrimaryTaskSet makes one PRIMARY and the former primary ACTIVE; the
  service then shows the primary's task definition, launch type, platform version,
  network configuration and load balancers (and none of them while it has no primary);
- DeleteTaskSet is refused while the scale is above 0 unless ``force``; the task set is
  DRAINING while its tasks stop and its targets drain, then gone;
- at most 5 task sets per service ("5 deployments exist on the service...");
- task set operations on a service whose controller is not EXTERNAL are refused:
  "Amazon ECS only supports task set management on services configured to use external
  deployment controllers." (InvalidParameterException, as ECS answers).

A task set is a dict in ``Service.task_sets`` keyed by the API's TaskSet members (so
shapes.py writes it as is), plus the simulation's: ``_tags`` (written only when asked
with ``include TAGS``), ``_digests`` (image digests pinned at creation, as a
deployment's), ``_client_token``. Its tasks carry its id as ``_deployment_id`` and
``startedBy``, so launching, health checks, replacement and draining are the
simulation's own.

Left out: service discovery registration (serviceRegistries are kept, not registered),
capacity provider weights (the first provider of a strategy places every task),
TagResource on task set ARNs, CODE_DEPLOY (CodeDeploy is not in the sandbox).

Pure like sim.py: no moto; other services only through the World.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from .. import messages as M

MAX_TASK_SETS = 5
STEADY_REPEAT_S = 6 * 3600  # as sim.STEADY_REPEAT_S: an unchanged event is written again after six hours
# parameters of a service with the EXTERNAL controller that belong to its task sets
TASK_SET_PARAMETERS = (("taskDefinition", "TaskDefinition"), ("launchType", "LaunchType"),
                       ("capacityProviderStrategy", "CapacityProviderStrategy"),
                       ("platformVersion", "PlatformVersion"), ("networkConfiguration", "NetworkConfiguration"),
                       ("loadBalancers", "LoadBalancers"), ("serviceRegistries", "ServiceRegistries"),
                       ("serviceConnectConfiguration", "ServiceConnectConfiguration"))
UPDATE_NAMES = {"taskDefinition": "task definition", "capacityProviderStrategy": "capacity provider strategy",
                "platformVersion": "platform version", "networkConfiguration": "network parameters",
                "loadBalancers": "load balancers", "serviceRegistries": "service registries",
                "serviceConnectConfiguration": "Service Connect configuration",
                "forceNewDeployment": "the deployment (forceNewDeployment)"}

# ECS's texts (quoted in GitHub issues: hashicorp/terraform-provider-aws#30347, #32562,
# aws/aws-cdk#6245, aws-samples/ecs-bg-external-controller#6)
NOT_EXTERNAL = ("Amazon ECS only supports task set management on services configured to use external "
                "deployment controllers.")
MUST_BE_BLANK = "{name} must be blank."
TOO_MANY = "{n} deployments exist on the service. Unable to create new TaskSet since this exceeds the maximum limit."
# the sandbox's own (ECS's texts for these were not found)
NOT_FOUND = "The specified task set was not found in the service. Use DescribeTaskSets to see the service's task sets."
SCALE_RANGE = "scale.value must be a number from 0 to 100 (a percentage of the service's desiredCount)."
SCALE_UNIT = "scale.unit should be one of [PERCENT]"
DELETE_SCALED = ("The task set cannot be deleted while its scale is above 0. Update its scale to 0 first, or "
                 "delete it with force.")
DRAINING_TASK_SET = "The task set is being deleted (DRAINING) and cannot be updated."
ONE_TARGET_GROUP = "A task set can have at most one load balancer target group."
DAEMON = "Services with an EXTERNAL deployment controller support only the REPLICA scheduling strategy."
UPDATE_REFUSED = ("Unable to update {what} on services with an EXTERNAL deployment controller. Create a task set "
                  "(CreateTaskSet) with the new settings instead.")
CODE_DEPLOY_REFUSED = ("CreateService with deploymentController CODE_DEPLOY is not available in the ecsdrill sandbox "
                       "(CodeDeploy is not in it): use the ECS deployment controller with deploymentConfiguration "
                       "strategy BLUE_GREEN (ECS-native blue/green), or EXTERNAL with task sets")


@dataclass
class Problem:
    code: str
    message: str


def invalid(message: str) -> Problem:
    return Problem("InvalidParameterException", message)


def drives(svc) -> bool:
    """Whether the service's tasks belong to task sets (EXTERNAL deployment controller)."""
    return (getattr(svc, "deployment_controller", None) or {}).get("type") == "EXTERNAL"


def task_set_of(svc, task) -> dict | None:
    return next((ts for ts in getattr(svc, "task_sets", None) or [] if ts["id"] == task._deployment_id), None)


def target_groups(svc, task) -> list | None:
    """(load balancer, target group ARN) pairs a task set's task registers in; None when
    the task is not a task set's (sim._register_targets then uses the service's)."""
    ts = task_set_of(svc, task)
    if ts is None:
        return None
    return [(lb, lb.get("targetGroupArn")) for lb in ts.get("loadBalancers") or []]


# ---------------------------------------------------------------- requests
def refused_create_service(p: dict) -> Problem | None:
    """What CreateService with the EXTERNAL controller refuses: the task set's parameters."""
    for key, name in TASK_SET_PARAMETERS:
        if p.get(key):
            return invalid(MUST_BE_BLANK.format(name=name))
    if (p.get("schedulingStrategy") or "REPLICA") != "REPLICA":
        return invalid(DAEMON)
    return None


def refused_update_service(p: dict) -> Problem | None:
    """UpdateService of an EXTERNAL service changes the count, the grace period and
    service-level settings; what a task set holds needs a new task set."""
    for key, what in UPDATE_NAMES.items():
        if p.get(key):
            return invalid(UPDATE_REFUSED.format(what=what))
    return None


def check_service(svc) -> Problem | None:
    if svc.status != "ACTIVE":
        return Problem("ServiceNotActiveException", M.SERVICE_NOT_ACTIVE)
    if not drives(svc):
        return invalid(NOT_EXTERNAL)
    return None


def find(svc, ref: str | None) -> dict | None:
    """A task set by ARN, id (ecs-svc/N) or the id's number."""
    ref = ref or ""
    for ts in svc.task_sets:
        if ref in (ts["taskSetArn"], ts["id"], ts["id"].split("/")[-1]):
            return ts
    return None


def scale_of(given: dict | None) -> tuple[dict | None, Problem | None]:
    given = given or {}
    unit = given.get("unit") or "PERCENT"
    if unit != "PERCENT":
        return None, invalid(SCALE_UNIT)
    try:
        value = float(given.get("value") or 0.0)
    except (TypeError, ValueError):
        return None, invalid(SCALE_RANGE)
    if not 0.0 <= value <= 100.0:
        return None, invalid(SCALE_RANGE)
    return {"value": value, "unit": "PERCENT"}, None


def computed_count(svc, ts: dict) -> int:
    """desiredCount x scale %, always rounded up (TaskSet.computedDesiredCount); a
    DRAINING task set keeps none."""
    if ts["status"] == "DRAINING":
        return 0
    # round() first so that 3 x 33.3333 % is not 1.0000001 tasks
    return math.ceil(round(int(svc.desired_count or 0) * float(ts["scale"]["value"]) / 100.0, 6))


def create(sim, region, cluster, svc, td, p: dict, *, launch_type, strategy, network_configuration,
           fargate: bool) -> tuple[dict | None, Problem | None]:
    """A new ACTIVE task set (or the one this clientToken already created)."""
    token = p.get("clientToken")
    if token:
        same = next((ts for ts in svc.task_sets if ts.get("_client_token") == token), None)
        if same is not None:
            return same, None
    if len(svc.task_sets) >= MAX_TASK_SETS:
        return None, invalid(TOO_MANY.format(n=len(svc.task_sets)))
    if len([lb for lb in p.get("loadBalancers") or [] if lb.get("targetGroupArn")]) > 1:
        return None, invalid(ONE_TARGET_GROUP)
    scale, problem = scale_of(p.get("scale"))
    if problem is not None:
        return None, problem
    now = sim.clock.now()
    ts_id = sim._new_deployment_id()
    digests = {}
    for cd in td.container_definitions:
        digest = sim.resolve_digest_now(cd.get("image") or "")
        if digest:
            digests[cd.get("name")] = digest
    ts = {
        "id": ts_id,
        "taskSetArn": region.arn("task-set", f"{cluster.name}/{svc.name}/{ts_id}"),
        "serviceArn": svc.arn,
        "clusterArn": cluster.arn,
        "externalId": p.get("externalId") or None,
        "status": "ACTIVE",
        "taskDefinition": td.arn,
        "computedDesiredCount": 0,
        "pendingCount": 0,
        "runningCount": 0,
        "createdAt": now,
        "updatedAt": now,
        "launchType": launch_type,
        "capacityProviderStrategy": strategy or None,
        "platformVersion": (p.get("platformVersion") or "LATEST") if fargate else None,
        "platformFamily": "Linux" if fargate else None,
        "networkConfiguration": network_configuration,
        "loadBalancers": [dict(lb) for lb in p.get("loadBalancers") or []],
        "serviceRegistries": [dict(r) for r in p.get("serviceRegistries") or []],
        "scale": scale,
        "stabilityStatus": "STABILIZING",
        "stabilityStatusAt": now,
        "_tags": [dict(t) for t in p.get("tags") or []],
        "_digests": digests,
        "_client_token": token,
    }
    ts["computedDesiredCount"] = computed_count(svc, ts)
    svc.task_sets.append(ts)
    sim.state(svc).steady = False
    return ts, None


def update_scale(sim, svc, ts: dict, given: dict | None) -> Problem | None:
    if ts["status"] == "DRAINING":
        return invalid(DRAINING_TASK_SET)
    scale, problem = scale_of(given)
    if problem is not None:
        return problem
    now = sim.clock.now()
    ts["scale"] = scale
    ts["updatedAt"] = now
    _set_stability(ts, "STABILIZING", now)
    sim.state(svc).steady = False
    return None


def make_primary(sim, svc, ts: dict) -> Problem | None:
    if ts["status"] == "DRAINING":
        return invalid(DRAINING_TASK_SET)
    now = sim.clock.now()
    for other in svc.task_sets:
        if other is not ts and other["status"] == "PRIMARY":
            other["status"] = "ACTIVE"
            other["updatedAt"] = now
    if ts["status"] != "PRIMARY":
        ts["status"] = "PRIMARY"
        ts["updatedAt"] = now
    _mirror(svc, ts)
    return None


def delete(sim, svc, ts: dict, force: bool) -> Problem | None:
    if ts["status"] == "DRAINING":
        return None
    if float(ts["scale"]["value"]) > 0 and not force:
        return invalid(DELETE_SCALED)
    now = sim.clock.now()
    if ts["status"] == "PRIMARY":
        _mirror(svc, None)  # the service has no primary task set any more
    ts["status"] = "DRAINING"
    ts["computedDesiredCount"] = 0
    ts["updatedAt"] = now
    _set_stability(ts, "STABILIZING", now)
    sim.state(svc).steady = False
    return None


def view(ts: dict, tags: bool) -> dict:
    """The task set as answered: its tags only when asked (include TAGS)."""
    out = dict(ts)
    out["tags"] = list(ts.get("_tags") or []) if tags else None
    return out


def _mirror(svc, ts: dict | None) -> None:
    """DescribeServices shows the primary task set's fields, none without a primary."""
    svc.task_definition = ts["taskDefinition"] if ts else None
    svc.launch_type = ts.get("launchType") if ts else None
    svc.capacity_provider_strategy = ts.get("capacityProviderStrategy") if ts else None
    svc.platform_version = ts.get("platformVersion") if ts else None
    svc.platform_family = ts.get("platformFamily") if ts else None
    svc.network_configuration = ts.get("networkConfiguration") if ts else None
    svc.load_balancers = [dict(lb) for lb in ts.get("loadBalancers") or []] if ts else []
    svc.service_registries = [dict(r) for r in ts.get("serviceRegistries") or []] if ts else []


def _set_stability(ts: dict, status: str, now: datetime) -> None:
    if ts.get("stabilityStatus") != status:
        ts["stabilityStatus"] = status
        ts["stabilityStatusAt"] = now


# ---------------------------------------------------------------- the scheduler
def reconcile(sim, region, svc, now: datetime) -> None:
    """Keep every task set at its computed count, as the service scheduler keeps a
    deployment at its count: missing and stopped tasks are started again, extra ones
    stopped, unhealthy ones replaced; a DRAINING task set goes once its tasks stopped."""
    st = sim.state(svc)
    if svc.status == "DRAINING":  # DeleteService: every task set drains
        for ts in svc.task_sets:
            if ts["status"] != "DRAINING":
                ts["status"] = "DRAINING"
                ts["updatedAt"] = now
    tasks = sim.tasks_of(region, svc)
    for ts in list(svc.task_sets):
        _reconcile_task_set(sim, region, svc, ts, tasks, now)
    tasks = sim.tasks_of(region, svc)
    sim._update_counts(svc, tasks)
    for ts in list(svc.task_sets):
        _count(svc, ts, tasks, now)
        if ts["status"] == "DRAINING" and not any(t._deployment_id == ts["id"] and t.last_status != "STOPPED"
                                                  for t in tasks):
            svc.task_sets.remove(ts)
    if svc.status == "DRAINING":
        if not any(t.last_status != "STOPPED" for t in tasks):
            svc.status = "INACTIVE"
            svc.task_sets = []
            svc.running_count = svc.pending_count = 0
        return
    stopping = any(t.last_status != "STOPPED" and t.desired_status == "STOPPED" for t in tasks)
    steady = bool(svc.task_sets) and not stopping and all(ts["stabilityStatus"] == "STEADY_STATE"
                                                          for ts in svc.task_sets)
    repeat = st.steady_announced_at is None or now >= st.steady_announced_at + timedelta(seconds=STEADY_REPEAT_S)
    if steady and (not st.steady or repeat):
        st.steady = True
        st.steady_announced_at = now
        sim.emit(svc, M.STEADY.format(svc=svc.name), now)
    elif not steady and st.steady:
        st.steady = False


def _reconcile_task_set(sim, region, svc, ts: dict, tasks: list, now: datetime) -> None:
    st = sim.state(svc)
    target = computed_count(svc, ts)
    if ts["computedDesiredCount"] != target:
        ts["computedDesiredCount"] = target
        ts["updatedAt"] = now
    live = [t for t in tasks if t._deployment_id == ts["id"] and t.last_status != "STOPPED"
            and t.desired_status == "RUNNING"]
    unhealthy = sorted((t for t in live if t._unhealthy is not None), key=lambda t: t.created_at)
    good = [t for t in live if t._unhealthy is None]
    if len(good) > target:  # scale in: the least advanced go first
        order = sorted(good, key=lambda t: (_healthy(ts, t), t.last_status == "RUNNING", t.created_at))
        extra = order[: len(good) - target]
        sim._stop_tasks(region, svc, extra, now, ts["id"])
        good = [t for t in good if t not in extra]
    wanted = target - len(good)
    if wanted > 0 and (st.next_launch_at is None or now >= st.next_launch_at):
        good.extend(_launch(sim, region, svc, ts, wanted, now))
    # an unhealthy task stops once its replacement is healthy (replacement first)
    if unhealthy:
        healthy = sum(1 for t in good if _healthy(ts, t))
        n = max(0, min(len(unhealthy), healthy + len(unhealthy) - target))
        sim._stop_unhealthy(region, svc, unhealthy[:n], now)
    # targets: a task whose containers started registers in its task set's target groups
    # (at ACTIVATING when the service shows load balancers, else here as it runs)
    if any(lb.get("targetGroupArn") for lb in ts.get("loadBalancers") or []):
        for t in good:
            if not t._targets and t.last_status in ("ACTIVATING", "RUNNING") and t.desired_status == "RUNNING":
                sim._register_targets(region, svc, t, now)


def _healthy(ts: dict, task) -> bool:
    """Healthy by what checks it: its task set's target groups and container health checks."""
    if task.last_status != "RUNNING" or task.desired_status != "RUNNING":
        return False
    if any(lb.get("targetGroupArn") for lb in ts.get("loadBalancers") or []) and not task._targets:
        return False
    if any(t["state"] != "healthy" for t in task._targets):
        return False
    checked = any(rt["hc"] for rt in task._runtime if rt["essential"])
    return not checked or task.health_status == "HEALTHY"


def _count(svc, ts: dict, tasks: list, now: datetime) -> None:
    mine = [t for t in tasks if t._deployment_id == ts["id"]]
    running = sum(1 for t in mine if t.last_status == "RUNNING")
    pending = sum(1 for t in mine if t.last_status in ("PROVISIONING", "PENDING", "ACTIVATING"))
    if (ts["runningCount"], ts["pendingCount"]) != (running, pending):
        ts["runningCount"], ts["pendingCount"] = running, pending
        ts["updatedAt"] = now
    live = [t for t in mine if t.last_status != "STOPPED" and t.desired_status == "RUNNING"]
    steady = (running == ts["computedDesiredCount"] and pending == 0 and ts["status"] != "DRAINING"
              and all(_healthy(ts, t) for t in live))
    _set_stability(ts, "STEADY_STATE" if steady else "STABILIZING", now)


def _launch(sim, region, svc, ts: dict, n: int, now: datetime) -> list:
    """Start n tasks of the task set: the service's launch, with the task set's task
    definition and launch settings; startedBy is the task set's id."""
    return sim.launch_for_service(region, svc, ts, n, now, settings=ts)
