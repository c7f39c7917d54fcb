"""Service Connect, judged from the configuration: what ECS checks when a service asks
for it, and whether the tasks of one service can reach a name and port that another
service publishes.

No proxy runs in the sandbox and nothing is registered in Cloud Map: the answer comes
from the services' deployments (the configuration each deployment was started with),
their tasks, their task definitions and the namespaces. The rules, from the ECS
Developer Guide ("Service Connect", "Service Connect components") and the API
reference (ServiceConnectConfiguration, ServiceConnectService, ServiceConnectClientAlias):

* a service takes part in a namespace when its configuration is enabled; the namespace
  is the one it names (name or ARN), else the cluster's ``serviceConnectDefaults``;
* a service with no ``services`` is a client only: it can call others, nobody can call it;
* each entry of ``services`` selects a port by ``portName``, which must be the ``name`` of
  a port mapping of the task definition, and publishes its client aliases: the
  ``dnsName`` and ``port`` clients use (``dnsName`` defaults to
  ``discoveryName.namespace``, ``discoveryName`` to the port name); a task can resolve
  client aliases only, never discovery names;
* only tasks of the same namespace whose deployment started after the endpoint was
  published can resolve it: existing tasks, and their replacements, keep the endpoints
  of their own deployment, so a client needs a new deployment;
* the proxy of the server's tasks listens on the container port (or
  ``ingressPortOverride``), where the server's security groups must admit the client.

Pure: over the ECS model and the World (``namespace``, ``create_http_namespace``,
``security_group_ingress``); no moto.
"""

from __future__ import annotations

import copy
import ipaddress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

INVALID = "InvalidParameterException"
NAMESPACE_NOT_FOUND = "NamespaceNotFoundException"


@dataclass
class Problem:
    """Why ECS refuses a request: its error code and text."""

    code: str
    message: str


@dataclass
class Alias:
    """An endpoint a deployment of a service publishes."""

    namespace_arn: str
    dns_name: str
    port: int
    port_name: str
    container_port: int | None  # where the server's proxy listens (or ingressPortOverride)


@dataclass
class Published:
    """What a deployment's configuration publishes, and what it meant to but cannot."""

    enabled: bool = False
    namespace_arn: str | None = None
    client_only: bool = False
    aliases: list[Alias] = field(default_factory=list)
    without_alias: list[str] = field(default_factory=list)  # port names with no client alias
    unmatched: list[str] = field(default_factory=list)  # port names no port mapping has


# ---------------------------------------------------------------------------- validation
def cluster_defaults(world, account: str, region: str, defaults: dict | None) -> tuple[dict | None, Problem | None]:
    """A cluster's ``serviceConnectDefaults`` as ECS keeps it: an existing namespace (name or
    ARN) is used; a new name becomes a new HTTP namespace; an empty name removes the default
    (``{}``). The namespace is kept as its ARN."""
    if defaults is None:
        return None, None
    ref = (defaults or {}).get("namespace")
    if ref is None:
        return None, Problem(INVALID, "serviceConnectDefaults.namespace is required.")
    if ref == "":
        return {}, None
    ns = world.namespace(account, region, ref)
    if ns is None:
        if ref.startswith("arn:"):
            return None, Problem(NAMESPACE_NOT_FOUND, f"The specified namespace wasn't found: {ref}")
        ns = world.create_http_namespace(account, region, ref)
    return {"namespace": ns.arn}, None


def named_ports(td) -> dict[str, dict]:
    """The task definition's named port mappings: name -> the port mapping."""
    out = {}
    for cd in (td.container_definitions if td is not None else []):
        for pm in cd.get("portMappings") or []:
            if pm.get("name"):
                out[pm["name"]] = pm
    return out


