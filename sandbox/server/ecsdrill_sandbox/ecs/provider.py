"""ecsdrill's ECS API: every ECS operation the sandbox serves, answered from its
own model (model.py) and moved on by the simulation (sim.py).

The server routes a request here by its ``X-Amz-Target``; ``handle`` takes the
operation's name and its JSON input and returns the JSON output, written in the
API's shape (shapes.py), or raises ``EcsError`` with the code and text ECS gives.
An ECS operation without a handler here answers at once that the sandbox does not
serve it (``NotImplemented``), never an HTTP 500 that clients retry.

Other services are reached only through the ``World`` (world.py).
"""

from __future__ import annotations

import copy
import re
from datetime import datetime
from typing import Any, Callable

from .. import iam_eval, validation
from .. import messages as M
from . import service_connect, shapes, strategies, task_sets
from .model import Cluster, EcsRegion, EcsStore, Service, Task, TaskDefinition

DEFAULT_DEPLOYMENT_CONFIGURATION = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}
MANAGED_CAPACITY_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
# account settings are moto's own (they change nothing ecsdrill simulates)
FORWARDED = {"ListAccountSettings", "PutAccountSetting", "PutAccountSettingDefault", "DeleteAccountSetting"}


class EcsError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def client_error(message: str) -> EcsError:
    return EcsError("ClientException", message)


def invalid(message: str) -> EcsError:
    return EcsError("InvalidParameterException", message)


CLUSTER_NOT_FOUND = EcsError("ClusterNotFoundException", "Cluster not found.")
SERVICE_NOT_FOUND = EcsError("ServiceNotFoundException", "Service not found.")
TD_NOT_FOUND = client_error("Unable to describe task definition.")


def not_served(operation: str) -> EcsError:
    return EcsError("NotImplemented", f"{operation} is not available in the ecsdrill sandbox")


def _short(ref: str | None) -> str:
    return (ref or "").split("/")[-1]


def _copy(value: Any) -> Any:
    return copy.deepcopy(value)


