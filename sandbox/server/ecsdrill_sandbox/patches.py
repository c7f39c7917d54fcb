"""Monkey patches on moto 5.2.5 (pinned; tests/test_sandbox.py exercises each).

ECS: the write operations that the simulation owns (RegisterTaskDefinition
validation, CreateService, UpdateService, DeleteService, RunTask, StopTask,
DeleteCluster) and the reads moto gets wrong (ListTasks filters and default
desired status, DescribeTasks failures); a capacity provider strategy may name
only providers associated with the cluster, whose lists are [] rather than null.
ELBv2: target health reported by the simulation; HTTP target groups default to
health check path "/".
Application Auto Scaling: DescribeScalingActivities from the simulation; target
tracking alarms at the target (high) and 90 % of it (low), on the policy's metric,
replaced with the policy (moto: threshold 6 for both, old alarms left behind).
ECR: imageSizeInBytes is the sum of the layers; a tag pushed to new content moves
and the image it pointed at stays in the repository, untagged (moto deletes it).
"""

from __future__ import annotations

import json

from moto.applicationautoscaling import models as aas_models
from moto.applicationautoscaling import responses as aas_responses
from moto.core.responses import ActionResult
from moto.cloudwatch import models as cw_models
from moto.ecr import models as ecr_models
from moto.ecs import models as ecs_models
from moto.ecs import responses as ecs_responses
from moto.ecs.exceptions import (
    ECSException,
    EcsClientException,
    InvalidParameterException,
    TaskDefinitionNotFoundException,
)
from moto.elbv2 import models as elbv2_models
from moto.elbv2.models import elbv2_backends
from moto.ec2 import ec2_backends

from . import iam_eval, iam_sim, validation
from . import messages as M
from .network import default_security_group
from .scheduler import SimTask

SIM = None  # the Simulation, set by install()

DEFAULT_DEPLOYMENT_CONFIGURATION = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}


class ServiceNotActiveException(ECSException):
    def __init__(self) -> None:
        super().__init__("ServiceNotActiveException", M.SERVICE_NOT_ACTIVE)


class ClusterContainsServicesException(ECSException):
    def __init__(self) -> None:
        super().__init__("ClusterContainsServicesException", M.CLUSTER_HAS_SERVICES)


class ClusterContainsTasksException(ECSException):
    def __init__(self) -> None:
        super().__init__("ClusterContainsTasksException", M.CLUSTER_HAS_TASKS)


# ---------------------------------------------------------------------------- helpers
def _td(backend, ref: str):
    try:
        return backend.describe_task_definition(ref)
    except TaskDefinitionNotFoundException:
        raise EcsClientException("TaskDefinition not found.")
    except (ValueError, KeyError):
        raise EcsClientException("TaskDefinition not found.")


def _launch(cluster, launch_type, strategy):
    """(launchType, capacityProviderStrategy) as ECS resolves them."""
    if launch_type and strategy:
        raise InvalidParameterException(M.BOTH_LAUNCH_TYPE_AND_STRATEGY)
    if not launch_type and not strategy:
        strategy = cluster.default_capacity_provider_strategy or None
        if not strategy:
            launch_type = "EC2"
    _check_associated(cluster, strategy)
    return launch_type, strategy


def _check_associated(cluster, strategy) -> None:
    """FARGATE and FARGATE_SPOT exist in every account but serve only clusters
    they are associated with (put-cluster-capacity-providers), as any provider."""
    associated = {cp.split("/")[-1] for cp in cluster.capacity_providers or []}
    for item in strategy or []:
        if (item.get("capacityProvider") or "").split("/")[-1] not in associated:
            raise InvalidParameterException(M.CAPACITY_PROVIDER_NOT_ASSOCIATED)


def _is_fargate(launch_type, strategy) -> bool:
    if launch_type == "FARGATE":
        return True
    return bool(strategy) and all(s.get("capacityProvider") in ("FARGATE", "FARGATE_SPOT") for s in strategy)


