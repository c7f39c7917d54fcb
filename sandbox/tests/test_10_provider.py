"""10. ecsdrill's ECS provider: the APIs a learner meets after 2024 (service
deployments and revisions), task definition deletion, and requests ECS refuses."""

import json
import os

from harness import REGISTRY, SandboxTest, setUpModule, tearDownModule  # noqa: F401

BREAKER = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}


class ServiceDeployments(SandboxTest):
    def setUp(self):
        super().setUp()
        sb = self.sb
        sb.exec_role()
        sb.cluster()
        self.v1 = sb.push("web", "v1", "healthy")["imageDigest"]
        sb.push("web", "v2", "healthy")
        sb.push("web", "v3", "crash")
        self.td1 = sb.task_definition("web", f"{REGISTRY}/web:v1")
        self.td2 = sb.task_definition("web", f"{REGISTRY}/web:v2")
        self.td3 = sb.task_definition("web", f"{REGISTRY}/web:v3")

    def deployments(self, *extra):
        return self.sb.aws("ecs", "list-service-deployments", "--cluster", "lab", "--service", "web",
                           *extra)["serviceDeployments"]

    def describe_deployment(self, arn):
        out = self.sb.aws("ecs", "describe-service-deployments", "--service-deployment-arns", arn)
        self.assertEqual(out["failures"], [])
        return out["serviceDeployments"][0]

    def test_each_update_is_a_deployment_newest_first(self):
        sb = self.sb
        sb.service("web", self.td1, 2)
        first = self.deployments()
        self.assertEqual([d["status"] for d in first], ["IN_PROGRESS"])
        sb.advance(90)  # RUNNING within 48 s, healthy 40 s later
        sb.aws("ecs", "update-service", "--cluster", "lab", "--service", "web", "--task-definition", self.td2)
        now = self.deployments()
        self.assertEqual([d["status"] for d in now], ["IN_PROGRESS", "SUCCESSFUL"])
        self.assertEqual(now[1]["serviceDeploymentArn"], first[0]["serviceDeploymentArn"])
        self.assertIn("finishedAt", now[1])
        self.assertNotIn("finishedAt", now[0])
        self.assertEqual([d["status"] for d in self.deployments("--status", "SUCCESSFUL")], ["SUCCESSFUL"])

        current = self.describe_deployment(now[0]["serviceDeploymentArn"])
        self.assertEqual([s["arn"] for s in current["sourceServiceRevisions"]], [now[1]["targetServiceRevisionArn"]])
        self.assertEqual(current["targetServiceRevision"]["requestedTaskCount"], 2)
        self.assertEqual(current["deploymentCircuitBreaker"]["status"], "DISABLED")
        sb.advance(120)
        done = self.describe_deployment(now[0]["serviceDeploymentArn"])
        self.assertEqual((done["status"], done["targetServiceRevision"]["runningTaskCount"]), ("SUCCESSFUL", 2))
        self.assertEqual(done["sourceServiceRevisions"][0]["runningTaskCount"], 0)

        revisions = sb.aws("ecs", "describe-service-revisions", "--service-revision-arns",
                           now[1]["targetServiceRevisionArn"], now[0]["targetServiceRevisionArn"])
        self.assertEqual([r["taskDefinition"] for r in revisions["serviceRevisions"]], [self.td1, self.td2])
        self.assertEqual(revisions["serviceRevisions"][0]["containerImages"],
                         [{"containerName": "app", "imageDigest": self.v1, "image": f"{REGISTRY}/web:v1"}])

    def test_a_rolled_back_deployment_says_so_and_names_the_revision_it_returned_to(self):
        sb = self.sb
        sb.service("web", self.td1, 2, deploymentConfiguration=BREAKER)
        sb.advance(90)
        sb.aws("ecs", "update-service", "--cluster", "lab", "--service", "web", "--task-definition", self.td3)
        sb.advance(240)
        bad, good = self.deployments()
        self.assertEqual((bad["status"], good["status"]), ("ROLLBACK_SUCCESSFUL", "SUCCESSFUL"))
        detail = self.describe_deployment(bad["serviceDeploymentArn"])
        self.assertEqual(detail["rollback"]["serviceRevisionArn"], good["targetServiceRevisionArn"])
        self.assertIn("circuit breaker", detail["rollback"]["reason"])
        breaker = detail["deploymentCircuitBreaker"]
        self.assertEqual((breaker["status"], breaker["threshold"]), ("TRIGGERED", 3))
        self.assertGreaterEqual(breaker["failureCount"], 3)

    def test_unknown_arns_are_failures_not_errors(self):
        arn = "arn:aws:ecs:us-east-1:123456789012:service-deployment/lab/web/nope"
        out = self.sb.aws("ecs", "describe-service-deployments", "--service-deployment-arns", arn)
        self.assertEqual(out, {"serviceDeployments": [], "failures": [{"arn": arn, "reason": "MISSING"}]})
        err = self.sb.aws_error("ecs", "list-service-deployments", "--cluster", "lab", "--service", "nope")
        self.assertIn("ServiceNotFoundException", err)