def configure(world, account: str, region: str, cluster, td, conf: dict | None) -> tuple[dict | None, Problem | None]:
    """The ``serviceConnectConfiguration`` of CreateService/UpdateService checked as ECS
    checks it, with its namespace resolved to the namespace's ARN; or why it is refused."""
    if conf is None:
        return None, None
    if not isinstance(conf, dict) or not isinstance(conf.get("enabled"), bool):
        return None, Problem(INVALID, "serviceConnectConfiguration.enabled must be true or false.")
    out = copy.deepcopy(conf)
    if not conf["enabled"]:
        return out, None
    ref = conf.get("namespace") or ((cluster.service_connect_defaults or {}).get("namespace")
                                    if cluster is not None else None)
    if not ref:
        # the sandbox's own wording
        return None, Problem(INVALID, "The Service Connect configuration names no namespace and the cluster has no "
                                      "default namespace (serviceConnectDefaults). Give \"namespace\" in the "
                                      "configuration, or set the cluster's default namespace.")
    ns = world.namespace(account, region, ref)
    if ns is None:
        # the code is ECS's; the text adds the name (the sandbox's wording)
        return None, Problem(NAMESPACE_NOT_FOUND, f"The specified namespace wasn't found: {ref}")
    out["namespace"] = ns.arn
    ports = named_ports(td)
    for s in conf.get("services") or []:
        name = (s or {}).get("portName")
        if not name:
            return None, Problem(INVALID, "portName is required in each Service Connect service.")
        if name not in ports:
            known = ", ".join(sorted(ports)) or "none"
            family = f"{td.family}:{td.revision}" if td is not None else "the task definition"
            # the sandbox's own wording (no source found for ECS's text)
            return None, Problem(INVALID, (
                f"The Service Connect service port name '{name}' does not match the name of any port mapping "
                f"in task definition {family} (named port mappings: {known}). portName must be the \"name\" "
                f"of a port mapping in the task definition."))
        aliases = s.get("clientAliases") or []
        if len(aliases) > 1:
            return None, Problem(INVALID, "A Service Connect service can have at most 1 client alias.")
        for a in aliases:
            port = a.get("port")
            if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
                return None, Problem(INVALID, "clientAliases.port must be a port number from 1 to 65535.")
    return out, None


# ---------------------------------------------------------------------------- what is published
def config_of(svc, dep: dict | None) -> dict | None:
    """The Service Connect configuration a deployment runs with: its own, or, for a
    rollback, that of the revision it returned to."""
    if dep is None:
        return None
    if "serviceConnectConfiguration" in dep:
        return dep["serviceConnectConfiguration"]
    origin = dep.get("_revision_of")
    if origin:
        for d in svc.history:
            if d["id"] == origin:
                return d.get("serviceConnectConfiguration")
    return None


def deployment_of(svc, dep_id: str | None) -> dict | None:
    for d in reversed(svc.history):
        if d["id"] == dep_id:
            return d
    return next((d for d in svc.deployments if d["id"] == dep_id), None)


class _Names:
    """Namespace names by ARN, looked up once per question."""

    def __init__(self, world, account: str, region: str) -> None:
        self.world, self.account, self.region = world, account, region
        self.cache: dict[str, str] = {}

    def name(self, arn: str) -> str:
        if arn not in self.cache:
            ns = self.world.namespace(self.account, self.region, arn)
            self.cache[arn] = ns.name if ns is not None else arn.split("/")[-1]
        return self.cache[arn]


def published(region, svc, dep: dict | None, names: _Names) -> Published:
    conf = config_of(svc, dep)
    out = Published()
    if not conf or not conf.get("enabled"):
        return out
    out.enabled = True
    out.namespace_arn = conf.get("namespace")
    services = conf.get("services") or []
    out.client_only = not services
    td = region.task_definition(dep["taskDefinition"]) if dep is not None else None
    ports = named_ports(td)
    for s in services:
        port_name = s.get("portName") or ""
        if port_name not in ports:
            out.unmatched.append(port_name)
            continue
        aliases = s.get("clientAliases") or []
        if not aliases:
            out.without_alias.append(port_name)
        listen = s.get("ingressPortOverride") or ports[port_name].get("containerPort")
        for a in aliases:
            dns = a.get("dnsName") or f"{s.get('discoveryName') or port_name}.{names.name(out.namespace_arn or '')}"
            out.aliases.append(Alias(out.namespace_arn or "", dns, int(a.get("port") or 0), port_name, listen))
    return out


