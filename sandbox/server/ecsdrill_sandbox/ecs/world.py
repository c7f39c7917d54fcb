"""What ECS needs from the other services, as plain data: the only door from the
ECS simulation and provider to the rest of the sandbox.

The server passes ``moto_adapter.MotoWorld`` (moto's backends); the in-process
tests pass a fake. Every method takes the account and region it concerns.
Views are snapshots: changing one changes nothing in the service behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class Role:
    arn: str
    name: str
    trust_policy: dict  # the assume-role policy document
    documents: list[dict] = field(default_factory=list)  # inline and attached policy documents


@dataclass
class Subnet:
    id: str
    vpc_id: str
    availability_zone: str
    cidr_block: str


@dataclass
class TargetGroup:
    arn: str
    name: str
    port: int | None
    protocol: str | None
    target_type: str
    load_balancer_arns: list[str]
    health_check_enabled: bool = True
    health_check_protocol: str | None = "HTTP"
    health_check_path: str | None = "/"
    health_check_port: str | None = "traffic-port"
    health_check_interval_seconds: int = 30
    health_check_timeout_seconds: int = 5
    healthy_threshold_count: int = 5
    unhealthy_threshold_count: int = 2
    matcher: str = "200"  # HttpCode
    deregistration_delay_seconds: float = 300.0


@dataclass
class Secret:
    arn: str
    deleted: bool
    secret_string: str | None


@dataclass
class ScalableTarget:
    account: str
    region: str
    service_namespace: str
    resource_id: str  # service/CLUSTER/SERVICE
    scalable_dimension: str
    min_capacity: int
    max_capacity: int
    suspended_state: dict = field(default_factory=dict)


@dataclass
class ScalingPolicy:
    arn: str
    name: str
    service_namespace: str
    resource_id: str
    scalable_dimension: str
    policy_type: str  # TargetTrackingScaling, StepScaling
    target_tracking: dict | None  # TargetTrackingScalingPolicyConfiguration
    alarm_names: list[str] = field(default_factory=list)  # the alarms the policy created

    @property
    def policy_arn(self) -> str:
        return self.arn

    @property
    def policy_name(self) -> str:
        return self.name


@dataclass
class Namespace:
    """A Cloud Map namespace (Service Connect)."""
    id: str
    arn: str
    name: str
    type: str  # HTTP, DNS_PRIVATE, DNS_PUBLIC


@dataclass
class IngressRule:
    """An inbound rule of a security group: all protocols ("-1") or one, a port range
    (None: every port), and the sources it admits (CIDR blocks, security groups)."""
    protocol: str
    from_port: int | None
    to_port: int | None
    cidrs: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)


class World(Protocol):
    # reproducible randomness (the server's --seed): every id the simulation makes
    def uuid4(self) -> str: ...  # "xxxxxxxx-xxxx-4xxx-...", from the seeded generator
    def randint(self, lo: int, hi: int) -> int: ...

    # IAM
    def role(self, account: str, arn_or_name: str | None) -> Role | None: ...  # None: no such role

    # EC2
    def subnet(self, account: str, region: str, subnet_id: str) -> Subnet | None: ...
    def used_ips(self, account: str, region: str, subnet_id: str) -> set[str]: ...  # may be a superset
    def create_eni(self, account: str, region: str, subnet_id: str, ip: str, groups: list[str],
                   description: str) -> tuple[str, str] | None: ...  # (eni id, mac address); may raise
    def delete_eni(self, account: str, region: str, eni_id: str) -> None: ...
    def default_security_group(self, account: str, region: str, subnet_id: str) -> str | None: ...
    # can an ENI there reach 'ecr', 'docker', 'ssm', 'secretsmanager' or 'logs' (network.egress_allowed)
    def egress(self, account: str, region: str, subnet_id: str, public_ip: bool, service: str) -> bool: ...

    # ECR: with digest, that digest if the repository has the image (else None); without,
    # the digest the tag points at now (None: no such repository or tag)
    def image_digest(self, account: str, region: str, repo: str, tag: str | None = None,
                     digest: str | None = None) -> str | None: ...

    # SSM and Secrets Manager
    def ssm_parameter_exists(self, account: str, region: str, name: str) -> bool: ...  # name, /name or ARN
    def secret(self, account: str, region: str, arn: str) -> Secret | None: ...  # deleted ones too

    # CloudWatch Logs (log_group_exists raises for a region Logs does not have;
    # create_log_stream keeps an existing stream)
    def log_group_exists(self, account: str, region: str, group: str) -> bool: ...
    def create_log_group(self, account: str, region: str, group: str) -> None: ...
    def create_log_stream(self, account: str, region: str, group: str, stream: str) -> None: ...
    def put_log_events(self, account: str, region: str, group: str, stream: str,
                       events: list[dict]) -> None: ...

    # Elastic Load Balancing v2: the simulation keeps target health and reports it here
    # (DescribeTargetHealth answers it); state None forgets it; deregister forgets it too
    def target_group(self, account: str, region: str, arn: str) -> TargetGroup | None: ...
    def register_target(self, account: str, region: str, tg_arn: str, ip: str, port: int) -> None: ...
    def deregister_target(self, account: str, region: str, tg_arn: str, ip: str) -> None: ...
    def set_target_health(self, account: str, region: str, tg_arn: str, ip: str, state: str | None,
                          reason: str | None = None, description: str | None = None) -> None: ...

    # listener rules (a listener ARN stands for its default rule): the target groups a
    # forward action sends to, with their weights (None: no such rule or no forward action);
    # set_forward_weights rewrites them, adding a target group the action lacks
    def forward_weights(self, account: str, region: str, rule_arn: str) -> dict[str, int] | None: ...
    def set_forward_weights(self, account: str, region: str, rule_arn: str, weights: dict[str, int]) -> None: ...

    # CloudWatch alarms: OK, ALARM, INSUFFICIENT_DATA (None: no such alarm)
    def alarm_state(self, account: str, region: str, name: str) -> str | None: ...

    # Cloud Map (Service Connect): a namespace by name or ARN (None: no such namespace);
    # create_http_namespace makes one, as ECS does for a cluster's new default namespace
    def namespace(self, account: str, region: str, name_or_arn: str) -> Namespace | None: ...
    def create_http_namespace(self, account: str, region: str, name: str) -> Namespace: ...

    # EC2 security groups: a group's inbound rules (None: no such group)
    def security_group_ingress(self, account: str, region: str, group_id: str) -> list[IngressRule] | None: ...

    # Application Auto Scaling and CloudWatch (target tracking)
    def scalable_targets(self) -> list[ScalableTarget]: ...  # every account and region
    def scaling_policies(self, account: str, region: str) -> list[ScalingPolicy]: ...
    def set_alarm_state(self, account: str, region: str, alarm_name: str, state: str) -> None: ...
