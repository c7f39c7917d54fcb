"""Service Connect in-process: what CreateService/UpdateService refuse, and the call path
`reach` judges from the configuration (ecs/service_connect.py), through Provider.handle
over the simulation and the fake world. No server, no CLI."""

from __future__ import annotations

import unittest

from fakes import ACCOUNT, EXEC_ROLE, REGION, IngressRule, Kit
from ecsdrill_sandbox.ecs import service_connect
from ecsdrill_sandbox.ecs.provider import EcsError, Provider

SETTLE = 120  # simulated seconds by which new tasks are RUNNING and healthy (no health check: 40 s)


class Mesh:
    """Two services, `web` (a client) and `orders` (its port 3000 named `api`), in cluster
    `default`, and a namespace `internal`."""

    def __init__(self) -> None:
        self.k = Kit()
        self.p = Provider(self.k.store, self.k.sim, self.k.world)
        self.k.push("web", "v1")
        self.ns = self.k.world.create_http_namespace(ACCOUNT, REGION, "internal")
        self.orders_td = self.register("orders", port=3000, port_name="api")
        self.web_td = self.register("web", port=80)

    def __call__(self, op: str, **params):
        return self.p.handle(ACCOUNT, REGION, op, params)

    def error(self, op: str, **params) -> EcsError:
        try:
            self.p.handle(ACCOUNT, REGION, op, params)
        except EcsError as e:
            return e
        raise AssertionError(f"{op} succeeded")

    def register(self, family: str, port: int, port_name: str | None = None) -> str:
        pm = {"containerPort": port}
        if port_name:
            pm["name"] = port_name
        cd = {"name": "app", "image": self.k.uri("web", "v1"), "essential": True, "portMappings": [pm]}
        return self("RegisterTaskDefinition", family=family, requiresCompatibilities=["FARGATE"],
                    networkMode="awsvpc", cpu="256", memory="512", executionRoleArn=EXEC_ROLE,
                    containerDefinitions=[cd])["taskDefinition"]["taskDefinitionArn"]

    def service(self, name: str, td: str, sc: dict | None = None, desired: int = 2) -> dict:
        extra = {"serviceConnectConfiguration": sc} if sc is not None else {}
        return self("CreateService", cluster="default", serviceName=name, taskDefinition=td, desiredCount=desired,
                    launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-a"]}},
                    **extra)["service"]

    def update(self, name: str, **params) -> dict:
        return self("UpdateService", cluster="default", service=name, **params)["service"]

    @staticmethod
    def server(alias: dict | None = None, port_name: str = "api", namespace: str = "internal") -> dict:
        svc = {"portName": port_name, "discoveryName": "orders"}
        if alias is not False:
            svc["clientAliases"] = [alias or {"port": 8080, "dnsName": "orders"}]
        return {"enabled": True, "namespace": namespace, "services": [svc]}

    def client(self, namespace: str = "internal") -> dict:
        return {"enabled": True, "namespace": namespace}

    def reach(self, target: str = "orders:8080", client: str = "web", network_checks: bool = False):
        name, port = service_connect.split_target(target)
        return service_connect.reach(self.k.region, self.k.world, "default", client, name, port,
                                     is_healthy=lambda s, t: self.k.sim._is_healthy(s, t, self.k.clock.now()),
                                     network_checks=network_checks)

    def pair(self, server: dict | None = None, client: dict | None = None) -> None:
        """orders (the server) first, then web (the client), both settled."""
        self.service("orders", self.orders_td, server or self.server())
        self.service("web", self.web_td, client or self.client())
        self.k.advance(SETTLE)


