"""The ECS resources the sandbox keeps: plain objects, no behaviour.

Attribute names are the snake_case of the ECS API's member names
(``enable_ecs_managed_tags`` for ``enableECSManagedTags``), so shapes.py can write
any of them in the API's output shape. Deployments and events are dicts keyed by
the API's own names; keys that start with ``_`` are the simulation's and are never
written out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Cluster:
    name: str
    arn: str
    status: str = "ACTIVE"
    settings: list = field(default_factory=lambda: [{"name": "containerInsights", "value": "disabled"}])
    configuration: dict | None = None
    capacity_providers: list = field(default_factory=list)
    default_capacity_provider_strategy: list = field(default_factory=list)
    tags: list = field(default_factory=list)
    service_connect_defaults: dict | None = None
    registered_container_instances_count: int = 0
    running_tasks_count: int = 0
    pending_tasks_count: int = 0
    active_services_count: int = 0
    statistics: list = field(default_factory=list)
    attachments: list = field(default_factory=list)

    @property
    def cluster_name(self) -> str:
        return self.name

    @property
    def cluster_arn(self) -> str:
        return self.arn


@dataclass
class TaskDefinition:
    family: str
    revision: int
    arn: str
    container_definitions: list
    network_mode: str | None = None
    volumes: list = field(default_factory=list)
    tags: list = field(default_factory=list)
    placement_constraints: list = field(default_factory=list)
    requires_compatibilities: list | None = None
    compatibilities: list = field(default_factory=lambda: ["EC2"])
    cpu: str | None = None
    memory: str | None = None
    task_role_arn: str | None = None
    execution_role_arn: str | None = None
    proxy_configuration: dict | None = None
    inference_accelerators: list | None = None
    runtime_platform: dict | None = None
    ipc_mode: str | None = None
    pid_mode: str | None = None
    ephemeral_storage: dict | None = None
    enable_fault_injection: bool | None = None
    status: str = "ACTIVE"  # ACTIVE, INACTIVE, DELETE_IN_PROGRESS
    requires_attributes: list = field(default_factory=list)
    registered_at: datetime | None = None
    registered_by: str | None = None
    deregistered_at: datetime | None = None
    delete_requested_at: datetime | None = None

    @property
    def task_definition_arn(self) -> str:
        return self.arn


@dataclass
class Service:
    name: str
    arn: str
    cluster_name: str
    cluster_arn: str
    task_definition: str
    desired_count: int = 0
    running_count: int = 0
    pending_count: int = 0
    status: str = "ACTIVE"  # ACTIVE, DRAINING, INACTIVE
    launch_type: str | None = None
    capacity_provider_strategy: list | None = None
    platform_version: str | None = None
    platform_family: str | None = None
    deployment_configuration: dict = field(default_factory=dict)
    deployments: list = field(default_factory=list)  # dicts, newest (PRIMARY) first
    events: list = field(default_factory=list)  # dicts, newest first
    load_balancers: list = field(default_factory=list)
    service_registries: list = field(default_factory=list)
    service_connect_configuration: dict | None = None
    role_arn: str | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    placement_constraints: list = field(default_factory=list)
    placement_strategy: list = field(default_factory=list)
    network_configuration: dict | None = None
    health_check_grace_period_seconds: int | None = None
    scheduling_strategy: str = "REPLICA"
    deployment_controller: dict = field(default_factory=lambda: {"type": "ECS"})
    tags: list = field(default_factory=list)
    enable_ecs_managed_tags: bool = False
    propagate_tags: str = "NONE"
    enable_execute_command: bool = False
    availability_zone_rebalancing: str = "DISABLED"
    task_sets: list = field(default_factory=list)
    # every deployment the service has had, oldest first (list-service-deployments)
    history: list = field(default_factory=list)
    # the scheduler's memory between steps (sim.ServiceState)
    sim: Any = None

    @property
    def service_name(self) -> str:
        return self.name

    @property
    def service_arn(self) -> str:
        return self.arn

    @property
    def key(self) -> str:
        return f"{self.cluster_name}:{self.name}"


class Task:
    """A task as ECS reports it; attributes without ``_`` are API members."""

    def __init__(self, *, task_id: str, task_arn: str, cluster: Cluster, task_definition: TaskDefinition,
                 group: str, started_by: str | None, launch_type: str | None,
                 capacity_provider_name: str | None, platform_version: str | None, overrides: dict | None,
                 tags: list | None, enable_execute_command: bool, now: datetime) -> None:
        self.id = task_id
        self.task_arn = task_arn
        self.cluster_name = cluster.name
        self.cluster_arn = cluster.arn
        self.task_definition_arn = task_definition.arn
        self.container_instance_arn = None
        self.group = group
        self.started_by = started_by or None  # absent, not "", when not given
        self.overrides = overrides or {"containerOverrides": [], "inferenceAcceleratorOverrides": []}
        self.tags = tags or []
        self.launch_type = launch_type
        self.capacity_provider_name = capacity_provider_name
        fargate = launch_type == "FARGATE" or capacity_provider_name in ("FARGATE", "FARGATE_SPOT")
        self.platform_version = (("1.4.0" if platform_version in (None, "", "LATEST") else platform_version)
                                 if fargate else None)
        self.platform_family = "Linux" if fargate else None
        self.ephemeral_storage = {"sizeInGiB": 20} if fargate else None
        self.cpu = str(task_definition.cpu) if task_definition.cpu is not None else None
        self.memory = str(task_definition.memory) if task_definition.memory is not None else None
        self.enable_execute_command = bool(enable_execute_command)
        self.desired_status = "RUNNING"
        self.last_status = "PROVISIONING"
        self.health_status = "UNKNOWN"
        self.connectivity = None
        self.connectivity_at = None
        self.created_at = now
        self.pull_started_at = None
        self.pull_stopped_at = None
        self.started_at = None
        self.stopping_at = None
        self.execution_stopped_at = None
        self.stopped_at = None
        self.stopped_reason = None
        self.stop_code = None
        self.version = 1
        self.availability_zone = None
        self.attachments: list[dict] = []
        self.attributes = [{"name": "ecs.cpu-architecture", "value": "x86_64"}]
        self.containers: list[dict] = []
        self.inference_accelerators: list = []
        # --- the simulation's (never written out) ---
        self._svc_key: tuple[str, str] | None = None
        self._deployment_id: str | None = None
        self._until: datetime | None = None
        self._runtime: list[dict] = []  # per container: behaviour, timers, health checks
        self._targets: list[dict] = []  # target group registrations
        self._digests: dict[str, str] = {}
        self._seen_healthy = False
        self._unhealthy: str | None = None  # why the scheduler replaces it (health checks)
        self._replaces_lost = False  # started for a lost task of an older deployment
        self._eni_id: str | None = None
        self._ip: str | None = None
        self._subnet_id: str | None = None
        self._public_ip = False

    def touch(self) -> None:
        self.version += 1


class EcsRegion:
    """One account's ECS in one region."""

    def __init__(self, account_id: str, region_name: str) -> None:
        self.account_id = account_id
        self.region_name = region_name
        self.clusters: dict[str, Cluster] = {}
        self.task_definitions: dict[str, dict[int, TaskDefinition]] = {}
        self.services: dict[str, Service] = {}  # "cluster:name"
        self.tasks: dict[str, dict[str, Task]] = {}  # cluster name -> task ARN -> task
        self.container_instances: dict[str, dict] = {}  # none: the sandbox has no EC2 instances

    def arn(self, kind: str, suffix: str) -> str:
        return f"arn:aws:ecs:{self.region_name}:{self.account_id}:{kind}/{suffix}"

    def task_definition(self, arn: str) -> TaskDefinition | None:
        try:
            family, rev = arn.split("/")[-1].rsplit(":", 1)
            return self.task_definitions[family][int(rev)]
        except (KeyError, ValueError):
            return None


class EcsStore:
    """Every account and region the sandbox has been asked about."""

    def __init__(self) -> None:
        self.regions: dict[tuple[str, str], EcsRegion] = {}

    def region(self, account_id: str, region_name: str) -> EcsRegion:
        key = (account_id, region_name)
        if key not in self.regions:
            self.regions[key] = EcsRegion(account_id, region_name)
        return self.regions[key]

    def all(self) -> list[EcsRegion]:
        return list(self.regions.values())

    def reset(self) -> None:
        self.regions.clear()