def _published_since(region, svc, key: tuple[str, str, int], names: _Names) -> datetime | None:
    """When the endpoint ``key`` (namespace, dnsName, port) was published: the start of the
    run of newest deployments that all publish it (None: the newest does not)."""
    since = None
    for dep in reversed(svc.history):
        if any((a.namespace_arn, a.dns_name, a.port) == key for a in published(region, svc, dep, names).aliases):
            since = dep["createdAt"]
        else:
            break
    return since


# ---------------------------------------------------------------------------- the call path
def split_target(target: str) -> tuple[str, int] | None:
    """``orders:8080`` -> ("orders", 8080); None when it is not NAME:PORT."""
    name, sep, port = (target or "").strip().rpartition(":")
    if not sep or not name or not port.isdigit():
        return None
    return name, int(port)


@dataclass
class Answer:
    reachable: bool
    reason: str
    server: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"reachable": self.reachable, "reason": self.reason, "server": self.server}


def _groups(svc, dep: dict | None) -> list[str]:
    conf = (dep or {}).get("networkConfiguration") or svc.network_configuration or {}
    return list((conf.get("awsvpcConfiguration") or {}).get("securityGroups") or [])


def _admits(rules, client_groups: list[str], client_ip: str | None, port: int | None) -> bool:
    for r in rules or []:
        if r.protocol not in ("-1", "tcp"):
            continue
        if r.protocol == "tcp" and port is not None and r.from_port is not None and \
                not (r.from_port <= port <= (r.to_port if r.to_port is not None else r.from_port)):
            continue
        if any(g in client_groups for g in r.groups):
            return True
        if client_ip:
            for cidr in r.cidrs:
                try:
                    if ipaddress.ip_address(client_ip) in ipaddress.ip_network(cidr, strict=False):
                        return True
                except ValueError:
                    continue
    return False


def reach(region, world, cluster_name: str, client_name: str, dns_name: str, port: int, *,
          is_healthy: Callable[[Any, Any], bool], network_checks: bool = False) -> Answer:
    """Can the running tasks of ``client_name`` (in ``cluster_name``) reach ``dns_name:port``
    through Service Connect? The answer names the fix when they cannot."""
    account, rname = region.account_id, region.region_name
    names = _Names(world, account, rname)
    target = f"{dns_name}:{port}"
    client = region.services.get(f"{cluster_name}:{client_name}")
    if client is None or client.status != "ACTIVE":
        return Answer(False, f"There is no active service `{client_name}` in cluster `{cluster_name}`.")
    running = [t for t in region.tasks.get(cluster_name, {}).values()
               if t._svc_key == (client.cluster_name, client.name)
               and t.last_status == "RUNNING" and t.desired_status == "RUNNING"]
    if not running:
        return Answer(False, f"`{client_name}` has no RUNNING task, so nothing calls `{target}`. Wait for its "
                             f"tasks to start (`ecsdrill sandbox advance 60`) or look at its events.")
    primary = client.deployments[0] if client.deployments else None

    # every endpoint published now (the newest deployment of each active service, any cluster)
    servers = [s for s in region.services.values() if s.status == "ACTIVE" and s.history]
    now_published = {s.key: published(region, s, s.history[-1], names) for s in servers}

    results: list[tuple[dict | None, Answer]] = []
    for task in sorted(running, key=lambda t: t.created_at):
        dep = deployment_of(client, task._deployment_id)
        results.append((dep, _one_task(region, world, names, client, task, dep, dns_name, port, servers,
                                       now_published, is_healthy, network_checks)))
    ok = [a for _, a in results if a.reachable]
    if len(ok) == len(results):
        return ok[-1]
    # the answer for the tasks of the newest deployment, else of the newest task
    newest = next((a for d, a in reversed(results) if d is primary), results[-1][1])
    if ok:
        bad = next(a for _, a in reversed(results) if not a.reachable)
        return Answer(False, f"Only {len(ok)} of the {len(results)} RUNNING tasks of `{client_name}` can reach "
                             f"`{target}` (a deployment is under way); the others cannot: {bad.reason}",
                      bad.server or ok[-1].server)
    reason = newest.reason
    if primary is not None and not any(d is primary for d, _ in results):
        conf = config_of(client, primary)
        if conf and conf.get("enabled"):
            reason += (f" (`{client_name}`'s newest deployment has Service Connect, but none of its tasks "
                       f"runs yet: wait for it with `ecsdrill sandbox advance 60`.)")
    return Answer(False, reason, newest.server)