class Validation(unittest.TestCase):
    def test_a_port_name_the_task_definition_does_not_have_is_refused(self):
        m = Mesh()
        e = m.error("CreateService", cluster="default", serviceName="orders", taskDefinition=m.orders_td,
                    desiredCount=1, launchType="FARGATE",
                    networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-a"]}},
                    serviceConnectConfiguration=m.server(port_name="http"))
        self.assertEqual(e.code, "InvalidParameterException")
        self.assertIn("'http'", e.message)
        self.assertIn("named port mappings: api", e.message)
        # nor can a kept configuration move to a revision whose port has no name
        m.service("orders", m.orders_td, m.server())
        unnamed = m.register("orders", port=3000)
        e = m.error("UpdateService", cluster="default", service="orders", taskDefinition=unnamed)
        self.assertEqual(e.code, "InvalidParameterException")
        self.assertIn("named port mappings: none", e.message)

    def test_a_namespace_that_does_not_exist_is_refused(self):
        m = Mesh()
        e = m.error("CreateService", cluster="default", serviceName="web", taskDefinition=m.web_td,
                    desiredCount=1, launchType="FARGATE",
                    networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-a"]}},
                    serviceConnectConfiguration=m.client("nowhere"))
        self.assertEqual(e.code, "NamespaceNotFoundException")
        self.assertIn("nowhere", e.message)
        # without a namespace and without a cluster default, there is none to join
        e = m.error("CreateService", cluster="default", serviceName="web", taskDefinition=m.web_td,
                    desiredCount=1, launchType="FARGATE",
                    networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-a"]}},
                    serviceConnectConfiguration={"enabled": True})
        self.assertEqual(e.code, "InvalidParameterException")
        self.assertIn("no default namespace", e.message)

    def test_at_most_one_client_alias(self):
        m = Mesh()
        conf = m.server()
        conf["services"][0]["clientAliases"].append({"port": 9090, "dnsName": "orders2"})
        e = m.error("CreateService", cluster="default", serviceName="orders", taskDefinition=m.orders_td,
                    desiredCount=1, launchType="FARGATE",
                    networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-a"]}},
                    serviceConnectConfiguration=conf)
        self.assertIn("at most 1 client alias", e.message)

    def test_a_cluster_default_namespace_is_created_and_used_as_its_arn(self):
        m = Mesh()
        cluster = m("CreateCluster", clusterName="shop", serviceConnectDefaults={"namespace": "apps"})["cluster"]
        ns = m.k.world.namespace(ACCOUNT, REGION, "apps")
        self.assertIsNotNone(ns, "a new name becomes a new HTTP namespace")
        self.assertEqual(ns.type, "HTTP")
        self.assertEqual(cluster["serviceConnectDefaults"], {"namespace": ns.arn})
        m("CreateService", cluster="shop", serviceName="web", taskDefinition=m.web_td, desiredCount=1,
          launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-a"]}},
          serviceConnectConfiguration={"enabled": True})
        svc = m("DescribeServices", cluster="shop", services=["web"])["services"][0]
        conf = svc["deployments"][0]["serviceConnectConfiguration"]
        self.assertEqual(conf, {"enabled": True, "namespace": ns.arn})
        # an existing name is used, not made again; "" removes the default
        m("UpdateCluster", cluster="shop", serviceConnectDefaults={"namespace": "internal"})
        self.assertEqual(len(m.k.world.namespaces), 2)
        self.assertEqual(m("DescribeClusters", clusters=["shop"])["clusters"][0]["serviceConnectDefaults"],
                         {"namespace": m.ns.arn})
        m("UpdateCluster", cluster="shop", serviceConnectDefaults={"namespace": ""})
        self.assertNotIn("serviceConnectDefaults", m("DescribeClusters", clusters=["shop"])["clusters"][0])
        e = m.error("UpdateCluster", cluster="shop", serviceConnectDefaults={
            "namespace": f"arn:aws:servicediscovery:{REGION}:{ACCOUNT}:namespace/ns-0000000000000000"})
        self.assertEqual(e.code, "NamespaceNotFoundException")

    def test_the_configuration_is_kept_on_the_deployment_with_the_namespace_as_arn(self):
        m = Mesh()
        m.pair()
        svc = m("DescribeServices", cluster="default", services=["orders"])["services"][0]
        conf = svc["deployments"][0]["serviceConnectConfiguration"]
        self.assertEqual(conf["namespace"], m.ns.arn)
        self.assertEqual(conf["services"][0]["clientAliases"], [{"port": 8080, "dnsName": "orders"}])