def _check_compat(td, launch_type, strategy) -> None:
    if td.status != "ACTIVE":
        raise EcsClientException(M.TD_INACTIVE)
    if _is_fargate(launch_type, strategy) and "FARGATE" not in td.compatibilities:
        raise InvalidParameterException(M.LAUNCH_TYPE_UNSUPPORTED.format(lt="FARGATE"))


def _network(backend, td, netconf: dict | None) -> dict | None:
    if td.network_mode == "awsvpc":
        if not netconf or not netconf.get("awsvpcConfiguration"):
            raise InvalidParameterException(M.NETWORK_CONFIG_REQUIRED)
        conf = dict(netconf["awsvpcConfiguration"])
        if not conf.get("subnets"):
            raise InvalidParameterException("subnets can not be empty.")
        if not conf.get("securityGroups"):
            ec2 = ec2_backends[backend.account_id][backend.region_name]
            sg = default_security_group(ec2, conf["subnets"][0])
            conf["securityGroups"] = [sg] if sg else []
        conf.setdefault("assignPublicIp", "DISABLED")
        return {"awsvpcConfiguration": conf}
    if netconf:
        raise InvalidParameterException(
            "Network Configuration is not valid for the given networkMode of this task definition.")
    return None


def _check_load_balancers(backend, td, load_balancers) -> None:
    elbv2 = elbv2_backends[backend.account_id][backend.region_name]
    for lb in load_balancers or []:
        arn = lb.get("targetGroupArn")
        if not arn:
            continue
        tg = elbv2.target_groups.get(arn)
        if tg is None:
            raise InvalidParameterException(M.TG_NOT_FOUND)
        if not tg.load_balancer_arns:
            raise InvalidParameterException(M.TG_NO_LB.format(tg=arn))
        if td.network_mode == "awsvpc" and tg.target_type != "ip":
            raise InvalidParameterException(M.TG_TARGET_TYPE.format(tg=arn, tt=tg.target_type))
        if td.network_mode in ("bridge", "host") and tg.target_type == "ip":
            raise InvalidParameterException(
                f"The provided target group {arn} has target type ip, which is incompatible with the "
                f"{td.network_mode} network mode specified in the task definition.")


def _check_roles(backend, td) -> None:
    for arn in (getattr(td, "execution_role_arn", None), getattr(td, "task_role_arn", None)):
        if not arn:
            continue
        role = iam_eval.find_role(backend.account_id, arn)
        if role is None or not iam_eval.trusts_ecs_tasks(role):
            raise EcsClientException(M.ASSUME_ROLE.format(role=arn))


def _find_task(backend, cluster_name: str, ref: str):
    task_id = ref.split("/")[-1]
    for arn, task in backend.tasks.get(cluster_name, {}).items():
        if arn == ref or arn.split("/")[-1] == task_id:
            return task
    return None


# ---------------------------------------------------------------------------- ECS
_orig_register = ecs_responses.EC2ContainerServiceResponse.register_task_definition


def register_task_definition(self) -> ActionResult:
    params = self._get_params()
    err = validation.register_errors(params)
    if err:
        raise EcsClientException(err)
    result = _orig_register(self)
    td = self.ecs_backend.describe_task_definition(params["family"])
    # ECS stores '1 vCPU' / '2 GB' as CPU units and MiB
    if td.cpu is not None and validation.cpu_units(td.cpu) not in (None, -1):
        td.cpu = str(validation.cpu_units(td.cpu))
    if td.memory is not None and validation.memory_mib(td.memory) not in (None, -1):
        td.memory = str(validation.memory_mib(td.memory))
    compat = ["EC2"]
    if validation.fargate_compatible(td.network_mode, td.cpu, td.memory):
        compat.append("FARGATE")
    td.compatibilities = compat
    td.registered_at = SIM.clock.now()
    td.requires_attributes = []  # ECS answers a list, never null
    td.registered_by = f"arn:aws:iam::{self.current_account}:root"
    return result