def _one_task(region, world, names, client, task, dep, dns_name, port, servers, now_published,
              is_healthy, network_checks) -> Answer:
    target = f"{dns_name}:{port}"
    mine = published(region, client, dep, names)
    if not mine.enabled:
        return Answer(False, (
            f"`{client.name}` is in no Service Connect namespace: its tasks run without the Service Connect "
            f"proxy, so `{dns_name}` does not resolve in them. Turn Service Connect on in `{client.name}`, in the "
            f"namespace where `{target}` is published: `aws ecs update-service --cluster {client.cluster_name} "
            f"--service {client.name} --service-connect-configuration '{{\"enabled\":true,\"namespace\":\"NAMESPACE\"}}'`."))
    ns = mine.namespace_arn or ""
    matching = [(s, a) for s in servers for a in now_published[s.key].aliases
                if a.dns_name == dns_name and a.port == port]
    same = [(s, a) for s, a in matching if a.namespace_arn == ns]
    if not same:
        if matching:
            s, a = matching[0]
            return Answer(False, (
                f"`{s.name}` publishes `{target}` in namespace {names.name(a.namespace_arn)}, but `{client.name}` is in "
                f"namespace {names.name(ns)}: a task resolves only the endpoints of its own namespace. Put both "
                f"services in the same namespace."), s.name)
        return _nothing_published(region, client, dns_name, port, ns, servers, now_published, names)
    server, alias = same[0]
    since = _published_since(region, server, (alias.namespace_arn, alias.dns_name, alias.port), names)
    known_at = min(dep["createdAt"], task.created_at) if dep is not None else task.created_at
    if since is not None and known_at < since:
        return Answer(False, (
            f"`{server.name}` published `{target}` after `{client.name}`'s tasks were started: tasks learn only "
            f"the endpoints that exist when their deployment starts, and keep them. Start a new deployment of "
            f"`{client.name}`: `aws ecs update-service --cluster {client.cluster_name} --service {client.name} "
            f"--force-new-deployment`."), server.name)
    behind = []
    for t in region.tasks.get(server.cluster_name, {}).values():
        if t._svc_key != (server.cluster_name, server.name):
            continue
        tdep = deployment_of(server, t._deployment_id)
        if not any((a.namespace_arn, a.dns_name, a.port) == (alias.namespace_arn, dns_name, port)
                   for a in published(region, server, tdep, names).aliases):
            continue
        if is_healthy(server, t):
            behind.append((t, tdep))
    if not behind:
        return Answer(False, (
            f"`{server.name}` publishes `{target}`, but none of its tasks with that Service Connect configuration "
            f"is RUNNING and healthy yet: wait for its deployment (`ecsdrill sandbox advance 60`), or find why "
            f"its tasks stop in its events."), server.name)
    where = (f"`{server.name}` publishes it in namespace {names.name(ns)} (port name {alias.port_name}, "
             f"the proxy listens on port {alias.container_port}); {len(behind)} of its tasks are RUNNING and healthy")
    if not network_checks:
        return Answer(True, (f"`{client.name}` reaches `{target}`: {where}. Security groups are not checked: "
                             f"the sandbox runs without network checks."), server.name)
    client_groups = _groups(client, dep)
    for t, tdep in behind:
        for g in _groups(server, tdep):
            if _admits(world.security_group_ingress(region.account_id, region.region_name, g) or [],
                       client_groups, task._ip, alias.container_port):
                return Answer(True, f"`{client.name}` reaches `{target}`: {where}; security group {g} admits "
                                    f"`{client.name}`'s tasks on port {alias.container_port}.", server.name)
    server_groups = _groups(server, behind[0][1])
    return Answer(False, (
        f"`{server.name}` publishes `{target}`, but the security groups of its tasks ({', '.join(server_groups)}) "
        f"admit no traffic from `{client.name}`'s tasks (groups {', '.join(client_groups) or 'none'}) on port "
        f"{alias.container_port}, where its Service Connect proxy listens. Add an inbound rule: `aws ec2 "
        f"authorize-security-group-ingress --group-id {server_groups[0] if server_groups else 'SG'} --protocol tcp "
        f"--port {alias.container_port} --source-group {client_groups[0] if client_groups else 'SG'}`."),
        server.name)


