"""The one module that talks to moto (pinned: moto 5.2.5).

ecsdrill's ECS (ecs/) is pure: what it needs from the other services it asks the
``World`` (ecs/world.py). ``MotoWorld`` answers from moto's backends. ``install``
puts in the few patches moto still needs for the services the sandbox forwards to
it (each says why). Besides, the control API's image push (``push_image``), the
default network (``create_default_network``) and ``reset_moto``.

Everything moto-specific the sandbox relies on is here, so a moto upgrade is
checked by one contract test (tests/unit/test_moto_adapter.py).
"""

from __future__ import annotations

import collections
import functools
import hashlib
import importlib
import io
import json
import pickle
import sys
import threading
from datetime import datetime

import moto
from moto.applicationautoscaling import models as aas_models
from moto.applicationautoscaling import responses as aas_responses
from moto.applicationautoscaling.exceptions import AWSValidationException
from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.cloudwatch import models as cw_models
from moto.core.responses import ActionResult
from moto.ec2 import ec2_backends
from moto.ecr import models as ecr_models
from moto.ecr.models import ecr_backends
from moto.elbv2 import models as elbv2_models
from moto.elbv2.models import elbv2_backends
from moto.iam import models as iam_models
from moto.iam import responses as iam_responses
from moto.iam.exceptions import IAMException, NotFoundException
from moto.iam.models import iam_backends
from moto.logs.models import logs_backends
from moto.moto_api._internal import mock_random
from moto.secretsmanager.models import secretsmanager_backends
from moto.servicediscovery.models import servicediscovery_backends
from moto.settings import load_iam_aws_managed_policies
from moto.ssm.models import ssm_backends

from . import iam_eval, iam_sim
from .ecs.world import IngressRule, Namespace, Role, ScalableTarget, ScalingPolicy, Secret, Subnet, TargetGroup
from .images import Behavior, ImageRegistry, build_manifest
from .network import AZS, PRIVATE_CIDRS, TIER_TAG, Endpoint, Route, egress_allowed

MOTO_VERSION = moto.__version__


# ============================================================================ the World
# The simulation's ids and draws (task ids, start timings) come from a generator of their own:
# moto's draws depend on which of its backends happen to be loaded (a backend first used after
# a reset draws while it is built), so sharing moto's stream would make a seeded world's task
# timings depend on what ran before the reset.
_world_random = type(mock_random)()