def create_service(self) -> ActionResult:
    backend = self.ecs_backend
    p = self._get_params()
    cluster = backend._get_cluster(p.get("cluster") or "default")
    name = p.get("serviceName")
    existing = backend.services.get(f"{cluster.name}:{name}")
    if existing is not None and existing.status in ("ACTIVE", "DRAINING"):
        raise InvalidParameterException(M.NOT_IDEMPOTENT)
    if not p.get("taskDefinition"):
        raise InvalidParameterException("TaskDefinition is required.")
    td = _td(backend, p["taskDefinition"])
    launch_type, strategy = _launch(cluster, p.get("launchType"), p.get("capacityProviderStrategy"))
    _check_compat(td, launch_type, strategy)
    netconf = _network(backend, td, p.get("networkConfiguration"))
    _check_load_balancers(backend, td, p.get("loadBalancers"))
    svc = backend.create_service(
        cluster.name, name, int(p.get("desiredCount") or 0), td.arn, p.get("loadBalancers"),
        p.get("schedulingStrategy"), p.get("tags"), p.get("deploymentController"),
        launch_type or "FARGATE",
        network_configuration=netconf, service_registries=p.get("serviceRegistries"),
        platform_version=p.get("platformVersion"), propagate_tags=p.get("propagateTags") or "NONE",
        role_arn=p.get("role"),
    )
    fargate = _is_fargate(launch_type, strategy)
    svc.launch_type = launch_type
    svc.capacity_provider_strategy = strategy
    svc.platform_version = (p.get("platformVersion") or "LATEST") if fargate else None
    svc.platform_family = "Linux" if fargate else None
    conf = json.loads(json.dumps(DEFAULT_DEPLOYMENT_CONFIGURATION))
    _merge_deployment_configuration(conf, p.get("deploymentConfiguration"))
    svc.deployment_configuration = conf
    svc.health_check_grace_period_seconds = p.get("healthCheckGracePeriodSeconds")
    if svc.health_check_grace_period_seconds is None and svc.load_balancers:
        svc.health_check_grace_period_seconds = 0
    svc.enable_execute_command = bool(p.get("enableExecuteCommand", False))
    svc.enable_ecs_managed_tags = bool(p.get("enableECSManagedTags", False))
    svc.placement_constraints = p.get("placementConstraints") or []
    svc.placement_strategy = p.get("placementStrategy") or []
    svc.created_at = SIM.clock.now()
    svc.created_by = f"arn:aws:iam::{self.current_account}:root"
    svc.events = []
    svc.running_count = 0
    svc.pending_count = 0
    svc.deployments = []
    svc._ecsdrill = None
    if svc.deployment_controller.get("type", "ECS") == "ECS":
        SIM.start_deployment(backend, svc, td.arn)
        SIM.settle(backend, svc)
    return ActionResult({"service": svc})


def _merge_deployment_configuration(conf: dict, new: dict | None) -> None:
    if not new:
        return
    for key, value in new.items():
        if key == "deploymentCircuitBreaker" and isinstance(value, dict):
            conf.setdefault(key, {}).update(value)
        elif value is not None:
            conf[key] = value


_UPDATE_REDEPLOY_KEYS = ("networkConfiguration", "platformVersion", "loadBalancers",
                         "capacityProviderStrategy", "enableExecuteCommand", "serviceRegistries")