class Provider:
    def __init__(self, store: EcsStore, sim, world) -> None:
        self.store = store
        self.sim = sim
        self.world = world
        self.handlers: dict[str, Callable[[EcsRegion, dict], dict]] = {
            name: getattr(self, _snake(name)) for name in shapes.operation_names()
            if hasattr(self, _snake(name))
        }

    def owns(self, operation: str) -> bool:
        return operation not in FORWARDED

    def handle(self, account: str, region_name: str, operation: str, params: dict) -> dict:
        handler = self.handlers.get(operation)
        if handler is None:
            raise not_served(operation or "This operation")
        region = self.store.region(account, region_name)
        return shapes.write(operation, handler(region, params or {}))

    @property
    def now(self) -> datetime:
        return self.sim.clock.now()

    # ------------------------------------------------------------------ lookups
    @staticmethod
    def cluster(region: EcsRegion, ref: str | None) -> Cluster:
        cluster = region.clusters.get(_short(ref) or "default")
        if cluster is None or cluster.status == "INACTIVE":
            raise CLUSTER_NOT_FOUND
        return cluster

    @staticmethod
    def service(region: EcsRegion, cluster: Cluster, ref: str | None) -> Service:
        svc = region.services.get(f"{cluster.name}:{_short(ref)}")
        if svc is None:
            raise SERVICE_NOT_FOUND
        return svc

    @staticmethod
    def task_definition(region: EcsRegion, ref: str | None, *, missing: EcsError = TD_NOT_FOUND) -> TaskDefinition:
        name = _short(ref)
        if not name:
            raise missing
        family, _, rev = name.partition(":")
        revisions = region.task_definitions.get(family) or {}
        if rev:
            try:
                td = revisions.get(int(rev))
            except ValueError:
                raise invalid(f"Invalid revision number. Number: {rev}")
        else:
            active = [r for r, t in revisions.items() if t.status == "ACTIVE"]
            td = revisions[max(active)] if active else None
        if td is None or _deleted(region, td):
            raise missing
        return td

    @staticmethod
    def find_task(region: EcsRegion, cluster: Cluster, ref: str) -> Task | None:
        task_id = _short(ref)
        for arn, task in region.tasks.get(cluster.name, {}).items():
            if arn == ref or task.id == task_id:
                return task
        return None

    # ------------------------------------------------------------------ clusters
    def create_cluster(self, region: EcsRegion, p: dict) -> dict:
        name = p.get("clusterName") or "default"
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", name):
            raise invalid("Cluster name can only contain letters, numbers, underscores and hyphens, "
                          "up to 255 characters.")
        existing = region.clusters.get(name)
        if existing is not None and existing.status == "ACTIVE":
            return {"cluster": existing}  # CreateCluster is idempotent
        providers = p.get("capacityProviders") or []
        strategy = p.get("defaultCapacityProviderStrategy") or []
        self._check_providers_exist(providers)
        defaults = self._check_service_connect_defaults(region, p.get("serviceConnectDefaults"))
        cluster = Cluster(name=name, arn=region.arn("cluster", name), tags=_copy(p.get("tags") or []),
                          configuration=p.get("configuration"), capacity_providers=list(providers),
                          default_capacity_provider_strategy=_copy(strategy),
                          service_connect_defaults=defaults or None)
        if p.get("settings"):
            cluster.settings = _copy(p["settings"])
        _check_strategy_associated(cluster, strategy)
        region.clusters[name] = cluster
        return {"cluster": cluster}

    @staticmethod
    def _check_providers_exist(providers: list[str]) -> None:
        for cp in providers:
            if _short(cp) not in MANAGED_CAPACITY_PROVIDERS:
                raise invalid(f"The specified capacity provider '{cp}' is not in an ACTIVE state. Specify a valid "
                              "capacity provider and try again.")

    def describe_clusters(self, region: EcsRegion, p: dict) -> dict:
        include = set(p.get("include") or [])
        hidden = _tags_unless_asked(p)
        if "ATTACHMENTS" not in include:
            hidden["attachments"] = None
        if "STATISTICS" not in include:
            hidden["statistics"] = []
        found, failures = _describe(p.get("clusters") or ["default"], lambda ref: region.clusters.get(_short(ref)),
                                    lambda ref: region.arn("cluster", ref), hidden)
        return {"clusters": found, "failures": failures}

    def list_clusters(self, region: EcsRegion, p: dict) -> dict:
        return {"clusterArns": [c.arn for c in region.clusters.values() if c.status == "ACTIVE"]}

    def delete_cluster(self, region: EcsRegion, p: dict) -> dict:
        cluster = self.cluster(region, p.get("cluster"))
        if any(s.cluster_name == cluster.name and s.status in ("ACTIVE", "DRAINING")
               for s in region.services.values()):
            raise EcsError("ClusterContainsServicesException", M.CLUSTER_HAS_SERVICES)
        if any(t.last_status != "STOPPED" for t in region.tasks.get(cluster.name, {}).values()):
            raise EcsError("ClusterContainsTasksException", M.CLUSTER_HAS_TASKS)
        cluster.status = "INACTIVE"
        # an inactive cluster's name is free again; ECS keeps describing it for a while
        return {"cluster": cluster}

    def update_cluster(self, region: EcsRegion, p: dict) -> dict:
        cluster = self.cluster(region, p.get("cluster"))
        if p.get("settings") is not None:
            cluster.settings = _copy(p["settings"])
        if p.get("configuration") is not None:
            cluster.configuration = _copy(p["configuration"])
        if p.get("serviceConnectDefaults") is not None:
            cluster.service_connect_defaults = self._check_service_connect_defaults(
                region, p["serviceConnectDefaults"]) or None
        return {"cluster": cluster}

    def update_cluster_settings(self, region: EcsRegion, p: dict) -> dict:
        cluster = self.cluster(region, p.get("cluster"))
        settings = {s["name"]: s for s in cluster.settings}
        for s in p.get("settings") or []:
            settings[s["name"]] = dict(s)
        cluster.settings = list(settings.values())
        return {"cluster": cluster}

    def put_cluster_capacity_providers(self, region: EcsRegion, p: dict) -> dict:
        cluster = self.cluster(region, p.get("cluster"))
        providers = p.get("capacityProviders")
        strategy = p.get("defaultCapacityProviderStrategy")
        if providers is None or strategy is None:
            raise invalid("capacityProviders and defaultCapacityProviderStrategy are required.")
        self._check_providers_exist(providers)
        trial = copy.copy(cluster)
        trial.capacity_providers = list(providers)
        _check_strategy_associated(trial, strategy)
        in_use = {(_short(i.get("capacityProvider"))) for s in region.services.values()
                  if s.cluster_name == cluster.name and s.status == "ACTIVE"
                  for i in s.capacity_provider_strategy or []}
        dropped = in_use - {_short(x) for x in providers}
        if dropped:
            raise EcsError("ResourceInUseException",
                           f"The specified capacity provider is in use and cannot be removed: {sorted(dropped)[0]}")
        cluster.capacity_providers = list(providers)
        cluster.default_capacity_provider_strategy = _copy(strategy)
        return {"cluster": cluster}

    def describe_capacity_providers(self, region: EcsRegion, p: dict) -> dict:
        """FARGATE and FARGATE_SPOT exist in every account, as in ECS; no names = all."""
        managed = {n: {"capacityProviderArn": region.arn("capacity-provider", n), "name": n,
                       "status": "ACTIVE", "tags": []} for n in MANAGED_CAPACITY_PROVIDERS}
        names = p.get("capacityProviders") or []
        if not names:
            return {"capacityProviders": list(managed.values()), "failures": []}
        found, failures = [], []
        for name in names:
            if _short(name) in managed:
                found.append(managed[_short(name)])
            else:
                failures.append({"arn": name if name.startswith("arn:") else region.arn("capacity-provider", name),
                                 "reason": "MISSING"})
        return {"capacityProviders": found, "failures": failures}

    def list_container_instances(self, region: EcsRegion, p: dict) -> dict:
        self.cluster(region, p.get("cluster"))
        return {"containerInstanceArns": []}  # the sandbox runs no EC2 instances

    def describe_container_instances(self, region: EcsRegion, p: dict) -> dict:
        cluster = self.cluster(region, p.get("cluster"))
        refs = p.get("containerInstances") or []
        if not refs:
            raise invalid("containerInstances can not be empty.")
        return {"containerInstances": [], "failures": [
            {"arn": r if r.startswith("arn:") else region.arn("container-instance", f"{cluster.name}/{r}"),
             "reason": "MISSING"} for r in refs]}

    # ------------------------------------------------------------------ task definitions
    def register_task_definition(self, region: EcsRegion, p: dict) -> dict:
        family = p.get("family") or ""
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", family):
            raise client_error("Family contains invalid characters or is too long: up to 255 letters (uppercase "
                               "and lowercase), numbers, hyphens, and underscores are allowed.")
        definitions = p.get("containerDefinitions") or []
        if not definitions:
            raise client_error("Container list cannot be empty.")
        for cd in definitions:
            for prop in ("name", "image"):
                if not cd.get(prop):
                    raise client_error(f"Container.{prop} should not be null or empty.")
            if not (cd.get("memory") or cd.get("memoryReservation") or p.get("memory")):
                raise client_error(f"Invalid setting for container '{cd['name']}'. At least one of 'memory' or "
                                   "'memoryReservation' must be specified.")
        names = [cd["name"] for cd in definitions]
        if len(set(names)) != len(names):
            raise client_error("Container names must be unique within a task definition.")
        if not any(cd.get("essential", True) is not False for cd in definitions):
            raise client_error(M.NO_ESSENTIAL_CONTAINER)
        err = validation.register_errors(p)
        if err:
            raise client_error(err)
        requires = p.get("requiresCompatibilities") or None
        network_mode = p.get("networkMode") or ("awsvpc" if requires and "FARGATE" in requires else "bridge")
        cpu, memory = p.get("cpu"), p.get("memory")
        if cpu is not None and validation.cpu_units(cpu) not in (None, -1):
            cpu = str(validation.cpu_units(cpu))
        if memory is not None and validation.memory_mib(memory) not in (None, -1):
            memory = str(validation.memory_mib(memory))
        compat = ["EC2"]
        if validation.fargate_compatible(network_mode, cpu, memory):
            compat.append("FARGATE")
        revisions = region.task_definitions.setdefault(family, {})
        revision = max(revisions, default=0) + 1
        full = []
        for cd in definitions:
            d = {"cpu": 0, "portMappings": [], "essential": True, "environment": [], "mountPoints": [],
                 "volumesFrom": []}
            d.update(_copy(cd))
            for pm in d.get("portMappings") or []:
                if network_mode == "awsvpc" and pm.get("containerPort") is not None:
                    pm.setdefault("hostPort", pm["containerPort"])
                pm.setdefault("protocol", "tcp")
            full.append(d)
        td = TaskDefinition(
            family=family, revision=revision, arn=region.arn("task-definition", f"{family}:{revision}"),
            container_definitions=full, network_mode=network_mode, volumes=_copy(p.get("volumes") or []),
            tags=_copy(p.get("tags") or []), placement_constraints=_copy(p.get("placementConstraints") or []),
            requires_compatibilities=requires, compatibilities=compat, cpu=cpu, memory=memory,
            task_role_arn=p.get("taskRoleArn"), execution_role_arn=p.get("executionRoleArn"),
            proxy_configuration=p.get("proxyConfiguration"), inference_accelerators=p.get("inferenceAccelerators"),
            runtime_platform=p.get("runtimePlatform"), ipc_mode=p.get("ipcMode"), pid_mode=p.get("pidMode"),
            ephemeral_storage=p.get("ephemeralStorage"), enable_fault_injection=p.get("enableFaultInjection"),
            registered_at=self.now, registered_by=f"arn:aws:iam::{region.account_id}:root")
        revisions[revision] = td
        return {"taskDefinition": td, "tags": td.tags}

    def describe_task_definition(self, region: EcsRegion, p: dict) -> dict:
        td = self.task_definition(region, p.get("taskDefinition"))
        out = {"taskDefinition": td}
        if "TAGS" in (p.get("include") or []):
            out["tags"] = td.tags
        return out

    def list_task_definitions(self, region: EcsRegion, p: dict) -> dict:
        prefix = p.get("familyPrefix")
        status = p.get("status") or "ACTIVE"
        tds = [td for family, revs in region.task_definitions.items() if prefix is None or family == prefix
               for td in revs.values() if td.status == status and not _deleted(region, td)]
        tds.sort(key=lambda t: (t.family, t.revision), reverse=p.get("sort") == "DESC")
        return {"taskDefinitionArns": [td.arn for td in tds]}

    def list_task_definition_families(self, region: EcsRegion, p: dict) -> dict:
        prefix = p.get("familyPrefix") or ""
        status = p.get("status") or "ACTIVE"
        out = []
        for family, revs in sorted(region.task_definitions.items()):
            if not family.startswith(prefix):
                continue
            active = any(t.status == "ACTIVE" for t in revs.values())
            if all(_deleted(region, t) for t in revs.values()):
                continue
            if status == "ALL" or (status == "ACTIVE") == active:
                out.append(family)
        return {"families": out}

    def deregister_task_definition(self, region: EcsRegion, p: dict) -> dict:
        ref = _short(p.get("taskDefinition"))
        if ":" not in ref:
            raise client_error("Revision is missing.")
        td = self.task_definition(region, ref)
        if td.status == "ACTIVE":
            td.status = "INACTIVE"
            td.deregistered_at = self.now
        return {"taskDefinition": td}

    def delete_task_definitions(self, region: EcsRegion, p: dict) -> dict:
        """A deleted revision stays DELETE_IN_PROGRESS, describable, while a task or
        a service deployment uses it, and is gone once nothing does; its number is
        never given again (the family keeps counting)."""
        refs = p.get("taskDefinitions") or []
        if not refs:
            raise invalid("size of TaskDefinition references list must be greater than 0")
        if len(refs) > 10:
            raise invalid("Size of TaskDefinition references list cannot exceed 10")
        deleted, failures = [], []
        for ref in refs:
            name = _short(ref)
            family, _, rev = name.partition(":")
            td = (region.task_definitions.get(family) or {}).get(int(rev)) if rev.isdigit() else None
            if not rev.isdigit():
                failures.append({"arn": ref, "reason": "The specified task definition identifier is invalid. "
                                 "Specify a valid name or ARN and try again."})
            elif td is None or _deleted(region, td):
                failures.append({"arn": ref, "reason": "The specified task definition does not exist. Specify a "
                                 "valid account, family, revision and try again."})
            elif td.status == "ACTIVE":
                failures.append({"arn": td.arn, "reason": "The specified task definition is still in ACTIVE "
                                 "status. Please deregister the target and try again."})
            else:
                td.status = "DELETE_IN_PROGRESS"
                td.delete_requested_at = td.delete_requested_at or self.now
                deleted.append(td)
        return {"taskDefinitions": deleted, "failures": failures}

    # ------------------------------------------------------------------ services
    def create_service(self, region: EcsRegion, p: dict) -> dict:
        cluster = self.cluster(region, p.get("cluster"))
        name = p.get("serviceName") or ""
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", name):
            raise invalid("Service name can only contain letters, numbers, underscores and hyphens, up to 255 "
                          "characters.")
        existing = region.services.get(f"{cluster.name}:{name}")
        if existing is not None and existing.status in ("ACTIVE", "DRAINING"):
            raise invalid(M.NOT_IDEMPOTENT)
        controller = p.get("deploymentController") or {"type": "ECS"}
        if controller.get("type") == "EXTERNAL":  # no deployments of its own: task sets (task_sets.py)
            return self._create_external_service(region, cluster, name, p, controller)
        if controller.get("type") == "CODE_DEPLOY":
            raise EcsError("NotImplemented", task_sets.CODE_DEPLOY_REFUSED)
        if controller.get("type", "ECS") != "ECS":
            raise not_served(f"CreateService with deploymentController {controller.get('type')}")
        if not p.get("taskDefinition"):
            raise invalid("TaskDefinition is required.")
        td = self.task_definition(region, p["taskDefinition"], missing=client_error("TaskDefinition not found."))
        launch_type, strategy = _launch(cluster, p.get("launchType"), p.get("capacityProviderStrategy"))
        _check_compat(td, launch_type, strategy)
        netconf = self._network(region, td, p.get("networkConfiguration"))
        self._check_load_balancers(region, td, p.get("loadBalancers"))
        sc_conf = self._check_service_connect(region, cluster, td, p.get("serviceConnectConfiguration"))
        desired = int(p.get("desiredCount") or 0)
        scheduling = p.get("schedulingStrategy") or "REPLICA"
        fargate = _is_fargate(launch_type, strategy)
        conf = _copy(DEFAULT_DEPLOYMENT_CONFIGURATION)
        _merge_deployment_configuration(conf, p.get("deploymentConfiguration"))
        self._check_strategy(region, conf, p.get("loadBalancers") or [])
        svc = Service(
            name=name, arn=region.arn("service", f"{cluster.name}/{name}"), cluster_name=cluster.name,
            cluster_arn=cluster.arn, task_definition=td.arn, desired_count=desired,
            launch_type=launch_type, capacity_provider_strategy=strategy,
            platform_version=(p.get("platformVersion") or "LATEST") if fargate else None,
            platform_family="Linux" if fargate else None, deployment_configuration=conf,
            load_balancers=_copy(p.get("loadBalancers") or []),
            service_registries=_copy(p.get("serviceRegistries") or []),
            service_connect_configuration=sc_conf,
            role_arn=p.get("role"), created_at=self.now, created_by=f"arn:aws:iam::{region.account_id}:root",
            placement_constraints=_copy(p.get("placementConstraints") or []),
            placement_strategy=_copy(p.get("placementStrategy") or []), network_configuration=netconf,
            health_check_grace_period_seconds=p.get("healthCheckGracePeriodSeconds"),
            scheduling_strategy=scheduling, deployment_controller=controller, tags=_copy(p.get("tags") or []),
            enable_ecs_managed_tags=bool(p.get("enableECSManagedTags", False)),
            propagate_tags=p.get("propagateTags") or "NONE",
            enable_execute_command=bool(p.get("enableExecuteCommand", False)),
            availability_zone_rebalancing=p.get("availabilityZoneRebalancing") or "DISABLED")
        if svc.health_check_grace_period_seconds is None and svc.load_balancers:
            svc.health_check_grace_period_seconds = 0
        region.services[svc.key] = svc
        self.sim.start_deployment(region, svc, td.arn)
        self._deployed(svc)
        self.sim.settle(region, svc)
        return {"service": svc}

    _REDEPLOY_KEYS = ("platformVersion", "capacityProviderStrategy", "enableExecuteCommand", "serviceRegistries",
                      "serviceConnectConfiguration")

    def update_service(self, region: EcsRegion, p: dict) -> dict:
        cluster = self.cluster(region, p.get("cluster"))
        svc = self.service(region, cluster, p.get("service"))
        if svc.status != "ACTIVE":
            raise EcsError("ServiceNotActiveException", M.SERVICE_NOT_ACTIVE)
        if task_sets.drives(svc):  # EXTERNAL controller: task sets deploy (task_sets.py)
            return self._update_external_service(region, svc, p)
        redeploy = bool(p.get("forceNewDeployment"))
        td = self.task_definition(region, svc.task_definition, missing=client_error("TaskDefinition not found."))
        if p.get("taskDefinition"):
            td = self.task_definition(region, p["taskDefinition"], missing=client_error("TaskDefinition not found."))
            _check_compat(td, svc.launch_type, svc.capacity_provider_strategy)
            if td.arn != svc.task_definition:
                redeploy = True
        netconf = svc.network_configuration
        if p.get("networkConfiguration") is not None:
            netconf = self._network(region, td, p["networkConfiguration"])
            redeploy = True
        elif td.network_mode == "awsvpc":
            netconf = self._network(region, td, svc.network_configuration or None)
        if p.get("loadBalancers") is not None:
            self._check_load_balancers(region, td, p["loadBalancers"])
            redeploy = redeploy or p["loadBalancers"] != svc.load_balancers
        elif svc.load_balancers:
            self._check_load_balancers(region, td, svc.load_balancers)
        if p.get("capacityProviderStrategy") is not None:
            _check_strategy_associated(cluster, p["capacityProviderStrategy"])
        sc_conf = svc.service_connect_configuration
        if p.get("serviceConnectConfiguration") is not None or td.arn != svc.task_definition:
            # a new configuration, or the kept one against another task definition's port names
            given = p.get("serviceConnectConfiguration")
            sc_conf = self._check_service_connect(region, cluster, td,
                                                  given if given is not None else svc.service_connect_configuration)
        for key in self._REDEPLOY_KEYS:
            if p.get(key) is not None:
                redeploy = True
        if p.get("deploymentConfiguration") is not None or p.get("loadBalancers") is not None:
            trial = _copy(svc.deployment_configuration or DEFAULT_DEPLOYMENT_CONFIGURATION)
            _merge_deployment_configuration(trial, p.get("deploymentConfiguration"))
            self._check_strategy(region, trial, p["loadBalancers"] if p.get("loadBalancers") is not None
                                 else svc.load_balancers)
        # every check passed: apply
        if p.get("loadBalancers") is not None:
            svc.load_balancers = _copy(p["loadBalancers"])
        if p.get("capacityProviderStrategy") is not None:
            svc.capacity_provider_strategy = _copy(p["capacityProviderStrategy"])
            svc.launch_type = None
        if p.get("platformVersion") is not None:
            svc.platform_version = p["platformVersion"]
        if p.get("enableExecuteCommand") is not None:
            svc.enable_execute_command = bool(p["enableExecuteCommand"])
        if p.get("serviceRegistries") is not None:
            svc.service_registries = _copy(p["serviceRegistries"])
        if p.get("serviceConnectConfiguration") is not None:
            svc.service_connect_configuration = sc_conf
        svc.network_configuration = netconf or None
        if p.get("desiredCount") is not None:
            svc.desired_count = int(p["desiredCount"])
            if svc.deployments:
                svc.deployments[0]["desiredCount"] = svc.desired_count
        if p.get("deploymentConfiguration") is not None:
            conf = svc.deployment_configuration or _copy(DEFAULT_DEPLOYMENT_CONFIGURATION)
            _merge_deployment_configuration(conf, p["deploymentConfiguration"])
            svc.deployment_configuration = conf
        if p.get("healthCheckGracePeriodSeconds") is not None:
            svc.health_check_grace_period_seconds = p["healthCheckGracePeriodSeconds"]
        for key, attr in (("propagateTags", "propagate_tags"), ("enableECSManagedTags", "enable_ecs_managed_tags"),
                          ("placementConstraints", "placement_constraints"),
                          ("placementStrategy", "placement_strategy"),
                          ("availabilityZoneRebalancing", "availability_zone_rebalancing")):
            if p.get(key) is not None:
                setattr(svc, attr, _copy(p[key]))
        svc.task_definition = td.arn
        if redeploy:
            self.sim.start_deployment(region, svc, td.arn)
            self._deployed(svc)
        self.sim.settle(region, svc)
        return {"service": svc}

    def describe_services(self, region: EcsRegion, p: dict) -> dict:
        cluster = self.cluster(region, p.get("cluster"))
        refs = p.get("services") or []
        if not refs:
            raise invalid("Services cannot be empty.")
        if len(refs) > 10:
            raise invalid("Services cannot contain more than 10 elements.")
        found, failures = _describe(refs, lambda ref: region.services.get(f"{cluster.name}:{_short(ref)}"),
                                    lambda ref: region.arn("service", _short(ref)), _tags_unless_asked(p))
        return {"services": found, "failures": failures}

    def list_services(self, region: EcsRegion, p: dict) -> dict:
        cluster = self.cluster(region, p.get("cluster"))
        arns = [s.arn for s in region.services.values()
                if s.cluster_name == cluster.name and s.status in ("ACTIVE", "DRAINING")
                and (not p.get("launchType") or s.launch_type == p["launchType"])
                and (not p.get("schedulingStrategy") or s.scheduling_strategy == p["schedulingStrategy"])]
        return {"serviceArns": sorted(arns)}

    def delete_service(self, region: EcsRegion, p: dict) -> dict:
        cluster = self.cluster(region, p.get("cluster"))
        svc = self.service(region, cluster, p.get("service"))
        if svc.status != "ACTIVE":
            raise EcsError("ServiceNotActiveException", M.SERVICE_NOT_ACTIVE)
        if svc.desired_count > 0 and not p.get("force"):
            raise invalid("The service cannot be stopped while it is scaled above 0.")
        svc.desired_count = 0
        svc.status = "DRAINING"
        self.sim.settle(region, svc)
        return {"service": svc}

    # ---- service deployments (2024 APIs) ----------------------------------------
    # One service deployment per deployment the service started (update-service,
    # create-service); a circuit-breaker rollback is a phase of the deployment it
    # rolls back, not a deployment of its own. A service revision is what a
    # deployment deploys; a rollback deploys the revision it returns to.
    def _deployment_arn(self, region: EcsRegion, svc: Service, dep: dict) -> str:
        return region.arn("service-deployment", f"{svc.cluster_name}/{svc.name}/{_dep_suffix(dep)}")

    def _revision_arn(self, region: EcsRegion, svc: Service, dep: dict) -> str:
        return region.arn("service-revision", f"{svc.cluster_name}/{svc.name}/{_revision_suffix(dep)}")

    def _service_deployment(self, region: EcsRegion, svc: Service, dep: dict, brief: bool) -> dict:
        rollback = _rollback_of(svc, dep)
        status = _deployment_status(svc, dep, rollback)
        out = {
            "serviceDeploymentArn": self._deployment_arn(region, svc, dep),
            "serviceArn": svc.arn,
            "clusterArn": svc.cluster_arn,
            "createdAt": dep["createdAt"],
            "startedAt": dep["createdAt"],
            "status": status,
            # a rollback keeps saying why it happened once it is over
            "statusReason": (rollback.get("_reason") or rollback.get("rolloutStateReason")) if rollback
            else dep.get("rolloutStateReason"),
            "targetServiceRevisionArn": self._revision_arn(region, svc, dep),
        }
        last = rollback or dep
        if status in ("SUCCESSFUL", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED", "STOPPED"):
            out["finishedAt"] = last.get("_finished_at") or last["updatedAt"]
        if brief:
            return out
        out["updatedAt"] = last["updatedAt"]
        by_id = {d["id"]: d for d in svc.history}
        out["sourceServiceRevisions"] = [self._revision_summary(region, svc, by_id[i])
                                         for i in dep.get("_sources", []) if i in by_id]
        out["targetServiceRevision"] = self._revision_summary(region, svc, dep)
        conf = dep.get("_configuration") or svc.deployment_configuration or {}
        out["deploymentConfiguration"] = conf
        breaker = conf.get("deploymentCircuitBreaker") or {}
        if breaker.get("enable"):
            from .sim import circuit_breaker_threshold

            state = dep.get("rolloutState")
            out["deploymentCircuitBreaker"] = {
                "status": {"FAILED": "TRIGGERED", "COMPLETED": "MONITORING_COMPLETE"}.get(state, "MONITORING"),
                "failureCount": dep.get("failedTasks", 0),
                "threshold": circuit_breaker_threshold(int(dep.get("desiredCount") or 0),
                                                       breaker.get("thresholdConfiguration"))}
        else:
            out["deploymentCircuitBreaker"] = {"status": "DISABLED", "failureCount": 0, "threshold": 0}
        out.update(strategies.view(dep))
        shares = strategies.weights(dep)
        if shares is not None:
            prod, test = shares
            for summary in out["sourceServiceRevisions"]:
                summary["requestedProductionTrafficWeight"] = 100.0 - prod
                summary["requestedTestTrafficWeight"] = 100.0 - test
            out["targetServiceRevision"]["requestedProductionTrafficWeight"] = prod
            out["targetServiceRevision"]["requestedTestTrafficWeight"] = test
        if rollback is not None:
            out["rollback"] = {"reason": rollback.get("_reason") or rollback.get("rolloutStateReason"),
                               "startedAt": rollback["createdAt"],
                               "serviceRevisionArn": self._revision_arn(region, svc, rollback)}
        return out

    @staticmethod
    def _revision_summary(region: EcsRegion, svc: Service, dep: dict) -> dict:
        return {"arn": region.arn("service-revision", f"{svc.cluster_name}/{svc.name}/{_revision_suffix(dep)}"),
                "requestedTaskCount": dep.get("desiredCount", 0), "runningTaskCount": dep.get("runningCount", 0),
                "pendingTaskCount": dep.get("pendingCount", 0)}

    def list_service_deployments(self, region: EcsRegion, p: dict) -> dict:
        cluster = self.cluster(region, p.get("cluster"))
        svc = self.service(region, cluster, p.get("service"))
        wanted = set(p.get("status") or [])
        created = p.get("createdAt") or {}
        items = []
        for dep in reversed(svc.history):
            if dep.get("_rollback"):
                continue
            item = self._service_deployment(region, svc, dep, brief=True)
            if wanted and item["status"] not in wanted:
                continue
            at = dep["createdAt"].timestamp()
            if created.get("before") is not None and at >= _epoch(created["before"]):
                continue
            if created.get("after") is not None and at <= _epoch(created["after"]):
                continue
            items.append(item)
        limit = int(p.get("maxResults") or 20)
        return {"serviceDeployments": items[:limit]}

    @staticmethod
    def _find(region: EcsRegion, arn: str, kind: str) -> tuple[Service, dict] | None:
        """The service and deployment dict a service-deployment or service-revision ARN names."""
        m = re.fullmatch(rf"arn:aws[\w-]*:ecs:[^:]+:\d{{12}}:{kind}/([^/]+)/([^/]+)/([^/]+)", arn or "")
        if m is None:
            return None
        svc = region.services.get(f"{m.group(1)}:{m.group(2)}")
        if svc is None:
            return None
        suffix = _dep_suffix if kind == "service-deployment" else _revision_suffix
        dep = next((d for d in svc.history if suffix(d) == m.group(3) and not d.get("_rollback")), None)
        return (svc, dep) if dep is not None else None

    def describe_service_deployments(self, region: EcsRegion, p: dict) -> dict:
        arns = p.get("serviceDeploymentArns") or []
        if not arns:
            raise invalid("serviceDeploymentArns can not be empty.")
        found, failures = [], []
        for arn in arns:
            hit = self._find(region, arn, "service-deployment")
            if hit is None:
                failures.append({"arn": arn, "reason": "MISSING"})
            else:
                found.append(self._service_deployment(region, hit[0], hit[1], brief=False))
        return {"serviceDeployments": found, "failures": failures}

    def describe_service_revisions(self, region: EcsRegion, p: dict) -> dict:
        arns = p.get("serviceRevisionArns") or []
        if not arns:
            raise invalid("serviceRevisionArns can not be empty.")
        found, failures = [], []
        for arn in arns:
            hit = self._find(region, arn, "service-revision")
            if hit is None:
                failures.append({"arn": arn, "reason": "MISSING"})
                continue
            svc, dep = hit
            td = region.task_definition(dep["taskDefinition"])
            images = {cd.get("name"): cd.get("image") for cd in (td.container_definitions if td else [])}
            found.append({
                "serviceRevisionArn": self._revision_arn(region, svc, dep), "serviceArn": svc.arn,
                "clusterArn": svc.cluster_arn, "taskDefinition": dep["taskDefinition"],
                "capacityProviderStrategy": dep.get("capacityProviderStrategy"),
                "launchType": dep.get("launchType"), "platformVersion": dep.get("platformVersion"),
                "platformFamily": dep.get("platformFamily"),
                "loadBalancers": dep.get("_load_balancers"),
                "serviceRegistries": dep.get("_service_registries"),
                "networkConfiguration": dep.get("networkConfiguration"),
                "serviceConnectConfiguration": dep.get("serviceConnectConfiguration"),
                "containerImages": [{"containerName": name, "imageDigest": digest, "image": images.get(name)}
                                    for name, digest in (dep.get("_digests") or {}).items()],
                "guardDutyEnabled": False, "createdAt": dep["createdAt"]})
        return {"serviceRevisions": found, "failures": failures}

    def _deployed(self, svc: Service) -> None:
        """What a deployment the API started must remember for the 2024 APIs:
        what it replaces and the configuration it runs under."""
        dep = svc.deployments[0]
        dep["_sources"] = [d["id"] for d in svc.deployments[1:]]
        dep["_configuration"] = _copy(svc.deployment_configuration)
        dep["_load_balancers"] = _copy(svc.load_balancers)
        dep["_service_registries"] = _copy(svc.service_registries)
        if svc.service_connect_configuration:
            # kept and shown as ECS shows it; no Service Connect proxy runs in the sandbox
            dep["serviceConnectConfiguration"] = _copy(svc.service_connect_configuration)

    def _deployment_named(self, region: EcsRegion, arn: str | None) -> tuple[Service, dict]:
        hit = self._find(region, arn or "", "service-deployment")
        if hit is None:
            raise EcsError("ServiceDeploymentNotFoundException",
                           f"The service deployment {arn} does not exist. Use ListServiceDeployments to find "
                           "the service's deployments.")
        return hit

    def stop_service_deployment(self, region: EcsRegion, p: dict) -> dict:
        """StopServiceDeployment with ROLLBACK: back to the last completed deployment,
        whether or not the service was configured to roll back."""
        svc, dep = self._deployment_named(region, p.get("serviceDeploymentArn"))
        stop_type = p.get("stopType") or "ROLLBACK"
        if stop_type != "ROLLBACK":
            raise invalid(f"stopType {stop_type} is not supported: the valid value is ROLLBACK.")
        if not svc.deployments or svc.deployments[0] is not dep or dep.get("rolloutState") != "IN_PROGRESS":
            raise EcsError("ConflictException", "The service deployment is not in progress, so it cannot be "
                                                "stopped.")
        target = next((d for d in svc.deployments[1:] if d.get("_completed")), None)
        if target is None:
            raise EcsError("ConflictException", "The service has no completed deployment to roll back to.")
        now = self.now
        reason = M.ROLLOUT_STOP_ROLLBACK.format(dep=target["id"])
        if dep.get("_strategy"):
            strategies.roll_back(self.sim, region, svc, dep, reason, now)
        else:
            dep["rolloutState"] = "FAILED"
            dep["rolloutStateReason"] = reason
            dep["updatedAt"] = dep["_finished_at"] = now
            self.sim.begin_rollback(region, svc, dep, target, now, reason)
        self.sim.settle(region, svc)
        return {"serviceDeploymentArn": p.get("serviceDeploymentArn")}

    def continue_service_deployment(self, region: EcsRegion, p: dict) -> dict:
        svc, dep = self._deployment_named(region, p.get("serviceDeploymentArn"))
        action = p.get("action") or "CONTINUE"
        if action not in ("CONTINUE", "ROLLBACK"):
            raise invalid("action should be one of [ROLLBACK,CONTINUE]")
        if not p.get("hookId"):
            raise invalid("hookId must be specified.")
        problem = strategies.continue_hook(self.sim, region, svc, dep, p.get("hookId"), action)
        if problem:
            raise invalid(problem)
        self.sim.settle(region, svc)
        return {"serviceDeploymentArn": p.get("serviceDeploymentArn")}

    # ---- task sets: services with the EXTERNAL deployment controller (task_sets.py) ----
    def _create_external_service(self, region: EcsRegion, cluster: Cluster, name: str, p: dict,
                                 controller: dict) -> dict:
        _raise(task_sets.refused_create_service(p))
        conf = _copy(DEFAULT_DEPLOYMENT_CONFIGURATION)
        _merge_deployment_configuration(conf, p.get("deploymentConfiguration"))
        svc = Service(
            name=name, arn=region.arn("service", f"{cluster.name}/{name}"), cluster_name=cluster.name,
            cluster_arn=cluster.arn, task_definition=None, desired_count=int(p.get("desiredCount") or 0),
            deployment_configuration=conf, role_arn=p.get("role"), created_at=self.now,
            created_by=f"arn:aws:iam::{region.account_id}:root",
            placement_constraints=_copy(p.get("placementConstraints") or []),
            placement_strategy=_copy(p.get("placementStrategy") or []),
            health_check_grace_period_seconds=p.get("healthCheckGracePeriodSeconds"),
            deployment_controller=_copy(controller), tags=_copy(p.get("tags") or []),
            enable_ecs_managed_tags=bool(p.get("enableECSManagedTags", False)),
            propagate_tags=p.get("propagateTags") or "NONE",
            enable_execute_command=bool(p.get("enableExecuteCommand", False)),
            availability_zone_rebalancing=p.get("availabilityZoneRebalancing") or "DISABLED")
        region.services[svc.key] = svc
        self.sim.settle(region, svc)
        return {"service": svc}

    def _update_external_service(self, region: EcsRegion, svc: Service, p: dict) -> dict:
        _raise(task_sets.refused_update_service(p))
        if p.get("desiredCount") is not None:
            svc.desired_count = int(p["desiredCount"])
        if p.get("healthCheckGracePeriodSeconds") is not None:
            svc.health_check_grace_period_seconds = p["healthCheckGracePeriodSeconds"]
        if p.get("deploymentConfiguration") is not None:
            _merge_deployment_configuration(svc.deployment_configuration, p["deploymentConfiguration"])
        for key, attr in (("propagateTags", "propagate_tags"), ("enableECSManagedTags", "enable_ecs_managed_tags"),
                          ("enableExecuteCommand", "enable_execute_command"),
                          ("placementConstraints", "placement_constraints"),
                          ("placementStrategy", "placement_strategy"),
                          ("availabilityZoneRebalancing", "availability_zone_rebalancing")):
            if p.get(key) is not None:
                setattr(svc, attr, _copy(p[key]))
        self.sim.settle(region, svc)
        return {"service": svc}

    def _task_set_service(self, region: EcsRegion, p: dict) -> tuple[Cluster, Service]:
        cluster = self.cluster(region, p.get("cluster"))
        svc = self.service(region, cluster, p.get("service"))
        _raise(task_sets.check_service(svc))
        return cluster, svc

    @staticmethod
    def _task_set(svc: Service, ref: str | None) -> dict:
        ts = task_sets.find(svc, ref)
        if ts is None:
            raise EcsError("TaskSetNotFoundException", task_sets.NOT_FOUND)
        return ts

    def create_task_set(self, region: EcsRegion, p: dict) -> dict:
        cluster, svc = self._task_set_service(region, p)
        td = self.task_definition(region, p.get("taskDefinition"), missing=client_error("TaskDefinition not found."))
        launch_type, strategy = _launch(cluster, p.get("launchType"), p.get("capacityProviderStrategy"))
        _check_compat(td, launch_type, strategy)
        netconf = self._network(region, td, p.get("networkConfiguration"))
        self._check_load_balancers(region, td, p.get("loadBalancers"))
        ts, problem = task_sets.create(self.sim, region, cluster, svc, td, p, launch_type=launch_type,
                                       strategy=strategy, network_configuration=netconf,
                                       fargate=_is_fargate(launch_type, strategy))
        _raise(problem)
        self.sim.settle(region, svc)
        return {"taskSet": task_sets.view(ts, tags=True)}

    def update_task_set(self, region: EcsRegion, p: dict) -> dict:
        _, svc = self._task_set_service(region, p)
        ts = self._task_set(svc, p.get("taskSet"))
        _raise(task_sets.update_scale(self.sim, svc, ts, p.get("scale")))
        self.sim.settle(region, svc)
        return {"taskSet": task_sets.view(ts, tags=False)}

    def update_service_primary_task_set(self, region: EcsRegion, p: dict) -> dict:
        _, svc = self._task_set_service(region, p)
        ts = self._task_set(svc, p.get("primaryTaskSet"))
        _raise(task_sets.make_primary(self.sim, svc, ts))
        self.sim.settle(region, svc)
        return {"taskSet": task_sets.view(ts, tags=False)}

    def delete_task_set(self, region: EcsRegion, p: dict) -> dict:
        _, svc = self._task_set_service(region, p)
        ts = self._task_set(svc, p.get("taskSet"))
        _raise(task_sets.delete(self.sim, svc, ts, bool(p.get("force"))))
        self.sim.settle(region, svc)
        return {"taskSet": task_sets.view(ts, tags=False)}

    def describe_task_sets(self, region: EcsRegion, p: dict) -> dict:
        cluster, svc = self._task_set_service(region, p)
        tags = "TAGS" in (p.get("include") or [])
        refs = p.get("taskSets")
        if not refs:
            return {"taskSets": [task_sets.view(ts, tags) for ts in svc.task_sets], "failures": []}
        found, failures = [], []
        for ref in refs:
            ts = task_sets.find(svc, ref)
            if ts is None:
                arn = ref if ref.startswith("arn:") else region.arn("task-set", f"{cluster.name}/{svc.name}/{ref}")
                failures.append({"arn": arn, "reason": "MISSING"})
            else:
                found.append(task_sets.view(ts, tags))
        return {"taskSets": found, "failures": failures}

    # ------------------------------------------------------------------ tasks
    def run_task(self, region: EcsRegion, p: dict) -> dict:
        cluster = self.cluster(region, p.get("cluster"))
        td = self.task_definition(region, p.get("taskDefinition"), missing=client_error("TaskDefinition not found."))
        count = 1 if p.get("count") is None else int(p["count"])
        if not 1 <= count <= 10:
            raise invalid("count must be between 1 and 10.")
        launch_type, strategy = _launch(cluster, p.get("launchType"), p.get("capacityProviderStrategy"))
        _check_compat(td, launch_type, strategy)
        netconf = self._network(region, td, p.get("networkConfiguration"))
        self._check_roles(region, td)
        if launch_type in ("EC2", "EXTERNAL") and not region.container_instances.get(cluster.name):
            raise invalid(M.NO_CONTAINER_INSTANCES_RUN)
        cp_name = strategy[0].get("capacityProvider") if strategy else None
        tasks = self.sim.launch_tasks(
            region, cluster, td, count, now=self.now, group=p.get("group") or f"family:{td.family}",
            started_by=p.get("startedBy"),
            launch_type=launch_type or ("FARGATE" if _is_fargate(None, strategy) else None),
            capacity_provider_name=cp_name, platform_version=p.get("platformVersion"),
            network_configuration=netconf, overrides=p.get("overrides"), tags=_copy(p.get("tags")),
            enable_execute_command=bool(p.get("enableExecuteCommand")))
        self.sim.settle(region)
        return {"tasks": tasks, "failures": []}

    def start_task(self, region: EcsRegion, p: dict) -> dict:
        self.cluster(region, p.get("cluster"))
        raise invalid(M.NO_CONTAINER_INSTANCES_RUN)

    def stop_task(self, region: EcsRegion, p: dict) -> dict:
        cluster = self.cluster(region, p.get("cluster"))
        task = self.find_task(region, cluster, p.get("task") or "")
        if task is None:
            raise invalid(M.TASK_NOT_FOUND)
        self.sim.stop_by_user(region, task, p.get("reason"))
        return {"task": task}

    def describe_tasks(self, region: EcsRegion, p: dict) -> dict:
        cluster = self.cluster(region, p.get("cluster"))
        refs = p.get("tasks") or []
        if not refs:
            raise invalid("Tasks cannot be empty.")
        if len(refs) > 100:
            raise invalid("Tasks cannot contain more than 100 elements.")
        found, failures = _describe(refs, lambda ref: self.find_task(region, cluster, ref),
                                    lambda ref: region.arn("task", f"{cluster.name}/{ref}"), _tags_unless_asked(p))
        return {"tasks": found, "failures": failures}

    def list_tasks(self, region: EcsRegion, p: dict) -> dict:
        cluster = self.cluster(region, p.get("cluster"))
        family, started_by = p.get("family"), p.get("startedBy")
        service_name = p.get("serviceName")
        desired = p.get("desiredStatus") or "RUNNING"
        launch_type = p.get("launchType")
        if service_name:
            self.service(region, cluster, service_name)
        arns = []
        for task in region.tasks.get(cluster.name, {}).values():
            if task.desired_status != desired:
                continue
            if p.get("containerInstance"):
                continue  # no task runs on a container instance in the sandbox
            if family and task.task_definition_arn.split("/")[-1].rsplit(":", 1)[0] != family:
                continue
            if started_by and task.started_by != started_by:
                continue
            if service_name and task.group != f"service:{_short(service_name)}":
                continue
            if launch_type and task.launch_type != launch_type:
                continue
            arns.append(task.task_arn)
        return {"taskArns": arns}

    # ------------------------------------------------------------------ tags
    def _tagged(self, region: EcsRegion, arn: str):
        m = re.fullmatch(r"arn:aws[\w-]*:ecs:([^:]+):(\d{12}):([\w-]+)/(.+)", arn or "")
        if m is None:
            raise invalid("The ARN provided is invalid.")
        kind, rest = m.group(3), m.group(4)
        if kind == "cluster":
            cluster = region.clusters.get(rest)
            if cluster is None:
                raise CLUSTER_NOT_FOUND
            return cluster
        if kind == "service":
            for svc in region.services.values():
                if svc.arn == arn:
                    return svc
            raise SERVICE_NOT_FOUND
        if kind == "task-definition":
            td = region.task_definition(arn)
            if td is None:
                raise TD_NOT_FOUND
            return td
        if kind == "task":
            for tasks in region.tasks.values():
                if arn in tasks:
                    return tasks[arn]
            raise invalid(M.TASK_NOT_FOUND)
        raise invalid("The ARN provided is invalid.")

    def list_tags_for_resource(self, region: EcsRegion, p: dict) -> dict:
        return {"tags": self._tagged(region, p.get("resourceArn") or "").tags or []}

    def tag_resource(self, region: EcsRegion, p: dict) -> dict:
        resource = self._tagged(region, p.get("resourceArn") or "")
        new = {t["key"]: t.get("value", "") for t in p.get("tags") or []}
        kept = [t for t in resource.tags or [] if t["key"] not in new]
        resource.tags = kept + [{"key": k, "value": v} for k, v in new.items()]
        return {}

    def untag_resource(self, region: EcsRegion, p: dict) -> dict:
        resource = self._tagged(region, p.get("resourceArn") or "")
        keys = set(p.get("tagKeys") or [])
        resource.tags = [t for t in resource.tags or [] if t["key"] not in keys]
        return {}

    # ------------------------------------------------------------------ checks that need other services
    def _network(self, region: EcsRegion, td: TaskDefinition, netconf: dict | None) -> dict | None:
        if td.network_mode == "awsvpc":
            if not netconf or not netconf.get("awsvpcConfiguration"):
                raise invalid(M.NETWORK_CONFIG_REQUIRED)
            conf = dict(netconf["awsvpcConfiguration"])
            if not conf.get("subnets"):
                raise invalid("subnets can not be empty.")
            for subnet in conf["subnets"]:
                if self.world.subnet(region.account_id, region.region_name, subnet) is None:
                    raise invalid(f"Error retrieving subnet information for [{subnet}]: The subnet ID '{subnet}' "
                                  "does not exist (Service: AmazonEC2; Status Code: 400; Error Code: "
                                  "InvalidSubnetID.NotFound)")
            if not conf.get("securityGroups"):
                sg = self.world.default_security_group(region.account_id, region.region_name, conf["subnets"][0])
                conf["securityGroups"] = [sg] if sg else []
            conf.setdefault("assignPublicIp", "DISABLED")
            return {"awsvpcConfiguration": conf}
        if netconf:
            raise invalid("Network Configuration is not valid for the given networkMode of this task definition.")
        return None

    def _check_load_balancers(self, region: EcsRegion, td: TaskDefinition, load_balancers) -> None:
        for lb in load_balancers or []:
            arn = lb.get("targetGroupArn")
            if not arn:
                continue
            tg = self.world.target_group(region.account_id, region.region_name, arn)
            if tg is None:
                raise invalid(M.TG_NOT_FOUND)
            if not tg.load_balancer_arns:
                raise invalid(M.TG_NO_LB.format(tg=arn))
            if td.network_mode == "awsvpc" and tg.target_type != "ip":
                raise invalid(M.TG_TARGET_TYPE.format(tg=arn, tt=tg.target_type))
            if td.network_mode in ("bridge", "host") and tg.target_type == "ip":
                raise invalid(f"The provided target group {arn} has target type ip, which is incompatible with "
                              f"the {td.network_mode} network mode specified in the task definition.")
            name = lb.get("containerName")
            container = next((cd for cd in td.container_definitions if cd.get("name") == name), None)
            if container is None:
                raise invalid(f"The container {name} does not exist in the task definition.")
            ports = {pm.get("containerPort") for pm in container.get("portMappings") or []}
            if lb.get("containerPort") not in ports:
                raise invalid(f"The container {name} did not have a container port {lb.get('containerPort')} "
                              "defined.")

    def _check_strategy(self, region: EcsRegion, conf: dict, load_balancers: list) -> None:
        problem = strategies.validate(conf, load_balancers, self.world, region.account_id, region.region_name)
        if problem:
            raise invalid(problem)

    def _check_service_connect(self, region: EcsRegion, cluster: Cluster, td: TaskDefinition,
                               conf: dict | None) -> dict | None:
        """A service's Service Connect configuration as ECS checks it (namespace, port names),
        with its namespace as the namespace's ARN."""
        out, problem = service_connect.configure(self.world, region.account_id, region.region_name, cluster, td,
                                                 conf)
        if problem is not None:
            raise EcsError(problem.code, problem.message)
        return out

    def _check_service_connect_defaults(self, region: EcsRegion, defaults: dict | None) -> dict | None:
        out, problem = service_connect.cluster_defaults(self.world, region.account_id, region.region_name, defaults)
        if problem is not None:
            raise EcsError(problem.code, problem.message)
        return out

    def _check_roles(self, region: EcsRegion, td: TaskDefinition) -> None:
        for arn in (td.execution_role_arn, td.task_role_arn):
            if not arn:
                continue
            role = self.world.role(region.account_id, arn)
            if role is None or not iam_eval.trusts_ecs_tasks(role):
                raise client_error(M.ASSUME_ROLE.format(role=arn))


# ---------------------------------------------------------------------------- helpers
def _describe(refs: list[str], find: Callable[[str], Any], missing_arn: Callable[[str], str],
              hidden: dict) -> tuple[list, list]:
    """A Describe* answer: a shallow view of each resource found, with the members not
    asked for (``hidden``) replaced, and a MISSING failure for each one not found."""
    found, failures = [], []
    for ref in refs:
        item = find(ref)
        if item is None:
            failures.append({"arn": ref if ref.startswith("arn:") else missing_arn(ref), "reason": "MISSING"})
            continue
        view = copy.copy(item)
        for attr, value in hidden.items():
            setattr(view, attr, value)
        found.append(view)
    return found, failures


def _raise(problem) -> None:
    """A refusal a rules module (task_sets.py) returned, as the EcsError ECS answers with."""
    if problem is not None:
        raise EcsError(problem.code, problem.message)


def _tags_unless_asked(p: dict) -> dict:
    """Tags are answered only with ``include: [TAGS]``, as ECS does."""
    return {} if "TAGS" in (p.get("include") or []) else {"tags": None}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _epoch(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def _dep_suffix(dep: dict) -> str:
    return dep["id"].split("/")[-1]


def _revision_suffix(dep: dict) -> str:
    return (dep.get("_revision_of") or dep["id"]).split("/")[-1]


def _rollback_of(svc: Service, dep: dict) -> dict | None:
    return next((d for d in svc.history if d.get("_rollback_for") == dep["id"]), None)


def _deployment_status(svc: Service, dep: dict, rollback: dict | None) -> str:
    """A deployment's state as the service-deployment APIs name it."""
    if rollback is not None:
        return {"COMPLETED": "ROLLBACK_SUCCESSFUL", "FAILED": "ROLLBACK_FAILED"}.get(
            rollback.get("rolloutState"), "ROLLBACK_IN_PROGRESS")
    state = dep.get("rolloutState")
    if state == "COMPLETED" or dep.get("_completed_once"):
        return "SUCCESSFUL"
    if state == "FAILED" or not svc.deployments or svc.deployments[0] is not dep:
        return "STOPPED"  # failed without rollback, or replaced by a newer deployment
    return "IN_PROGRESS"


def _deleted(region: EcsRegion, td: TaskDefinition) -> bool:
    return td.status == "DELETE_IN_PROGRESS" and not _in_use(region, td)


def _in_use(region: EcsRegion, td: TaskDefinition) -> bool:
    for svc in region.services.values():
        if svc.status != "INACTIVE" and any(d["taskDefinition"] == td.arn for d in svc.deployments):
            return True
    return any(t.task_definition_arn == td.arn and t.last_status != "STOPPED"
               for tasks in region.tasks.values() for t in tasks.values())


def _launch(cluster: Cluster, launch_type, strategy):
    """(launchType, capacityProviderStrategy) as ECS resolves them."""
    if launch_type and strategy:
        raise invalid(M.BOTH_LAUNCH_TYPE_AND_STRATEGY)
    if not launch_type and not strategy:
        strategy = cluster.default_capacity_provider_strategy or None
        if not strategy:
            launch_type = "EC2"
    if launch_type and launch_type not in ("EC2", "FARGATE", "EXTERNAL"):
        raise invalid("launchType should be one of [EC2,FARGATE,EXTERNAL]")
    _check_strategy_associated(cluster, strategy)
    return launch_type, _copy(strategy) if strategy else None


def _check_strategy_associated(cluster: Cluster, strategy) -> None:
    """FARGATE and FARGATE_SPOT exist in every account but serve only clusters
    they are associated with (put-cluster-capacity-providers), as any provider."""
    associated = {_short(cp) for cp in cluster.capacity_providers or []}
    for item in strategy or []:
        if _short(item.get("capacityProvider")) not in associated:
            raise invalid(M.CAPACITY_PROVIDER_NOT_ASSOCIATED)


def _is_fargate(launch_type, strategy) -> bool:
    if launch_type == "FARGATE":
        return True
    return bool(strategy) and all(s.get("capacityProvider") in MANAGED_CAPACITY_PROVIDERS for s in strategy)


def _check_compat(td: TaskDefinition, launch_type, strategy) -> None:
    if td.status != "ACTIVE":
        raise client_error(M.TD_INACTIVE)
    if _is_fargate(launch_type, strategy) and "FARGATE" not in td.compatibilities:
        raise invalid(M.LAUNCH_TYPE_UNSUPPORTED.format(lt="FARGATE"))


def _merge_deployment_configuration(conf: dict, new: dict | None) -> None:
    if not new:
        return
    for key, value in new.items():
        if key == "deploymentCircuitBreaker" and isinstance(value, dict):
            conf.setdefault(key, {}).update(value)
        elif value is not None:
            conf[key] = _copy(value)