class MotoWorld:
    """ecs.world.World over moto's backends. Views are built on each call."""

    # ---- reproducible randomness: seeded by --seed (seed_random)
    def uuid4(self) -> str:
        return str(_world_random.uuid4())

    def randint(self, lo: int, hi: int) -> int:
        return _world_random.randint(lo, hi)

    # ---- IAM
    def role(self, account: str, arn_or_name: str | None) -> Role | None:
        """A role by ARN or name (a path in the ARN is ignored)."""
        if not arn_or_name:
            return None
        backend = iam_backends[account]["aws"]
        name = arn_or_name.split("/")[-1]
        for role in backend.roles.values():
            if role.arn == arn_or_name or role.name == name:
                return role_view(role)
        return None

    # ---- EC2
    def subnet(self, account: str, region: str, subnet_id: str) -> Subnet | None:
        try:
            s = ec2_backends[account][region].get_subnet(subnet_id)
        except Exception:
            return None
        return Subnet(id=s.id, vpc_id=s.vpc_id, availability_zone=s.availability_zone, cidr_block=s.cidr_block)

    def used_ips(self, account: str, region: str, subnet_id: str) -> set[str]:
        """Private IPs of every ENI in the region (a superset of the subnet's)."""
        ec2 = ec2_backends[account][region]
        return {getattr(e, "private_ip_address", None) for e in ec2.enis.values()} - {None}

    def create_eni(self, account: str, region: str, subnet_id: str, ip: str, groups: list[str],
                   description: str) -> tuple[str, str] | None:
        """A requester-managed, in-use ENI as ECS attaches to a Fargate task."""
        ec2 = ec2_backends[account][region]
        eni = ec2.create_network_interface(subnet=subnet_id, private_ip_address=ip, group_ids=groups,
                                           description=description)
        eni.status = "in-use"
        eni.device_index = 1
        eni.interface_type = "interface"
        eni.requester_managed = True
        return eni.id, eni.mac_address

    def delete_eni(self, account: str, region: str, eni_id: str) -> None:
        ec2_backends[account][region].delete_network_interface(eni_id)

    def default_security_group(self, account: str, region: str, subnet_id: str) -> str | None:
        return default_security_group(ec2_backends[account][region], subnet_id)

    def egress(self, account: str, region: str, subnet_id: str, public_ip: bool, service: str) -> bool:
        ec2 = ec2_backends[account][region]
        try:
            subnet = ec2.get_subnet(subnet_id)
        except Exception:
            return True
        rt = route_table_for(ec2, subnet)
        routes = [Route(destination=r.destination_cidr_block, nat_gateway=r.nat_gateway is not None,
                        gateway_id=getattr(r.gateway, "id", None) if r.gateway is not None else None)
                  for r in (rt.routes if rt else [])]
        endpoints = [Endpoint(service_name=e.service_name, endpoint_type=e.vpc_endpoint_type or "Gateway",
                              route_table_ids=list(e.route_table_ids or []))
                     for e in ec2.vpc_end_points.values() if e.vpc_id == subnet.vpc_id and e.state == "available"]
        return egress_allowed(routes, rt.id if rt else None, endpoints, public_ip, service)

    # ---- ECR
    def image_digest(self, account: str, region: str, repo: str, tag: str | None = None,
                     digest: str | None = None) -> str | None:
        """With ``digest``: that digest if the repository has the image, else None.
        Otherwise the digest ``tag`` points at now, None if no image has it."""
        try:
            repository = ecr_backends[account][region].repositories.get(repo)
        except Exception:
            return None
        if repository is None:
            return None
        for image in repository.images:
            if digest:
                if image.get_image_digest() == digest:
                    return digest
            elif tag in (image.image_tags or []):
                return image.get_image_digest()
        return None

    # ---- SSM and Secrets Manager
    def ssm_parameter_exists(self, account: str, region: str, name: str) -> bool:
        """By name, with or without the leading slash, or by ARN."""
        try:
            ssm = ssm_backends[account][region]
            return (ssm.get_parameter(name) or ssm.get_parameter("/" + name.lstrip("/"))) is not None
        except Exception:
            return False

    def secret(self, account: str, region: str, arn: str) -> Secret | None:
        """By ARN (complete or without the random suffix) or name; deleted ones too."""
        try:
            s = secretsmanager_backends[account][region].secrets.get(arn)
        except Exception:
            return None
        if s is None:
            return None
        return Secret(arn=s.arn, deleted=bool(getattr(s, "deleted_date", None)),
                      secret_string=getattr(s, "secret_string", None))

    # ---- CloudWatch Logs (KeyError for a region Logs does not have)
    def log_group_exists(self, account: str, region: str, group: str) -> bool:
        return group in logs_backends[account][region].groups

    def create_log_group(self, account: str, region: str, group: str) -> None:
        logs_backends[account][region].create_log_group(group, {})

    def create_log_stream(self, account: str, region: str, group: str, stream: str) -> None:
        """Idempotent: an existing stream is kept."""
        g = logs_backends[account][region].groups[group]
        if stream not in g.streams:
            g.create_log_stream(stream)

    def put_log_events(self, account: str, region: str, group: str, stream: str, events: list[dict]) -> None:
        logs_backends[account][region].groups[group].put_log_events(stream, events)

    # ---- Elastic Load Balancing v2
    def target_group(self, account: str, region: str, arn: str) -> TargetGroup | None:
        tg = self._tg(account, region, arn)
        if tg is None:
            return None
        return TargetGroup(
            arn=tg.arn, name=tg.name, port=tg.port, protocol=tg.protocol, target_type=tg.target_type,
            load_balancer_arns=list(tg.load_balancer_arns),
            health_check_enabled=bool(tg.health_check_enabled),
            health_check_protocol=tg.health_check_protocol,
            health_check_path=tg.health_check_path,
            health_check_port=tg.health_check_port,
            health_check_interval_seconds=int(tg.health_check_interval_seconds or 30),
            health_check_timeout_seconds=int(tg.health_check_timeout_seconds or 5),
            healthy_threshold_count=int(tg.healthy_threshold_count or 5),
            unhealthy_threshold_count=int(tg.unhealthy_threshold_count or 2),
            matcher=(getattr(tg, "matcher", None) or {}).get("HttpCode") or "200",
            deregistration_delay_seconds=float(tg.attributes.get("deregistration_delay.timeout_seconds", 300) or 0),
        )

    def _tg(self, account: str, region: str, arn: str):
        try:
            return elbv2_backends[account][region].target_groups.get(arn)
        except Exception:
            return None

    def register_target(self, account: str, region: str, tg_arn: str, ip: str, port: int) -> None:
        tg = self._tg(account, region, tg_arn)
        if tg is None:
            return
        tg.targets[ip] = {"Id": ip, "Port": port}
        tg.deregistered_targets.pop(ip, None)

    def deregister_target(self, account: str, region: str, tg_arn: str, ip: str) -> None:
        tg = self._tg(account, region, tg_arn)
        if tg is None:
            return
        t = tg.targets.pop(ip, None)
        if t is not None:
            tg.deregistered_targets[ip] = t
        _health(tg).pop(ip, None)

    def set_target_health(self, account: str, region: str, tg_arn: str, ip: str, state: str | None,
                          reason: str | None = None, description: str | None = None) -> None:
        """What DescribeTargetHealth reports for a registered target (health_for);
        state None forgets it (moto's own answer again)."""
        tg = self._tg(account, region, tg_arn)
        if tg is None:
            return
        if state is None:
            _health(tg).pop(ip, None)
        else:
            _health(tg)[ip] = (state, reason, description)

    # ---- listener rules and alarms (ECS blue/green, linear and canary deployments)
    def _forward_action(self, account: str, region: str, rule_arn: str):
        """(the actions list, the index of its forward action) of a rule or a listener."""
        try:
            backend = elbv2_backends[account][region]
        except KeyError:
            return None
        for lb in backend.load_balancers.values():
            for listener in lb.listeners.values():
                if listener.arn == rule_arn:
                    actions = listener.default_actions
                else:
                    rule = listener._non_default_rules.get(rule_arn)
                    if rule is None:
                        continue
                    actions = rule.actions
                for i, action in enumerate(actions):
                    if action.type == "forward":
                        return backend, actions, i
                return None
        return None

    def forward_weights(self, account: str, region: str, rule_arn: str) -> dict[str, int] | None:
        found = self._forward_action(account, region, rule_arn)
        if found is None:
            return None
        backend, actions, i = found
        data = actions[i].data
        if "ForwardConfig" in data:
            return {tg["TargetGroupArn"]: int(tg.get("Weight", 1)) for tg in data["ForwardConfig"].get("TargetGroups", [])}
        return {data["TargetGroupArn"]: 1} if data.get("TargetGroupArn") else None

    def set_forward_weights(self, account: str, region: str, rule_arn: str, weights: dict[str, int]) -> None:
        found = self._forward_action(account, region, rule_arn)
        if found is None:
            return
        backend, actions, i = found
        current = self.forward_weights(account, region, rule_arn) or {}
        merged = {**current, **{arn: int(w) for arn, w in weights.items() if arn}}
        data = {k: v for k, v in actions[i].data.items() if k not in ("TargetGroupArn", "ForwardConfig")}
        data["ForwardConfig"] = {"TargetGroups": [{"TargetGroupArn": arn, "Weight": w} for arn, w in merged.items()],
                                 "TargetGroupStickinessConfig": (actions[i].data.get("ForwardConfig") or {}).get(
                                     "TargetGroupStickinessConfig", {"Enabled": False})}
        actions[i] = elbv2_models.FakeAction(data)
        sync_associations(backend)

    def alarm_state(self, account: str, region: str, name: str) -> str | None:
        try:
            alarm = cw_models.cloudwatch_backends[account][region].alarms.get(name)
        except KeyError:
            return None
        return getattr(alarm, "state_value", None) if alarm is not None else None

    # ---- Cloud Map (Service Connect)
    def namespace(self, account: str, region: str, name_or_arn: str) -> Namespace | None:
        """A namespace by name or ARN, as ECS accepts it in serviceConnectConfiguration."""
        if not name_or_arn:
            return None
        try:
            backend = servicediscovery_backends[account][region]
        except KeyError:
            return None
        for ns in list(backend.namespaces.values()):
            if name_or_arn in (ns.arn, ns.name):
                return Namespace(id=ns.id, arn=ns.arn, name=ns.name, type=ns.type)
        return None

    def create_http_namespace(self, account: str, region: str, name: str) -> Namespace:
        servicediscovery_backends[account][region].create_http_namespace(
            name=name, creator_request_id=None, description=None, tags=None)
        return self.namespace(account, region, name)

    # ---- EC2 security groups (Service Connect's call path, with network checks)
    def security_group_ingress(self, account: str, region: str, group_id: str) -> list[IngressRule] | None:
        """A group's inbound rules. A VPC's default group admits traffic from itself in EC2;
        moto's has no rule for it, so that rule is added here."""
        sg = ec2_backends[account][region].get_security_group_from_id(group_id)
        if sg is None:
            return None
        rules = [IngressRule(protocol=r.ip_protocol or "-1", from_port=r.from_port, to_port=r.to_port,
                             cidrs=[r.ip_range["CidrIp"]] if (r.ip_range or {}).get("CidrIp") else [],
                             groups=[r.source_group["GroupId"]] if (r.source_group or {}).get("GroupId") else [])
                 for r in sg.ingress_rules]
        if sg.name == "default" and not any(group_id in r.groups for r in rules):
            rules.append(IngressRule("-1", None, None, [], [group_id]))
        return rules

    # ---- Application Auto Scaling and CloudWatch
    def scalable_targets(self) -> list[ScalableTarget]:
        out = []
        for account, per_account in list(applicationautoscaling_backends.items()):
            for region, backend in list(dict.items(per_account)):  # only regions already used
                for dimension, targets in list(backend.targets.items()):
                    for resource_id, t in list(targets.items()):
                        out.append(ScalableTarget(
                            account=account, region=region, service_namespace=t.service_namespace,
                            resource_id=t.resource_id, scalable_dimension=t.scalable_dimension,
                            min_capacity=int(t.min_capacity or 0), max_capacity=int(t.max_capacity or 0),
                            suspended_state=dict(t.suspended_state or {})))
        return out

    def scaling_policies(self, account: str, region: str) -> list[ScalingPolicy]:
        try:
            backend = applicationautoscaling_backends[account][region]
        except KeyError:
            return []
        return [ScalingPolicy(arn=p.policy_arn, name=p.policy_name, service_namespace=p.service_namespace,
                              resource_id=p.resource_id, scalable_dimension=p.scalable_dimension,
                              policy_type=p.policy_type,
                              target_tracking=p.target_tracking_scaling_policy_configuration,
                              alarm_names=[a.name for a in getattr(p, "alarms", []) or []])
                for p in backend.policies.values()]

    def set_alarm_state(self, account: str, region: str, alarm_name: str, state: str) -> None:
        """The state of a target tracking alarm (the policy's own alarm object)."""
        try:
            backend = applicationautoscaling_backends[account][region]
        except KeyError:
            return
        for p in backend.policies.values():
            for alarm in getattr(p, "alarms", []) or []:
                if alarm.name == alarm_name and getattr(alarm, "state_value", None) != state:
                    alarm.state_value = state