def update_service(self) -> ActionResult:
    backend = self.ecs_backend
    p = self._get_params()
    cluster = backend._get_cluster(p.get("cluster") or "default")
    svc = backend._get_service(cluster.name, p.get("service", "").split("/")[-1])
    if svc.status != "ACTIVE":
        raise ServiceNotActiveException()
    redeploy = bool(p.get("forceNewDeployment"))
    td = _td(backend, svc.task_definition)
    if p.get("taskDefinition"):
        td = _td(backend, p["taskDefinition"])
        launch_type, strategy = svc.launch_type, getattr(svc, "capacity_provider_strategy", None)
        _check_compat(td, launch_type, strategy)
        if td.arn != svc.task_definition:
            redeploy = True
    netconf = svc.network_configuration
    if p.get("networkConfiguration") is not None:
        netconf = _network(backend, td, p.get("networkConfiguration"))
        redeploy = True
    elif td.network_mode == "awsvpc":
        netconf = _network(backend, td, svc.network_configuration or None)
    if p.get("loadBalancers") is not None:
        _check_load_balancers(backend, td, p["loadBalancers"])
        svc.load_balancers = p["loadBalancers"]
    elif svc.load_balancers:
        _check_load_balancers(backend, td, svc.load_balancers)
    for key in _UPDATE_REDEPLOY_KEYS:
        if key in p and p[key] is not None and key not in ("networkConfiguration", "loadBalancers"):
            redeploy = True
    if p.get("capacityProviderStrategy") is not None:
        _check_associated(cluster, p["capacityProviderStrategy"])
        svc.capacity_provider_strategy = p["capacityProviderStrategy"]
        svc.launch_type = None
    if p.get("platformVersion") is not None:
        svc.platform_version = p["platformVersion"]
    if p.get("enableExecuteCommand") is not None:
        svc.enable_execute_command = bool(p["enableExecuteCommand"])
    if p.get("serviceRegistries") is not None:
        svc.service_registries = p["serviceRegistries"]
    svc.network_configuration = netconf or {}
    if p.get("desiredCount") is not None:
        svc.desired_count = int(p["desiredCount"])
        if svc.deployments:
            svc.deployments[0]["desiredCount"] = svc.desired_count
    if p.get("deploymentConfiguration") is not None:
        conf = getattr(svc, "deployment_configuration", None) or json.loads(json.dumps(DEFAULT_DEPLOYMENT_CONFIGURATION))
        _merge_deployment_configuration(conf, p["deploymentConfiguration"])
        svc.deployment_configuration = conf
    if p.get("healthCheckGracePeriodSeconds") is not None:
        svc.health_check_grace_period_seconds = p["healthCheckGracePeriodSeconds"]
    for key, attr in (("propagateTags", "propagate_tags"), ("enableECSManagedTags", "enable_ecs_managed_tags"),
                      ("placementConstraints", "placement_constraints"), ("placementStrategy", "placement_strategy")):
        if p.get(key) is not None:
            setattr(svc, attr, p[key])
    svc.task_definition = td.arn
    if redeploy and svc.deployment_controller.get("type", "ECS") == "ECS":
        SIM.start_deployment(backend, svc, td.arn)
    SIM.settle(backend, svc)
    return ActionResult({"service": svc})


def delete_service(self) -> ActionResult:
    backend = self.ecs_backend
    cluster = backend._get_cluster(self._get_param("cluster") or "default")
    svc = backend._get_service(cluster.name, (self._get_param("service") or "").split("/")[-1])
    force = bool(self._get_param("force", False))
    if svc.status != "ACTIVE":
        raise ServiceNotActiveException()
    if svc.desired_count > 0 and not force:
        raise InvalidParameterException("The service cannot be stopped while it is scaled above 0.")
    svc.desired_count = 0
    svc.status = "DRAINING"
    SIM.settle(backend, svc)
    return ActionResult({"service": svc})


