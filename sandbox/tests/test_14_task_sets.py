"""14. Task sets of a service with the EXTERNAL deployment controller through the real
`aws` CLI: create-task-set, describe-task-sets and update-service-primary-task-set as a
third-party deployment controller runs them (blue, then green beside it, green made
primary, blue deleted), each task set's tasks in its own target group, and what ECS
refuses. Counts, stability and replacement are proven in-process (unit/test_task_sets.py)."""

import json

from harness import REGISTRY, SandboxTest, setUpModule, tearDownModule  # noqa: F401


class TaskSets(SandboxTest):
    def setUp(self):
        super().setUp()
        sb = self.sb
        sb.exec_role()
        sb.cluster()
        sb.push("web", "v1")
        sb.push("web", "v2")
        self.td1 = sb.task_definition("web", f"{REGISTRY}/web:v1")
        self.td2 = sb.task_definition("web", f"{REGISTRY}/web:v2")
        self.blue_tg = sb.load_balancer("blue")
        self.green_tg = sb.load_balancer("green")
        sb.api("ecs", "create_service", cluster="lab", serviceName="web", desiredCount=2,
               deploymentController={"type": "EXTERNAL"})

    def create_cli(self, td: str, tg: str, scale: int) -> dict:
        return self.sb.aws("ecs", "create-task-set", "--cluster", "lab", "--service", "web", "--task-definition", td,
                           "--launch-type", "FARGATE", "--network-configuration", self.sb.netconf(),
                           "--load-balancers", json.dumps([{"targetGroupArn": tg, "containerName": "app",
                                                            "containerPort": 80}]),
                           "--scale", f"value={scale},unit=PERCENT", "--external-id", "deploy-1")["taskSet"]

    def task_sets(self) -> dict:
        out = self.sb.api("ecs", "describe_task_sets", cluster="lab", service="web")["taskSets"]
        return {ts["id"]: ts for ts in out}

    def steady(self, *ids: str) -> bool:
        sets = self.task_sets()
        return all(sets[i]["stabilityStatus"] == "STEADY_STATE" for i in ids)

    def healthy_targets(self, tg: str) -> int:
        return sum(1 for t in self.sb.target_health(tg) if t["TargetHealth"]["State"] == "healthy")

    def test_a_third_party_controller_moves_a_service_from_blue_to_green(self):
        sb = self.sb
        blue = self.create_cli(self.td1, self.blue_tg, 100)
        self.assertEqual((blue["status"], blue["computedDesiredCount"], blue["stabilityStatus"]),
                         ("ACTIVE", 2, "STABILIZING"))
        self.assertTrue(blue["taskSetArn"].endswith(f":task-set/lab/web/{blue['id']}"))
        self.assertEqual(blue["scale"], {"value": 100.0, "unit": "PERCENT"})
        self.assertEqual(blue["externalId"], "deploy-1")
        primary = sb.aws("ecs", "update-service-primary-task-set", "--cluster", "lab", "--service", "web",
                         "--primary-task-set", blue["taskSetArn"])["taskSet"]
        self.assertEqual(primary["status"], "PRIMARY")
        svc = sb.describe_service("web")
        self.assertEqual((svc["taskDefinition"], svc["deployments"]), (self.td1, []))
        sb.until(lambda: self.steady(blue["id"]), 300, step=5)
        self.assertEqual(self.healthy_targets(self.blue_tg), 2)

        green = sb.api("ecs", "create_task_set", cluster="lab", service="web", taskDefinition=self.td2,
                       launchType="FARGATE", networkConfiguration=sb.network_configuration(),
                       loadBalancers=[{"targetGroupArn": self.green_tg, "containerName": "app", "containerPort": 80}],
                       scale={"value": 50, "unit": "PERCENT"})["taskSet"]
        sb.until(lambda: self.steady(blue["id"], green["id"]), 300, step=5)
        out = sb.aws("ecs", "describe-task-sets", "--cluster", "lab", "--service", "web",
                     "--task-sets", blue["id"], green["taskSetArn"], "ecs-svc/1")
        self.assertEqual([(t["status"], t["computedDesiredCount"], t["runningCount"]) for t in out["taskSets"]],
                         [("PRIMARY", 2, 2), ("ACTIVE", 1, 1)])
        self.assertEqual(out["failures"][0]["reason"], "MISSING")
        self.assertEqual(self.healthy_targets(self.green_tg), 1)
        started_by = {t["startedBy"] for t in sb.tasks(service="web")}
        self.assertEqual(started_by, {blue["id"], green["id"]})

        err = sb.aws_error("ecs", "delete-task-set", "--cluster", "lab", "--service", "web",
                           "--task-set", blue["id"])
        self.assertIn("(InvalidParameterException) when calling the DeleteTaskSet operation", err)
        sb.aws("ecs", "update-service-primary-task-set", "--cluster", "lab", "--service", "web",
               "--primary-task-set", green["id"])
        sb.api("ecs", "update_task_set", cluster="lab", service="web", taskSet=green["id"],
               scale={"value": 100, "unit": "PERCENT"})
        sb.api("ecs", "delete_task_set", cluster="lab", service="web", taskSet=blue["id"], force=True)
        sb.until(lambda: list(self.task_sets()) == [green["id"]] and self.steady(green["id"]), 600, step=5)
        svc = sb.describe_service("web")
        self.assertEqual((svc["taskDefinition"], svc["runningCount"]), (self.td2, 2))
        self.assertEqual(self.healthy_targets(self.green_tg), 2)
        self.assertEqual(self.healthy_targets(self.blue_tg), 0)

    def test_what_ecs_refuses(self):
        sb = self.sb
        err = sb.aws_error("ecs", "create-service", "--cluster", "lab", "--service-name", "api",
                           "--task-definition", self.td1, "--deployment-controller", "type=EXTERNAL")
        self.assertIn("(InvalidParameterException) when calling the CreateService operation: TaskDefinition must "
                      "be blank.", err)
        sb.service("rolling", self.td1, 0)
        err = sb.aws_error("ecs", "create-task-set", "--cluster", "lab", "--service", "rolling",
                           "--task-definition", self.td1)
        self.assertIn("Amazon ECS only supports task set management on services configured to use external "
                      "deployment controllers.", err)
        err = sb.aws_error("ecs", "update-task-set", "--cluster", "lab", "--service", "web", "--task-set",
                           "ecs-svc/1", "--scale", "value=50,unit=PERCENT")
        self.assertIn("(TaskSetNotFoundException) when calling the UpdateTaskSet operation", err)
