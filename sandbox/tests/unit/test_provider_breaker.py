"""The circuit breaker's settings through ecsdrill's ECS API, in-process: CreateService
and UpdateService as the ECS JSON protocol has them (Provider.handle), over the
simulation and a fake world, read back with DescribeServices. These sequences were
end-to-end tests (test_4_circuit_breaker) that no lab depends on; the end-to-end
suite keeps the breaker's crash loop, rollback and throttling through the real CLI."""

from __future__ import annotations

import unittest

from fakes import ACCOUNT, EXEC_ROLE, REGION, Kit
from ecsdrill_sandbox.ecs.provider import Provider


class BreakerApi(unittest.TestCase):
    def setUp(self):
        self.k = Kit()
        self.p = Provider(self.k.store, self.k.sim, self.k.world)

    def api(self, op: str, **params) -> dict:
        return self.p.handle(ACCOUNT, REGION, op, params)

    def register(self, tag: str, container: dict | None = None) -> str:
        cd = {"name": "app", "image": self.k.uri("web", tag), "essential": True,
              "portMappings": [{"containerPort": 80, "protocol": "tcp"}], **(container or {})}
        return self.api("RegisterTaskDefinition", family="web", requiresCompatibilities=["FARGATE"],
                        networkMode="awsvpc", cpu="256", memory="512", executionRoleArn=EXEC_ROLE,
                        containerDefinitions=[cd])["taskDefinition"]["taskDefinitionArn"]

    def service(self, td: str, desired: int, breaker: dict) -> dict:
        return self.api("CreateService", cluster="default", serviceName="web", taskDefinition=td,
                        desiredCount=desired, launchType="FARGATE",
                        networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-a", "subnet-b"],
                                                                      "assignPublicIp": "ENABLED"}},
                        deploymentConfiguration={"deploymentCircuitBreaker": breaker})["service"]

    def describe(self) -> dict:
        return self.api("DescribeServices", cluster="default", services=["web"])["services"][0]

    def events(self) -> list[str]:
        return [e["message"] for e in self.describe()["events"]]

    def stopped(self) -> int:
        return len(self.api("ListTasks", cluster="default", desiredStatus="STOPPED")["taskArns"])

    def running(self) -> set[str]:
        return set(self.api("ListTasks", cluster="default", serviceName="web")["taskArns"])

    # ------------------------------------------------------------ resetOnHealthyTask
    def failures_healthy_failures(self, breaker: dict) -> dict:
        """2 tasks fail, 2 become healthy, 2 more fail (the tag is resolved at each
        launch, so pushing it again picks the next tasks' image)."""
        k = self.k
        k.push("web", "v3", "crash")
        td = self.register("v3", {"versionConsistency": "disabled"})
        self.service(td, 2, breaker)
        first = set(k.region.tasks["default"])
        k.until(lambda: all(k.region.tasks["default"][a].desired_status == "STOPPED" for a in first), 120)
        d = self.describe()  # both crashed once; their replacements have not pulled yet
        self.assertEqual((d["deployments"][0]["failedTasks"], d["pendingCount"]), (2, 2))
        k.push("web", "v3", "healthy")
        k.until(lambda: self.describe()["runningCount"] == 2, 120)
        d = self.describe()  # replacements RUNNING, not yet healthy (40 s)
        self.assertEqual((d["runningCount"], d["deployments"][0]["failedTasks"]), (2, 2))
        running = min(k.at(t.started_at) for t in k.tasks() if t.last_status == "RUNNING")
        k.advance(running + 35 - k.elapsed())
        k.push("web", "v3", "crash")
        self.api("UpdateService", cluster="default", service="web", desiredCount=4)
        # a replacement is healthy 5 s later; the two new tasks crash 25 s or more after their launch
        new = set(k.region.tasks["default"]) - first - {t.task_arn for t in k.tasks() if t.last_status == "RUNNING"}
        self.assertEqual(len(new), 2)
        k.until(lambda: all(k.region.tasks["default"][a].desired_status == "STOPPED" for a in new), 120)
        return self.describe()["deployments"][0]

    def test_healthy_task_resets_the_failure_count(self):
        dep = self.failures_healthy_failures({"enable": True, "rollback": False})
        self.assertEqual((dep["rolloutState"], dep["failedTasks"], dep["runningCount"]), ("IN_PROGRESS", 2, 2))
        replacements = {t.task_arn for t in self.k.tasks() if t.last_status in ("PROVISIONING", "PENDING")}
        self.assertEqual(len(replacements), 2)
        # two more in a row: threshold 3 for 4 tasks
        self.k.until(lambda: all(self.k.region.tasks["default"][a].desired_status == "STOPPED"
                                 for a in replacements), 120)
        dep = self.describe()["deployments"][0]
        self.assertEqual((dep["rolloutState"], dep["failedTasks"]), ("FAILED", 4))

    def test_reset_on_healthy_task_false_keeps_counting(self):
        dep = self.failures_healthy_failures({"enable": True, "rollback": False, "resetOnHealthyTask": False})
        self.assertEqual((dep["rolloutState"], dep["failedTasks"]), ("FAILED", 4))
        self.assertIs(self.describe()["deploymentConfiguration"]["deploymentCircuitBreaker"]["resetOnHealthyTask"],
                      False)

    # ------------------------------------------------------------ thresholdConfiguration
    def test_threshold_configuration_count(self):
        self.k.push("web", "v2", "crash")
        self.service(self.register("v2"), 1, {"enable": True, "rollback": False,
                                              "thresholdConfiguration": {"type": "COUNT", "value": 5}})
        failed = lambda: self.describe()["deployments"][0]["failedTasks"]
        self.k.until(lambda: failed() == 4, 300)
        dep = self.describe()["deployments"][0]
        self.assertEqual((dep["rolloutState"], dep["failedTasks"]), ("IN_PROGRESS", 4))
        self.k.until(lambda: failed() == 5, 120)
        dep = self.describe()["deployments"][0]
        self.assertEqual((dep["rolloutState"], dep["failedTasks"]), ("FAILED", 5))

    # ------------------------------------------------------------ no rollback of a rollback
    def test_failed_rollback_is_not_rolled_back_again(self):
        # web:v1 deployed and COMPLETED, then web:v1 pushed again as a crashing image; the tag
        # resolved at each launch: the rollback's extra tasks get the crashing image
        k = self.k
        good = k.push("web", "v1", "healthy")
        self.service(self.register("v1", {"versionConsistency": "disabled"}), 2, {"enable": True, "rollback": True})
        k.advance(100)  # RUNNING within 48 s, healthy 40 s later
        self.assertEqual(self.describe()["deployments"][0]["rolloutState"], "COMPLETED")
        before = self.running()
        self.assertNotEqual(k.push("web", "v1", "crash"), good)
        self.api("UpdateService", cluster="default", service="web", desiredCount=4, forceNewDeployment=True)
        k.advance(600)
        d = self.describe()
        events = [e["message"] for e in d["events"]]
        self.assertEqual(sum("deployment failed" in e for e in events), 2)
        self.assertEqual(sum("rolling back to deployment" in e for e in events), 1)
        self.assertEqual([(x["status"], x["rolloutState"]) for x in d["deployments"]][:2],
                         [("PRIMARY", "FAILED"), ("ACTIVE", "FAILED")])
        self.assertEqual(d["deployments"][0]["rolloutStateReason"], "ECS deployment circuit breaker: tasks failed to start.")
        # stalled: the healthy tasks keep serving, nothing new starts
        self.assertEqual(self.running(), before)
        stopped = self.stopped()
        k.advance(300)
        self.assertEqual(self.stopped(), stopped)


if __name__ == "__main__":
    unittest.main()