def role_view(role) -> Role:
    docs = [iam_eval._load(doc) for doc in role.policies.values()]
    for policy in role.managed_policies.values():
        version = next((v for v in policy.versions if v.is_default), None)
        if version is not None:
            docs.append(iam_eval._load(version.document))
    return Role(arn=role.arn, name=role.name, trust_policy=iam_eval._load(role.assume_role_policy_document),
                documents=docs)


def _health(tg) -> dict:
    health = getattr(tg, "_ecsdrill_health", None)
    if health is None:
        health = tg._ecsdrill_health = {}
    return health


# ============================================================================ EC2 network
def default_vpc(ec2):
    for vpc in ec2.vpcs.values():
        if getattr(vpc, "is_default", False):
            return vpc
    return None


def create_default_network(account: str, region: str = "us-east-1") -> dict:
    """moto's default VPC made like a real one for the labs (see network.py)."""
    ec2 = ec2_backends[account][region]
    vpc = default_vpc(ec2)
    if vpc is None:  # pragma: no cover - moto always creates one
        vpc = ec2.create_default_vpc()
    igw = ec2.create_internet_gateway(tags=[{"Key": "Name", "Value": "ecsdrill-igw"}])
    ec2.attach_internet_gateway(igw.id, vpc.id)
    main_rt = next(rt for rt in ec2.route_tables.values()
                   if rt.vpc_id == vpc.id and rt.main_association_id)
    ec2.create_route(main_rt.id, "0.0.0.0/0", gateway_id=igw.id)
    ec2.create_tags([main_rt.id], {"Name": "ecsdrill-public"})

    public, private = [], []
    for az in AZS:
        subnet = next(s for s in ec2.subnets[az].values() if s.vpc_id == vpc.id and s.default_for_az)
        ec2.create_tags([subnet.id], {TIER_TAG: "public", "Name": f"ecsdrill-public-{az}"})
        public.append(subnet.id)

    private_rt = ec2.create_route_table(vpc.id, tags=[{"Key": "Name", "Value": "ecsdrill-private"}])
    for az in AZS:
        subnet = ec2.create_subnet(vpc.id, PRIVATE_CIDRS[az], availability_zone=az)
        ec2.create_tags([subnet.id], {TIER_TAG: "private", "Name": f"ecsdrill-private-{az}"})
        ec2.associate_route_table(private_rt.id, subnet_id=subnet.id)
        private.append(subnet.id)

    sg = next(g for g in ec2.groups[vpc.id].values() if g.name == "default")
    return {
        "vpc_id": vpc.id,
        "internet_gateway_id": igw.id,
        "public_subnets": public,
        "private_subnets": private,
        "default_security_group": sg.id,
    }