def run_task(self) -> ActionResult:
    backend = self.ecs_backend
    p = self._get_params()
    cluster = backend._get_cluster(p.get("cluster") or "default")
    td = _td(backend, p.get("taskDefinition") or "")
    count = int(p.get("count") or 1)
    if not 1 <= count <= 10:
        raise InvalidParameterException("count must be between 1 and 10.")
    launch_type, strategy = _launch(cluster, p.get("launchType"), p.get("capacityProviderStrategy"))
    _check_compat(td, launch_type, strategy)
    netconf = _network(backend, td, p.get("networkConfiguration"))
    _check_roles(backend, td)
    if launch_type in ("EC2", "EXTERNAL") and not backend.container_instances.get(cluster.name):
        raise InvalidParameterException(M.NO_CONTAINER_INSTANCES_RUN)
    cp_name = strategy[0].get("capacityProvider") if strategy else None
    tasks = SIM.launch_tasks(
        backend, cluster, td, count, now=SIM.clock.now(), group=p.get("group") or f"family:{td.family}",
        started_by=p.get("startedBy"), launch_type=launch_type or ("FARGATE" if _is_fargate(None, strategy) else None),
        capacity_provider_name=cp_name, platform_version=p.get("platformVersion"), network_configuration=netconf,
        overrides=p.get("overrides"), tags=p.get("tags"), enable_execute_command=bool(p.get("enableExecuteCommand")))
    SIM.settle(backend)
    return ActionResult({"tasks": tasks, "failures": []})


_orig_stop_task = ecs_responses.EC2ContainerServiceResponse.stop_task


def stop_task(self) -> ActionResult:
    backend = self.ecs_backend
    cluster = backend._get_cluster(self._get_param("cluster") or "default")
    task = _find_task(backend, cluster.name, self._get_param("task") or "")
    if task is None:
        raise InvalidParameterException(M.TASK_NOT_FOUND)
    if not isinstance(task, SimTask):
        return _orig_stop_task(self)
    SIM.stop_by_user(backend, task, self._get_param("reason"))
    return ActionResult({"task": task})


def describe_tasks(self) -> ActionResult:
    backend = self.ecs_backend
    cluster = backend._get_cluster(self._get_param("cluster") or "default")
    refs = self._get_param("tasks", [])
    if not refs:
        raise InvalidParameterException("Tasks cannot be empty.")
    found, failures = [], []
    for ref in refs:
        task = _find_task(backend, cluster.name, ref)
        if task is None:
            arn = ref if ref.startswith("arn:") else (
                f"arn:aws:ecs:{backend.region_name}:{backend.account_id}:task/{cluster.name}/{ref}")
            failures.append({"arn": arn, "reason": "MISSING"})
        else:
            found.append(task)
    if "TAGS" in (self._get_param("include", []) or []):
        self._include_in_response(ecs_responses.DESCRIBE_TASKS_TAGS)
    else:
        self._exclude_from_response(ecs_responses.DESCRIBE_TASKS_TAGS)
    return ActionResult({"tasks": found, "failures": failures})


def list_tasks(self) -> ActionResult:
    backend = self.ecs_backend
    cluster = backend._get_cluster(self._get_param("cluster") or "default")
    container_instance = self._get_param("containerInstance")
    family = self._get_param("family")
    started_by = self._get_param("startedBy")
    service_name = self._get_param("serviceName")
    desired = self._get_param("desiredStatus") or "RUNNING"
    launch_type = self._get_param("launchType")
    if service_name:
        backend._get_service(cluster.name, service_name.split("/")[-1])
    arns = []
    for task in backend.tasks.get(cluster.name, {}).values():
        if task.desired_status != desired:
            continue
        if container_instance and container_instance.split("/")[-1] not in (task.container_instance_arn or ""):
            continue
        if family and task.task_definition_arn.split("/")[-1].rsplit(":", 1)[0] != family:
            continue
        if started_by and task.started_by != started_by:
            continue
        if service_name and task.group != f"service:{service_name.split('/')[-1]}":
            continue
        if launch_type and task.launch_type != launch_type:
            continue
        arns.append(task.task_arn)
    return ActionResult({"taskArns": arns})


_orig_delete_cluster = ecs_responses.EC2ContainerServiceResponse.delete_cluster