class Reach(unittest.TestCase):
    def test_a_client_reaches_a_client_server_service_in_its_namespace(self):
        m = Mesh()
        m.pair()
        a = m.reach()
        self.assertTrue(a.reachable, a.reason)
        self.assertEqual(a.server, "orders")
        self.assertIn("port name api", a.reason)
        self.assertIn("listens on port 3000", a.reason)
        self.assertIn("not checked", a.reason)
        # the server calls nothing it does not publish, and web publishes nothing
        self.assertFalse(m.reach("web:80", client="orders").reachable)

    def test_a_client_in_no_namespace(self):
        m = Mesh()
        m.service("orders", m.orders_td, m.server())
        m.service("web", m.web_td)
        m.k.advance(SETTLE)
        a = m.reach()
        self.assertFalse(a.reachable)
        self.assertIn("in no Service Connect namespace", a.reason)
        self.assertIn("--service-connect-configuration", a.reason)

    def test_client_and_server_in_different_namespaces(self):
        m = Mesh()
        m.k.world.create_http_namespace(ACCOUNT, REGION, "other")
        m.pair(client=m.client("other"))
        a = m.reach()
        self.assertFalse(a.reachable)
        self.assertIn("namespace internal", a.reason)
        self.assertIn("namespace other", a.reason)
        self.assertIn("same namespace", a.reason)

    def test_a_client_only_server_can_call_but_cannot_be_called(self):
        m = Mesh()
        m.pair(server=m.client())
        a = m.reach()
        self.assertFalse(a.reachable)
        self.assertEqual(a.server, "orders")
        self.assertIn("client-only", a.reason)
        self.assertIn('"clientAliases":[{"port":8080,"dnsName":"orders"}]', a.reason)

    def test_a_published_port_without_a_client_alias_is_not_resolvable(self):
        m = Mesh()
        m.pair(server=m.server(alias=False))
        a = m.reach()
        self.assertFalse(a.reachable)
        self.assertIn("without a client alias", a.reason)
        self.assertIn("never discovery names", a.reason)

    def test_the_client_alias_port_is_what_clients_call(self):
        m = Mesh()
        m.pair(server=m.server({"port": 3000, "dnsName": "orders"}))
        a = m.reach()
        self.assertFalse(a.reachable)
        self.assertIn("on port 3000, not 8080", a.reason)
        self.assertTrue(m.reach("orders:3000").reachable)

    def test_a_dns_name_left_out_is_discovery_name_dot_namespace(self):
        m = Mesh()
        m.pair(server=m.server({"port": 8080}))
        a = m.reach()
        self.assertFalse(a.reachable)
        self.assertIn("publishes `orders.internal:8080`, not `orders:8080`", a.reason)
        self.assertTrue(m.reach("orders.internal:8080").reachable)
        # without a discovery name, the port name is used
        m2 = Mesh()
        conf = m2.server({"port": 8080})
        del conf["services"][0]["discoveryName"]
        m2.pair(server=conf)
        self.assertTrue(m2.reach("api.internal:8080").reachable)

    def test_nothing_published_under_that_name(self):
        m = Mesh()
        m.pair()
        a = m.reach("payments:8080")
        self.assertFalse(a.reachable)
        self.assertIn("No service publishes `payments:8080` in namespace internal", a.reason)
        self.assertIn("`orders:8080` (orders)", a.reason)

    def test_a_client_started_before_the_endpoint_needs_a_new_deployment(self):
        m = Mesh()
        m.service("web", m.web_td, m.client())
        m.k.advance(SETTLE)
        m.service("orders", m.orders_td, m.server())
        m.k.advance(SETTLE)
        a = m.reach()
        self.assertFalse(a.reachable)
        self.assertIn("after `web`'s tasks were started", a.reason)
        self.assertIn("--force-new-deployment", a.reason)
        # a replacement task of the same deployment knows no more than the others
        task = next(t for t in m.k.live(m.k.region.services["default:web"]))
        m("StopTask", cluster="default", task=task.task_arn)
        m.k.advance(SETTLE)
        self.assertIn("--force-new-deployment", m.reach().reason)
        m.update("web", forceNewDeployment=True)
        m.k.advance(SETTLE)
        a = m.reach()
        self.assertTrue(a.reachable, a.reason)

    def test_the_server_needs_a_running_healthy_task_with_the_configuration(self):
        m = Mesh()
        m.service("orders", m.orders_td, m.server(), desired=0)
        m.service("web", m.web_td, m.client())
        m.k.advance(SETTLE)
        a = m.reach()
        self.assertFalse(a.reachable)
        self.assertIn("none of its tasks with that Service Connect configuration is RUNNING and healthy", a.reason)
        m.update("orders", desiredCount=2)
        m.k.advance(SETTLE)
        self.assertTrue(m.reach().reachable)

    def test_the_port_name_must_still_match_the_running_revision(self):
        # ECS refuses the mismatch up front; a task definition changed under the model
        # (not through the API) still shows what the rule is
        m = Mesh()
        m.pair()
        td = m.k.region.task_definition(m.orders_td)
        td.container_definitions[0]["portMappings"][0]["name"] = "http"
        a = m.reach()
        self.assertFalse(a.reachable)
        self.assertIn("port name api of `orders` matches no named port mapping of orders:1", a.reason)

    def test_the_client_needs_a_running_task(self):
        m = Mesh()
        m.service("orders", m.orders_td, m.server())
        m.service("web", m.web_td, m.client(), desired=0)
        m.k.advance(SETTLE)
        a = m.reach()
        self.assertFalse(a.reachable)
        self.assertIn("`web` has no RUNNING task", a.reason)
        self.assertIn("no active service `api`", m.reach(client="api").reason)

    def test_while_the_client_deploys_service_connect_its_old_tasks_cannot(self):
        m = Mesh()
        m.service("orders", m.orders_td, m.server())
        m.service("web", m.web_td)
        m.k.advance(SETTLE)
        m.update("web", serviceConnectConfiguration=m.client())
        a = m.reach()
        self.assertFalse(a.reachable)
        self.assertIn("newest deployment has Service Connect, but none of its tasks runs yet", a.reason)
        m.k.advance(SETTLE)
        self.assertTrue(m.reach().reachable)

    def test_security_groups_with_network_checks(self):
        m = Mesh()
        m.pair()
        a = m.reach(network_checks=True)
        self.assertTrue(a.reachable, a.reason)
        self.assertIn("security group sg-default admits `web`'s tasks on port 3000", a.reason)
        m.k.world.ingress["sg-default"] = [IngressRule("tcp", 80, 80, [], ["sg-default"])]
        a = m.reach(network_checks=True)
        self.assertFalse(a.reachable)
        self.assertIn("admit no traffic from `web`'s tasks", a.reason)
        self.assertIn("--port 3000 --source-group sg-default", a.reason)
        m.k.world.ingress["sg-default"] = [IngressRule("tcp", 3000, 3000, ["172.31.0.0/16"], [])]
        self.assertTrue(m.reach(network_checks=True).reachable)
        self.assertTrue(m.reach().reachable, "without network checks, groups are not looked at")

    def test_split_target(self):
        self.assertEqual(service_connect.split_target("orders:8080"), ("orders", 8080))
        self.assertEqual(service_connect.split_target("orders.internal:80"), ("orders.internal", 80))
        for bad in ("orders", ":80", "orders:http", ""):
            self.assertIsNone(service_connect.split_target(bad), bad)