def default_security_group(ec2, subnet_id: str) -> str | None:
    try:
        subnet = ec2.get_subnet(subnet_id)
    except Exception:
        return None
    for g in ec2.groups.get(subnet.vpc_id, {}).values():
        if g.name == "default":
            return g.id
    return None


def route_table_for(ec2, subnet):
    main = None
    for rt in ec2.route_tables.values():
        if rt.vpc_id != subnet.vpc_id:
            continue
        if subnet.id in rt._associations.values():
            return rt
        if rt.main_association_id:
            main = rt
    return main


# ============================================================================ ECR push
def push_image(account: str, region: str, repository: str, tag: str, behavior: Behavior,
               images: ImageRegistry) -> dict:
    """``docker push`` for the control API: creates the repository if needed, puts an
    image whose manifest (so digest) follows from repository, tag and behaviour, and
    records the behaviour by digest. Pushing what the tag already has is a no-op."""
    ecr = ecr_backends[account][region]
    if repository not in ecr.repositories:
        ecr.create_repository(repository_name=repository, registry_id=None, encryption_config=None,
                              image_scan_config=None, image_tag_mutability=None, tags=[])
    repo = ecr.repositories[repository]
    manifest = build_manifest(repository, tag, behavior)
    digest = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
    uri = f"{repo.registry_id}.dkr.ecr.{region}.amazonaws.com/{repository}:{tag}"
    answer = {"repository": repository, "tag": tag, "imageDigest": digest, "imageUri": uri, **behavior.to_json()}
    current = next((i for i in repo.images if tag in i.image_tags), None)
    if current is not None and current.get_image_digest() == digest:
        # docker push of an image the registry already has under this tag: a no-op
        images.remember(account, region, repository, digest, behavior)
        return {**answer, "pushed": False, "previousDigest": None}
    image = ecr.put_image(repository_name=repository, image_manifest=manifest, image_tag=tag,
                          image_manifest_mediatype=None, digest=digest)
    images.remember(account, region, repository, digest, behavior)
    previous = current.get_image_digest() if current is not None else None
    return {**answer, "imageDigest": image.get_image_digest(), "pushed": True, "previousDigest": previous}