def delete_cluster(self) -> ActionResult:
    backend = self.ecs_backend
    cluster = backend._get_cluster(self._get_param("cluster") or "default")
    if any(s.cluster_name == cluster.name and s.status in ("ACTIVE", "DRAINING") for s in backend.services.values()):
        raise ClusterContainsServicesException()
    if any(t.last_status != "STOPPED" for t in backend.tasks.get(cluster.name, {}).values()):
        raise ClusterContainsTasksException()
    return _orig_delete_cluster(self)


def describe_capacity_providers(self) -> ActionResult:
    """FARGATE and FARGATE_SPOT exist in every account, as in ECS; no names = all."""
    backend = self.ecs_backend
    names = self._get_param("capacityProviders") or []
    managed = {n: {"capacityProviderArn": f"arn:aws:ecs:{backend.region_name}:{backend.account_id}:capacity-provider/{n}",
                   "name": n, "status": "ACTIVE", "tags": []} for n in ("FARGATE", "FARGATE_SPOT")}
    if not names:
        return ActionResult({"capacityProviders": list(managed.values()) + list(backend.capacity_providers.values()),
                             "failures": []})
    providers, failures = [], []
    for name in names:
        short = name.split("/")[-1]
        if short in managed:
            providers.append(managed[short])
            continue
        found, missing = backend.describe_capacity_providers([name])
        providers += found
        failures += missing
    return ActionResult({"capacityProviders": providers, "failures": failures})


_cluster_init = ecs_models.Cluster.__init__


def cluster_init(self, *args, **kwargs):
    """A cluster without capacity providers has empty lists, as in ECS (moto: null)."""
    _cluster_init(self, *args, **kwargs)
    self.capacity_providers = self.capacity_providers or []
    self.default_capacity_provider_strategy = self.default_capacity_provider_strategy or []


# ---------------------------------------------------------------------------- Application Auto Scaling
_ecs_alarms = aas_models.FakeApplicationAutoscalingPolicy._generate_ecs_alarms
_put_scaling_policy = aas_models.ApplicationAutoscalingBackend.put_scaling_policy


def ecs_alarms(self) -> list:
    """The two alarms of a target tracking policy with TargetValue T: high at T
    (3 of 3 minutes), low at 0.9 x T (15 of 15 minutes)."""
    alarms = _ecs_alarms(self)
    config = self.target_tracking_scaling_policy_configuration or {}
    try:
        target = float(config.get("TargetValue"))
    except (TypeError, ValueError):
        return alarms
    spec = config.get("PredefinedMetricSpecification") or {}
    label = spec.get("ResourceLabel") or ""
    for alarm in alarms:
        alarm.threshold = target if "-AlarmHigh-" in alarm.name else round(target * 0.9, 10)
        if spec.get("PredefinedMetricType") == "ALBRequestCountPerTarget" and "targetgroup/" in label:
            alarm.namespace, alarm.metric_name, alarm.statistic, alarm.unit = (
                "AWS/ApplicationELB", "RequestCountPerTarget", "Sum", None)
            alarm.dimensions = [cw_models.Dimension("TargetGroup", label[label.index("targetgroup/"):])]
    return alarms


def put_scaling_policy(self, policy_name, service_namespace, resource_id, scalable_dimension, *args, **kwargs):
    """Putting a policy again replaces its alarms rather than adding two more."""
    key = aas_models.FakeApplicationAutoscalingPolicy.formulate_key(
        service_namespace, resource_id, scalable_dimension, policy_name)
    old = self.policies.get(key)
    if old is not None:
        old.delete_alarms(self.account_id, self.region_name)
    return _put_scaling_policy(self, policy_name, service_namespace, resource_id, scalable_dimension,
                               *args, **kwargs)


# ---------------------------------------------------------------------------- ELBv2
_orig_health_for = elbv2_models.FakeTargetGroup.health_for


