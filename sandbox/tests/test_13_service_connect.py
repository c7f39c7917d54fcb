"""13. Service Connect through the real `aws` CLI: a Cloud Map HTTP namespace (`aws
servicediscovery`, served by moto), a client and a client-server service configured with
`update-service --service-connect-configuration`, what ECS refuses, a cluster's default
namespace, and the call path the control API judges from the configuration
(`GET /_ecsdrill/service-connect/reach`). Every reason of the call path is proven in-process
(unit/test_service_connect.py)."""

import json
import urllib.parse

from harness import SandboxTest, setUpModule, tearDownModule  # noqa: F401

SETTLE = 120


class ServiceConnect(SandboxTest):
    def setUp(self):
        super().setUp()
        sb = self.sb
        sb.exec_role()
        sb.cluster()
        self.image = sb.push("web", "v1")["imageUri"]

    def reach(self, frm: str = "web", to: str = "orders:8080", cluster: str = "lab") -> tuple[int, dict]:
        query = urllib.parse.urlencode({"cluster": cluster, "from": frm, "to": to})
        return self.sb.control("GET", f"/_ecsdrill/service-connect/reach?{query}")

    def reachable(self, **kw) -> dict:
        status, answer = self.reach(**kw)
        self.assertEqual(status, 200, answer)
        return answer

    def sc(self, service: str, conf: dict, cli: bool = True):
        if cli:
            return self.sb.aws("ecs", "update-service", "--cluster", "lab", "--service", service,
                               "--service-connect-configuration", json.dumps(conf))
        return self.sb.api("ecs", "update_service", cluster="lab", service=service, serviceConnectConfiguration=conf)

    @staticmethod
    def server(port_name: str = "api", namespace: str = "internal") -> dict:
        return {"enabled": True, "namespace": namespace, "services": [
            {"portName": port_name, "discoveryName": "orders", "clientAliases": [{"port": 8080, "dnsName": "orders"}]}]}

    def test_a_namespace_two_services_and_the_call_path(self):
        sb = self.sb
        # the namespace, as a learner makes it: an operation to follow, then the namespace
        op = sb.aws("servicediscovery", "create-http-namespace", "--name", "internal")["OperationId"]
        done = sb.aws("servicediscovery", "get-operation", "--operation-id", op)["Operation"]
        self.assertEqual(done["Status"], "SUCCESS")
        ns_id = done["Targets"]["NAMESPACE"]
        ns_arn = sb.api("servicediscovery", "get_namespace", Id=ns_id)["Namespace"]["Arn"]
        # orders' port is named (the CLI sends portMappings[].name); web's is not
        orders_td = sb.task_definition("orders", self.image, port=3000, cli=True,
                                       container={"portMappings": [{"containerPort": 3000, "name": "api",
                                                                    "appProtocol": "http"}]})
        web_td = sb.task_definition("web", self.image)
        sb.service("orders", orders_td, 2, serviceConnectConfiguration={"enabled": True, "namespace": "internal"})
        sb.service("web", web_td, 2)
        sb.advance(SETTLE)
        answer = self.reachable()
        self.assertFalse(answer["reachable"])
        self.assertIn("in no Service Connect namespace", answer["reason"])

        # what ECS refuses, as the CLI shows it
        err = sb.aws_error("ecs", "update-service", "--cluster", "lab", "--service", "orders",
                           "--service-connect-configuration", json.dumps(self.server(port_name="http")))
        self.assertIn("(InvalidParameterException)", err)
        self.assertIn("port name 'http'", err)
        err = sb.aws_error("ecs", "update-service", "--cluster", "lab", "--service", "web",
                           "--service-connect-configuration", json.dumps({"enabled": True, "namespace": "nowhere"}))
        self.assertIn("(NamespaceNotFoundException)", err)

        # orders is client-only so far: the client joins, and learns nobody can call orders
        self.sc("web", {"enabled": True, "namespace": "internal"}, cli=False)
        sb.advance(SETTLE)
        self.assertIn("client-only", self.reachable()["reason"])
        # orders publishes its port; web's tasks started before that and must be replaced
        self.sc("orders", self.server())
        sb.advance(SETTLE)
        answer = self.reachable()
        self.assertFalse(answer["reachable"])
        self.assertIn("--force-new-deployment", answer["reason"])
        sb.aws("ecs", "update-service", "--cluster", "lab", "--service", "web", "--force-new-deployment")
        sb.advance(SETTLE)
        answer = self.reachable()
        self.assertTrue(answer["reachable"], answer)
        self.assertEqual(answer["server"], "orders")

        # the deployment keeps the configuration, its namespace as the namespace's ARN
        svc = sb.describe_service("orders", cli=True)
        conf = svc["deployments"][0]["serviceConnectConfiguration"]
        self.assertEqual(conf["namespace"], ns_arn)
        self.assertEqual(conf["services"][0]["clientAliases"], [{"port": 8080, "dnsName": "orders"}])
        self.assertNotIn("serviceConnectConfiguration", svc, "not a member of Service in ECS")

        # the control API's own errors
        self.assertEqual(self.reach(to="orders")[0], 400)
        self.assertEqual(self.sb.control("GET", "/_ecsdrill/service-connect/reach?to=orders:8080")[0], 400)

    def test_a_cluster_default_namespace_and_security_groups(self):
        sb = self.sb
        cluster = sb.aws("ecs", "create-cluster", "--cluster-name", "shop",
                         "--service-connect-defaults", "namespace=apps")["cluster"]
        names = sb.aws("servicediscovery", "list-namespaces")["Namespaces"]
        apps = next(n for n in names if n["Name"] == "apps")
        self.assertEqual(apps["Type"], "HTTP")
        self.assertEqual(cluster["serviceConnectDefaults"], {"namespace": apps["Arn"]})
        orders_td = sb.task_definition("orders", self.image, port=3000,
                                       container={"portMappings": [{"containerPort": 3000, "name": "api"}]})
        web_td = sb.task_definition("web", self.image)
        # with the cluster's default, "enabled" is enough to join
        sb.service("orders", orders_td, 1, cluster="shop", serviceConnectConfiguration=self.server(namespace="apps"))
        sb.service("web", web_td, 1, cluster="shop", serviceConnectConfiguration={"enabled": True})
        sb.advance(SETTLE)
        self.assertTrue(self.reachable(cluster="shop")["reachable"])

        # with network checks, the server's security groups must admit the client on the
        # port its proxy listens on (the container port)
        sb.post("/_ecsdrill/settings", {"network_checks": True})
        try:
            answer = self.reachable(cluster="shop")
            self.assertTrue(answer["reachable"], answer)
            self.assertIn("admits `web`'s tasks on port 3000", answer["reason"])
            net = sb.network()
            sg = sb.api("ec2", "create_security_group", GroupName="orders", Description="orders",
                        VpcId=net["vpc_id"])["GroupId"]
            conf = sb.network_configuration()
            conf["awsvpcConfiguration"]["securityGroups"] = [sg]
            sb.api("ecs", "update_service", cluster="shop", service="orders", networkConfiguration=conf)
            sb.advance(SETTLE)
            answer = self.reachable(cluster="shop")
            self.assertFalse(answer["reachable"])
            self.assertIn(f"--group-id {sg} --protocol tcp --port 3000", answer["reason"])
            sb.aws("ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp",
                   "--port", "3000", "--source-group", net["default_security_group"])
            self.assertTrue(self.reachable(cluster="shop")["reachable"])
        finally:
            sb.post("/_ecsdrill/settings", {"network_checks": False})