def moto_version() -> str:
    return MOTO_VERSION


# ============================================================================ snapshots
class _BackendPickler(pickle.Pickler):
    """moto's backends hold a few things pickle refuses: locks (made anew), a
    defaultdict whose factory is a lambda (SSM: defaultdict(lambda: defaultdict(dict)))
    and defaultdict subclasses whose __init__ takes other arguments (SSM ParameterDict)."""

    def persistent_id(self, obj):
        # AWS managed policies (about 1,600, 25 MB) are moto's data, the same in every
        # sandbox: saved by name (and how many attach them), rebuilt from moto's data on load
        if type(obj) is iam_models.AWSManagedPolicy:
            return ("aws-managed-policy", obj.account_id, obj.arn, obj.attachment_count)
        return None

    def reducer_override(self, obj):
        if type(obj) is _RLOCK:
            return threading.RLock, ()
        if type(obj) is _LOCK:
            return threading.Lock, ()
        if isinstance(obj, collections.defaultdict):
            factory = obj.default_factory
            if getattr(factory, "__name__", "") == "<lambda>":
                sample = factory()
                if type(sample) is collections.defaultdict and sample.default_factory is dict:
                    factory = _defaultdict_of_dicts
                else:  # pragma: no cover - a moto upgrade: the contract test says so
                    raise pickle.PicklingError(f"moto_adapter cannot snapshot {type(obj).__name__} of a lambda")
            if type(obj) is not collections.defaultdict or factory is not obj.default_factory:
                return (_rebuild_defaultdict, (type(obj), factory, dict(getattr(obj, "__dict__", {}))),
                        None, None, iter(obj.items()))
        return NotImplemented


_RLOCK = type(threading.RLock())
_LOCK = type(threading.Lock())


def _defaultdict_of_dicts():
    return collections.defaultdict(dict)


def _rebuild_defaultdict(cls, factory, state):
    obj = collections.defaultdict.__new__(cls)
    obj.default_factory = factory
    if state:
        obj.__dict__.update(state)
    return obj


def _backend_dicts() -> list[tuple[str, str, object]]:
    """(module, attribute, BackendDict) of every moto service in use."""
    from moto.core.base_backend import BackendDict

    out = []
    for bd in list(BackendDict._instances):
        module = sys.modules.get(bd.backend.__module__)
        attr = next((k for k, v in vars(module).items() if v is bd), None) if module is not None else None
        if attr is None:  # defined in the package, not next to the backend class
            package = sys.modules.get(bd.backend.__module__.rsplit(".", 1)[0])
            attr = next((k for k, v in vars(package).items() if v is bd), None) if package is not None else None
            module = package
        if attr is None:  # pragma: no cover - a moto upgrade: the contract test says so
            raise RuntimeError(f"moto_adapter cannot find the backends of {bd.service_name}")
        out.append((module.__name__, attr, bd))
    return out


def backends_state() -> bytes:
    """Every moto backend in use, and the seeded generators, as bytes (the snapshot)."""
    state = {
        "random": mock_random.getstate(),
        "world_random": _world_random.getstate(),
        "backends": [(module, attr, {account: dict(dict.items(regions)) for account, regions in bd.items()})
                     for module, attr, bd in _backend_dicts()],
    }
    buf = io.BytesIO()
    _BackendPickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(state)
    return buf.getvalue()