try:
    import moto
except ImportError:  # pragma: no cover
    moto = None


@unittest.skipUnless(moto is not None, "needs the pinned moto (run with the sandbox venv's python)")
class MotoWorldContract(unittest.TestCase):
    """MotoWorld's side of Service Connect, against the pinned moto (boto3 under mock_aws)."""

    def setUp(self):
        import boto3

        from ecsdrill_sandbox import moto_adapter

        mock = moto.mock_aws()
        mock.start()
        self.addCleanup(mock.stop)
        self.world = moto_adapter.MotoWorld()
        self.c = lambda name: boto3.client(name, region_name=REGION)

    def test_namespaces_by_name_or_arn_and_made_by_ecs(self):
        op = self.c("servicediscovery").create_http_namespace(Name="internal")["OperationId"]
        target = self.c("servicediscovery").get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]
        ns = self.world.namespace(ACCOUNT, REGION, "internal")
        self.assertEqual((ns.id, ns.name, ns.type), (target, "internal", "HTTP"))
        self.assertEqual(self.world.namespace(ACCOUNT, REGION, ns.arn), ns)
        self.assertIsNone(self.world.namespace(ACCOUNT, REGION, "nowhere"))
        made = self.world.create_http_namespace(ACCOUNT, REGION, "apps")
        listed = self.c("servicediscovery").list_namespaces()["Namespaces"]
        self.assertIn(made.arn, [n["Arn"] for n in listed])

    def test_security_group_rules_and_the_default_group_admitting_itself(self):
        ec2 = self.c("ec2")
        default = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}])
        default = default["SecurityGroups"][0]
        rules = self.world.security_group_ingress(ACCOUNT, REGION, default["GroupId"])
        self.assertEqual([(r.protocol, r.groups) for r in rules], [("-1", [default["GroupId"]])])
        sg = ec2.create_security_group(GroupName="orders", Description="x", VpcId=default["VpcId"])["GroupId"]
        self.assertEqual(self.world.security_group_ingress(ACCOUNT, REGION, sg), [])
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 3000, "ToPort": 3000, "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
             "UserIdGroupPairs": [{"GroupId": default["GroupId"]}]}])
        rules = self.world.security_group_ingress(ACCOUNT, REGION, sg)
        self.assertEqual(sorted((r.protocol, r.from_port, r.to_port, tuple(r.cidrs), tuple(r.groups)) for r in rules),
                         [("tcp", 3000, 3000, (), (default["GroupId"],)), ("tcp", 3000, 3000, ("10.0.0.0/8",), ())])
        self.assertIsNone(self.world.security_group_ingress(ACCOUNT, REGION, "sg-00000000000000000"))


if __name__ == "__main__":
    unittest.main()