def _nothing_published(region, client, dns_name, port, ns, servers, now_published, names) -> Answer:
    """No service publishes dns_name:port in the client's namespace: say what is there instead,
    and what the likely server (the service named like the DNS name) lacks."""
    target = f"{dns_name}:{port}"
    where = names.name(ns)
    other_port = [(s, a) for s in servers for a in now_published[s.key].aliases
                  if a.namespace_arn == ns and a.dns_name == dns_name]
    if other_port:
        s, a = other_port[0]
        return Answer(False, (
            f"`{s.name}` publishes `{dns_name}` on port {a.port}, not {port}: the client alias port is the port "
            f"clients call, whatever port the container listens on. Set the client alias port to {port}, or call "
            f"`{dns_name}:{a.port}`."), s.name)
    label = dns_name.split(".")[0]
    guess = next((s for s in servers if s.name == label and s.cluster_name == client.cluster_name), None) or \
        next((s for s in servers if s.name == label), None)
    in_ns = sorted(f"`{a.dns_name}:{a.port}` ({s.name})" for s in servers for a in now_published[s.key].aliases
                   if a.namespace_arn == ns)
    there = (f" Namespace {where} has: {', '.join(in_ns)}." if in_ns else f" Nothing is published in namespace {where}.")
    if guess is not None:
        pub = now_published[guess.key]
        fix = (f"`aws ecs update-service --cluster {guess.cluster_name} --service {guess.name} "
               f"--service-connect-configuration '{{\"enabled\":true,\"namespace\":\"{where}\",\"services\":"
               f"[{{\"portName\":\"PORT_NAME\",\"clientAliases\":[{{\"port\":{port},\"dnsName\":\"{dns_name}\"}}]}}]}}'` "
               f"(PORT_NAME: the name of the port mapping in its task definition)")
        if not pub.enabled:
            why = f"`{guess.name}` has no Service Connect configuration, so it publishes nothing. Give it one: {fix}."
        elif pub.namespace_arn != ns:
            why = (f"`{guess.name}` is in namespace {names.name(pub.namespace_arn or '')}, not {where}: put both "
                   f"services in the same namespace.")
        elif pub.unmatched:
            td = region.task_definition(guess.history[-1]["taskDefinition"])
            why = (f"The port name {pub.unmatched[0]} of `{guess.name}` matches no named port mapping of "
                   f"{td.family + ':' + str(td.revision) if td else 'its task definition'}: portName must be the "
                   f"name of one of its port mappings.")
        elif pub.client_only:
            why = (f"`{guess.name}` is a client-only Service Connect service (its configuration has no "
                   f"`services`): it can call others, but nobody can call it. Publish its port: {fix}.")
        elif pub.without_alias:
            why = (f"`{guess.name}` publishes port name {pub.without_alias[0]} without a client alias: tasks "
                   f"resolve client aliases only, never discovery names. Add \"clientAliases\":[{{\"port\":{port},"
                   f"\"dnsName\":\"{dns_name}\"}}] to its Service Connect service.")
        else:
            mine = ", ".join(f"`{a.dns_name}:{a.port}`" for a in pub.aliases)
            why = (f"`{guess.name}` publishes {mine}, not `{target}`: the client alias's dnsName and port are the "
                   f"name and port clients call (a dnsName left out is discoveryName.namespace). Set its client "
                   f"alias to port {port} and dnsName `{dns_name}`.")
        return Answer(False, f"No service publishes `{target}` in namespace {where}. {why}", guess.name)
    return Answer(False, f"No service publishes `{target}` in namespace {where}.{there}")