class _BackendUnpickler(pickle.Unpickler):
    def __init__(self, file) -> None:
        super().__init__(file)
        self.aws_policies: dict[tuple[str, str], object] = {}  # (account, ARN) -> the rebuilt policy

    def persistent_load(self, pid):
        kind, account, arn, attachments = pid
        if kind != "aws-managed-policy":
            raise pickle.UnpicklingError(f"unknown persistent id {kind}")
        policy = self.aws_policies.get((account, arn))
        if policy is None:
            # as IAMBackend builds them, for the ARN's partition (aws, aws-cn, aws-us-gov...)
            name, partition = arn.rsplit("/", 1)[1], arn.split(":")[1]
            policy = _aws_managed_policy(_aws_policy_inputs()[name], account, partition)
            self.aws_policies[(account, arn)] = policy
        policy.attachment_count = attachments
        return policy


@functools.lru_cache(maxsize=1)
def _aws_policy_inputs() -> dict[str, tuple]:
    """What AWSManagedPolicy.from_data makes of moto's AWS managed policies (name -> its
    constructor's arguments), worked out once per process. moto parses its 4.7 MB of policy
    JSON and serialises every document again for each IAM backend it builds, that is after
    every reset: about a second of each lab reset and drill start, spent on the same result."""
    return {
        name: (name, d.get("DefaultVersionId"), d.get("Path"), json.dumps(d.get("Document")),
               datetime.fromisoformat(d["CreateDate"]), datetime.fromisoformat(d["UpdateDate"]))
        for name, d in json.loads(iam_models.aws_managed_policies_data).items()
    }


def _aws_managed_policy(inputs: tuple, account: str, region: str):
    name, version, path, document, created, updated = inputs
    return iam_models.AWSManagedPolicy(name, account_id=account, region=region, default_version_id=version,
                                       path=path, document=document, create_date=created, update_date=updated)


def restore_backends(blob: bytes) -> None:
    """Puts back what backends_state saved; whatever moto had before is dropped."""
    state = _BackendUnpickler(io.BytesIO(blob)).load()
    from moto.core.base_backend import BackendDict

    for _module, _attr, bd in _backend_dicts():
        bd.clear()
    BackendDict._instances.clear()
    for module, attr, accounts in state["backends"]:
        bd = getattr(importlib.import_module(module), attr)
        for account, regions in accounts.items():
            bd._create_account_specific_backend(account)
            per_account = dict.__getitem__(bd, account)
            dict.clear(per_account)
            for region, backend in regions.items():
                dict.__setitem__(per_account, region, backend)
    mock_random.setstate(state["random"])
    _world_random.setstate(state["world_random"])


# ============================================================================ caller permissions
_AUTH_CODES = {  # moto's code -> what a JSON-protocol service such as ECS answers
    "AccessDenied": "AccessDeniedException",
    "InvalidClientTokenId": "UnrecognizedClientException",
    "SignatureDoesNotMatch": "InvalidSignatureException",
}


def authorize(environ: dict, body: bytes, account: str, operation: str) -> tuple[str, str] | None:
    """The caller's permission for an ECS request, as moto checks every request it
    serves once its IAM enforcement is on (``POST /moto-api/reset-auth``): the
    signature, the access key, and the key's user policies for ``ecs:OPERATION``.
    The provider is not moto, so without this ECS would skip the check. Returns
    None when allowed (or enforcement is off), else (error code, message)."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.core.exceptions import _RESTError as RESTError
    from moto.iam.access_control import IAMRequest

    if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
        ActionAuthenticatorMixin.request_count += 1
        return None
    headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items() if key.startswith("HTTP_")}
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            headers[name] = environ[key]
    if "Authorization" not in headers:
        return "MissingAuthenticationTokenException", "Missing Authentication Token"
    path = environ.get("PATH_INFO") or "/"
    if environ.get("QUERY_STRING"):
        path += "?" + environ["QUERY_STRING"]
    try:
        request = IAMRequest(account_id=account, method=environ.get("REQUEST_METHOD", "POST"), path=path, data={},
                             body=body, headers=headers, action=operation)
        request.check_signature()
        request.check_action_permitted("*")
    except RESTError as e:
        code = getattr(e, "error_type", "AccessDenied")
        return _AUTH_CODES.get(code, code), getattr(e, "message", str(e))
    return None


def seed_random(value: int) -> None:
    """Seeds moto's generator (its ids) and the simulation's (task ids and timings): the
    same requests then give the same task timings and, from a fresh start, the same ids."""
    mock_random.seed(value)
    _world_random.seed(value)


def reset_moto() -> None:
    """Every moto backend back to empty (the default VPC comes back on first use)."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()