class TaskDefinitions(SandboxTest):
    def setUp(self):
        super().setUp()
        self.sb.exec_role()
        self.sb.cluster()
        self.sb.push("web", "v1", "healthy")

    def test_a_deleted_revision_in_use_stays_until_nothing_uses_it(self):
        sb = self.sb
        td = sb.task_definition("web", f"{REGISTRY}/web:v1")
        sb.service("web", td, 1)
        sb.advance(90)
        sb.aws("ecs", "deregister-task-definition", "--task-definition", "web:1")
        out = sb.aws("ecs", "delete-task-definitions", "--task-definitions", "web:1")
        self.assertEqual(out["taskDefinitions"][0]["status"], "DELETE_IN_PROGRESS")
        # still describable, and the service still replaces a stopped task with it
        self.assertEqual(sb.aws("ecs", "describe-task-definition", "--task-definition", "web:1")
                         ["taskDefinition"]["status"], "DELETE_IN_PROGRESS")
        task = sb.tasks(service="web")[0]
        sb.api("ecs", "stop_task", cluster="lab", task=task["taskArn"])
        sb.advance(60)
        self.assertEqual([t["taskDefinitionArn"] for t in sb.tasks(service="web")], [td])
        err = sb.aws_error("ecs", "run-task", "--cluster", "lab", "--task-definition", "web:1",
                           "--launch-type", "FARGATE", "--network-configuration", sb.netconf())
        self.assertIn("TaskDefinition is inactive", err)
        # once the service is gone, so is the revision; its number is not given again
        sb.api("ecs", "delete_service", cluster="lab", service="web", force=True)
        sb.advance(120)
        err = sb.aws_error("ecs", "describe-task-definition", "--task-definition", "web:1")
        self.assertIn("Unable to describe task definition", err)
        self.assertTrue(sb.task_definition("web", f"{REGISTRY}/web:v1").endswith(":2"))

    def test_a_task_definition_needs_an_essential_container(self):
        cd = [{"name": "app", "image": "nginx", "memory": 128, "essential": False}]
        err = self.sb.aws_error("ecs", "register-task-definition", "--family", "web",
                                "--container-definitions", json.dumps(cd))
        self.assertIn("(ClientException) when calling the RegisterTaskDefinition operation: ", err)
        self.assertIn("essential", err)

    def test_a_load_balancer_must_name_a_port_the_container_maps(self):
        sb = self.sb
        tg = sb.load_balancer()
        td = sb.task_definition("web", f"{REGISTRY}/web:v1", port=80)
        lb = f"targetGroupArn={tg},containerName=app,containerPort=8080"
        err = sb.aws_error("ecs", "create-service", "--cluster", "lab", "--service-name", "web",
                           "--task-definition", td, "--desired-count", "1", "--launch-type", "FARGATE",
                           "--network-configuration", sb.netconf(), "--load-balancers", lb)
        self.assertIn("The container app did not have a container port 8080 defined.", err)


class CallerPermissions(SandboxTest):
    """With moto's IAM enforcement on (as the lab tests turn it on to prove the checker
    policy is enough), ECS requests are checked too, though moto does not serve them."""

    def client(self, key_id, secret):
        """An ECS client with these keys that reads nothing from the environment or ~/.aws."""
        import botocore.session
        from botocore.config import Config
        from botocore.configprovider import BOTOCORE_DEFAUT_SESSION_VARIABLES as DEFAULTS

        variables = {name: (config, None, default, convert)
                     for name, (config, _env, default, convert) in DEFAULTS.items()}
        for name in ("config_file", "credentials_file"):
            variables[name] = (None, None, os.devnull, None)
        session = botocore.session.Session(session_vars=variables)
        return session.create_client("ecs", region_name="us-east-1", endpoint_url=self.sb.endpoint,
                                     aws_access_key_id=key_id, aws_secret_access_key=secret,
                                     config=Config(retries={"total_max_attempts": 1}))

    def test_ecs_requests_need_the_callers_permission(self):
        import botocore.exceptions

        sb = self.sb
        sb.cluster()
        sb.api("iam", "create_user", UserName="reader")
        policy = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ecs:DescribeClusters", "Resource": "*"}]})
        sb.api("iam", "put_user_policy", UserName="reader", PolicyName="p", PolicyDocument=policy)
        key = sb.api("iam", "create_access_key", UserName="reader")["AccessKey"]
        import urllib.request

        def reset_auth(value: str) -> None:
            req = urllib.request.Request(sb.endpoint + "/moto-api/reset-auth", data=value.encode(), method="POST",
                                         headers={"Content-Type": "text/plain"})
            with urllib.request.urlopen(req, timeout=30) as resp:
                self.assertEqual(resp.status, 200)

        reset_auth("0")
        try:
            ecs = self.client(key["AccessKeyId"], key["SecretAccessKey"])
            self.assertEqual(ecs.describe_clusters(clusters=["lab"])["clusters"][0]["clusterName"], "lab")
            with self.assertRaises(botocore.exceptions.ClientError) as denied:
                ecs.list_services(cluster="lab")
            err = denied.exception.response["Error"]
            self.assertEqual(err["Code"], "AccessDeniedException")
            self.assertIn("is not authorized to perform: ecs:ListServices", err["Message"])
            with self.assertRaises(botocore.exceptions.ClientError) as unknown:
                self.client("AKIAUNKNOWNKEY000000", "x").describe_clusters(clusters=["lab"])
            self.assertEqual(unknown.exception.response["Error"]["Code"], "UnrecognizedClientException")
        finally:
            reset_auth("inf")
        self.assertEqual(sb.aws("ecs", "list-services", "--cluster", "lab")["serviceArns"], [])