def health_for(self, target, ec2_backend):
    health = getattr(self, "_ecsdrill_health", None) or {}
    state = health.get(target["Id"])
    registered = self.targets.get(target["Id"])
    if state is not None and registered is not None:
        status, reason, description = state
        return elbv2_models.FakeHealthStatus(registered["Id"], registered["Port"], self.health_check_port,
                                             status, reason, description)
    return _orig_health_for(self, target, ec2_backend)


_orig_tg_init = elbv2_models.FakeTargetGroup.__init__


def tg_init(self, *args, **kwargs):
    _orig_tg_init(self, *args, **kwargs)
    if self.health_check_path is None and (self.health_check_protocol or "").upper() in ("HTTP", "HTTPS"):
        self.health_check_path = "/"
    self.health_check_timeout_seconds = kwargs.get("healthcheck_timeout_seconds") or 5


# ---------------------------------------------------------------------------- App Auto Scaling
def describe_scaling_activities(self) -> str:
    self._validate_params()
    activities = SIM.autoscaling.describe_activities(
        self.current_account, self.region, self._get_param("ServiceNamespace"),
        self._get_param("ResourceId"), self._get_param("ScalableDimension"))
    return json.dumps({"ScalingActivities": activities})


# ---------------------------------------------------------------------------- ECR
def image_size(self) -> int | None:
    manifest = json.loads(self.image_manifest)
    layers = manifest.get("layers")
    if layers:
        return sum(int(layer.get("size", 0)) for layer in layers)
    return None


_orig_put_image = ecr_models.ECRBackend.put_image


def put_image(self, repository_name: str, image_manifest: str, image_tag: str,
              image_manifest_mediatype: str | None = None, digest: str | None = None):
    """As ECR: in a repository with mutable tags, pushing other content to a tag moves
    the tag, and the image it pointed at stays (by digest), untagged if it had no other
    tag. moto deletes that image instead. Immutable repositories keep moto's checks."""
    repo = self.repositories.get(repository_name)
    if (repo is not None and image_tag and repo.image_tag_mutability == "MUTABLE"
            and not repo.image_tag_mutability_exclusion_filters):
        for image in repo.images:
            if image_tag in image.image_tags and image.image_manifest != image_manifest:
                untag(image, image_tag)
    return _orig_put_image(self, repository_name, image_manifest, image_tag,
                           image_manifest_mediatype, digest)


def untag(image, tag: str) -> None:
    """Takes one tag off an image; without tags it is an untagged image (moto's
    remove_tag keeps the last tag in image_tag)."""
    image.remove_tag(tag)
    if not image.image_tags:
        image.image_tag = None


def install(sim) -> None:
    global SIM
    SIM = sim
    R = ecs_responses.EC2ContainerServiceResponse
    R.register_task_definition = register_task_definition
    R.create_service = create_service
    R.update_service = update_service
    R.delete_service = delete_service
    R.run_task = run_task
    R.stop_task = stop_task
    R.describe_tasks = describe_tasks
    R.list_tasks = list_tasks
    R.delete_cluster = delete_cluster
    R.describe_capacity_providers = describe_capacity_providers
    ecs_models.Cluster.__init__ = cluster_init
    elbv2_models.FakeTargetGroup.health_for = health_for
    elbv2_models.FakeTargetGroup.__init__ = tg_init
    aas_responses.ApplicationAutoScalingResponse.describe_scaling_activities = describe_scaling_activities
    aas_models.FakeApplicationAutoscalingPolicy._generate_ecs_alarms = ecs_alarms
    aas_models.ApplicationAutoscalingBackend.put_scaling_policy = put_scaling_policy
    ecr_models.Image.get_image_size_in_bytes = image_size
    ecr_models.ECRBackend.put_image = put_image
    iam_sim.install()  # IAM SimulatePrincipalPolicy, which moto lacks
    # moto's ECS Task must never advance its own status (the simulation owns it)
    ecs_models.Task.advance = lambda self: None