# ============================================================================ patches
# ---- ELBv2
def sync_associations(backend) -> None:
    """A target group belongs to the load balancers whose listener rules forward to
    it now, as ELBv2 reports it; moto only ever adds the load balancer of a listener
    created with it, so after modify-listener the old association stays and the new
    one is missing (and CreateService refuses the target group)."""
    for tg in backend.target_groups.values():
        tg.load_balancer_arns = []
    for lb in backend.load_balancers.values():
        for listener in lb.listeners.values():
            for rule in listener.rules.values():
                for action in rule.actions:
                    if action.type != "forward":
                        continue
                    for arn in backend._get_target_group_arns_from(action_data=action.data):
                        tg = backend.target_groups.get(arn)
                        if tg is not None and lb.arn not in tg.load_balancer_arns:
                            tg.load_balancer_arns.append(lb.arn)


def _syncing(method):
    def wrapper(self, *args, **kwargs):
        result = method(self, *args, **kwargs)
        sync_associations(self)
        return result

    wrapper.__wrapped__ = method
    return wrapper


_ASSOCIATION_CHANGES = ("create_listener", "modify_listener", "delete_listener", "create_rule", "modify_rule",
                        "delete_rule", "delete_load_balancer")


_orig_health_for = elbv2_models.FakeTargetGroup.health_for


def health_for(self, target, ec2_backend):
    """DescribeTargetHealth reports the health the simulation set (set_target_health);
    moto would say healthy for any registered IP."""
    state = (getattr(self, "_ecsdrill_health", None) or {}).get(target["Id"])
    registered = self.targets.get(target["Id"])
    if state is not None and registered is not None:
        status, reason, description = state
        return elbv2_models.FakeHealthStatus(registered["Id"], registered["Port"], self.health_check_port,
                                             status, reason, description)
    return _orig_health_for(self, target, ec2_backend)


_orig_tg_init = elbv2_models.FakeTargetGroup.__init__


def tg_init(self, *args, **kwargs):
    """HTTP(S) target groups default to health check path "/" and timeout 5 s, as ELB
    (moto: no path, timeout 10)."""
    _orig_tg_init(self, *args, **kwargs)
    if self.health_check_path is None and (self.health_check_protocol or "").upper() in ("HTTP", "HTTPS"):
        self.health_check_path = "/"
    self.health_check_timeout_seconds = kwargs.get("healthcheck_timeout_seconds") or 5


# ---- Application Auto Scaling
_ecs_alarms = aas_models.FakeApplicationAutoscalingPolicy._generate_ecs_alarms
_put_scaling_policy = aas_models.ApplicationAutoscalingBackend.put_scaling_policy


def ecs_alarms(self) -> list:
    """Target tracking alarms as ECS creates them: high at the target T, low at 0.9 x T,
    on the policy's metric (moto: threshold 6 for both, always CPU)."""
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
    """Putting a policy again replaces its alarms (moto leaves the old two behind)."""
    key = aas_models.FakeApplicationAutoscalingPolicy.formulate_key(
        service_namespace, resource_id, scalable_dimension, policy_name)
    old = self.policies.get(key)
    if old is not None:
        old.delete_alarms(self.account_id, self.region_name)
    return _put_scaling_policy(self, policy_name, service_namespace, resource_id, scalable_dimension,
                               *args, **kwargs)


_SIM = None  # the Simulation: its store has the ECS services, its autoscaling the activities


def ecs_service_exists_for_target(self, r_id: str) -> bool:
    """RegisterScalableTarget checks the service in ecsdrill's ECS (moto would look in
    its own ECS backend, which the sandbox no longer uses)."""
    parts = r_id.split("/")
    region = _SIM.store.regions.get((self.account_id, self.region_name)) if len(parts) == 3 else None
    svc = region.services.get(f"{parts[1]}:{parts[2]}") if region is not None else None
    if svc is None or svc.status == "INACTIVE":
        raise AWSValidationException(f"ECS service doesn't exist: {r_id}")
    return True


def describe_scaling_activities(self) -> str:
    """The scaling the simulation did (moto has no activities of its own)."""
    self._validate_params()
    activities = _SIM.autoscaling.describe_activities(
        self.current_account, self.region, self._get_param("ServiceNamespace"),
        self._get_param("ResourceId"), self._get_param("ScalableDimension"))
    return json.dumps({"ScalingActivities": activities})


# ---- ECR
def image_size(self) -> int | None:
    """imageSizeInBytes is the sum of the layers (moto: the manifest's length)."""
    layers = json.loads(self.image_manifest).get("layers")
    if layers:
        return sum(int(layer.get("size", 0)) for layer in layers)
    return None


_orig_put_image = ecr_models.ECRBackend.put_image


def put_image(self, repository_name: str, image_manifest: str, image_tag: str,
              image_manifest_mediatype: str | None = None, digest: str | None = None):
    """As ECR: in a repository with mutable tags, pushing other content to a tag moves
    the tag, and the image it pointed at stays (by digest), untagged if it had no other
    tag; a deployment's pinned digest stays pullable. moto deletes that image instead.
    Immutable repositories keep moto's checks."""
    repo = self.repositories.get(repository_name)
    if (repo is not None and image_tag and repo.image_tag_mutability == "MUTABLE"
            and not repo.image_tag_mutability_exclusion_filters):
        for image in repo.images:
            if image_tag in image.image_tags and image.image_manifest != image_manifest:
                untag(image, image_tag)
    return _orig_put_image(self, repository_name, image_manifest, image_tag, image_manifest_mediatype, digest)


def untag(image, tag: str) -> None:
    """Takes one tag off an image; without tags it is an untagged image (moto's
    remove_tag keeps the last tag in image_tag)."""
    image.remove_tag(tag)
    if not image.image_tags:
        image.image_tag = None


# ---- IAM
class InvalidInput(IAMException):
    code = "InvalidInput"


def _principal(backend, arn: str):
    """The role or user an ARN names (paths allowed), or NoSuchEntity."""
    if not arn or ":" not in arn:
        raise InvalidInput(f"Invalid ARN: {arn!r}")
    kind_and_name = arn.split(":", 5)[-1]
    kind, _, rest = kind_and_name.partition("/")
    name = rest.split("/")[-1]
    if kind == "role":
        for role in backend.roles.values():
            if role.arn == arn or role.name == name:
                return role, "role"
        raise NotFoundException(f"Role {name} not found")
    if kind == "user":
        for user in backend.users.values():
            if user.arn == arn or user.name == name:
                return user, "user"
        raise NotFoundException(f"User {name} not found")
    raise InvalidInput(f"PolicySourceArn must be the ARN of a role or a user: {arn}")


def _policies(principal, kind: str) -> list[tuple[str, str, dict]]:
    """(SourcePolicyId, SourcePolicyType, document) of every identity policy."""
    out = []
    for name, doc in principal.policies.items():
        out.append((name, kind, iam_eval._load(doc)))
    for policy in principal.managed_policies.values():
        version = next((v for v in policy.versions if v.is_default), None)
        if version is None:
            continue
        ptype = "aws-managed" if ":aws:policy/" in policy.arn else "user-managed"
        out.append((policy.name, ptype, iam_eval._load(version.document)))
    return out


def simulate_principal_policy(self) -> ActionResult:
    """IAM SimulatePrincipalPolicy, which moto lacks (iam_sim evaluates; moto
    serializes the answer from botocore's model)."""
    arn = self._get_param("PolicySourceArn")
    actions = self._get_param("ActionNames") or []
    resources = self._get_param("ResourceArns") or ["*"]
    if not actions:
        raise InvalidInput("ActionNames must name at least one action")
    principal, kind = _principal(self.backend, arn)
    context = iam_sim.context_of(self._get_param("ContextEntries"))
    results = iam_sim.simulate(_policies(principal, kind), actions, resources, context)
    return ActionResult({"EvaluationResults": results, "IsTruncated": False})


def init_aws_policies(self) -> list:
    """IAMBackend._init_aws_policies from inputs worked out once (see _aws_policy_inputs):
    the same policies, built in the same order, so moto's seeded policy ids are unchanged."""
    if not load_iam_aws_managed_policies():
        return []
    return [_aws_managed_policy(inputs, self.account_id, self.region_name) for inputs in _aws_policy_inputs().values()]


def install(sim) -> None:
    """Patch moto for the services the sandbox forwards to it. ``sim`` is the
    Simulation: its ``store`` (RegisterScalableTarget's service check) and its
    ``autoscaling`` (DescribeScalingActivities)."""
    global _SIM
    _SIM = sim
    elbv2_models.FakeTargetGroup.health_for = health_for
    elbv2_models.FakeTargetGroup.__init__ = tg_init
    for name in _ASSOCIATION_CHANGES:
        method = getattr(elbv2_models.ELBv2Backend, name)
        if not hasattr(method, "__wrapped__"):
            setattr(elbv2_models.ELBv2Backend, name, _syncing(method))
    aas_responses.ApplicationAutoScalingResponse.describe_scaling_activities = describe_scaling_activities
    aas_models.FakeApplicationAutoscalingPolicy._generate_ecs_alarms = ecs_alarms
    aas_models.ApplicationAutoscalingBackend.put_scaling_policy = put_scaling_policy
    aas_models.ApplicationAutoscalingBackend._ecs_service_exists_for_target = ecs_service_exists_for_target
    ecr_models.Image.get_image_size_in_bytes = image_size
    ecr_models.ECRBackend.put_image = put_image
    iam_responses.IamResponse.simulate_principal_policy = simulate_principal_policy
    iam_models.IAMBackend._init_aws_policies = init_aws_policies
