"""4. Crash loops, the deployment circuit breaker and rollback, through the real CLI.
(In-process: the threshold rule, resetOnHealthyTask, thresholdConfiguration and no
rollback of a rollback are in unit/test_sim_breaker.py and unit/test_provider_breaker.py.)"""

from harness import REGISTRY, SandboxTest, setUpModule, tearDownModule  # noqa: F401

STEADY = "(service web) has reached a steady state."


class CircuitBreaker(SandboxTest):
    def setUp(self):
        super().setUp()
        sb = self.sb
        sb.exec_role()
        sb.cluster()
        sb.push("web", "v1", "healthy")
        sb.push("web", "v2", "crash")
        self.td1 = sb.task_definition("web", f"{REGISTRY}/web:v1")
        self.td2 = sb.task_definition("web", f"{REGISTRY}/web:v2")

    def test_crash_loop_without_breaker_goes_on(self):
        sb = self.sb
        sb.service("web", self.td2, 1)
        sb.advance(1100)  # a crash every 25 to 51 s: RUNNING within 48 s, the app exits 3 s later
        d = self.describe("web")
        dep = d["deployments"][0]
        self.assertEqual(dep["rolloutState"], "IN_PROGRESS")
        self.assertGreaterEqual(dep["failedTasks"], 20)
        events = [e["message"] for e in d["events"]]
        self.assertNotIn(STEADY, events)
        self.assertFalse(any("deployment failed" in e for e in events))
        self.assertGreaterEqual(sum(e.startswith("(service web) has started 1 tasks") for e in events), 20)
        stopped = sb.aws("ecs", "list-tasks", "--cluster", "lab", "--service-name", "web",
                         "--desired-status", "STOPPED")["taskArns"]
        self.assertGreaterEqual(len(stopped), 20)
        tasks = sb.describe_tasks(stopped[:10])
        self.assertEqual({t["stoppedReason"] for t in tasks}, {"Essential container in task exited"})
        self.assertEqual({t["containers"][0]["exitCode"] for t in tasks}, {1})
        # and it still goes on: the service keeps starting replacements
        sb.advance(60)
        later = sb.task_arns(service="web", desired="STOPPED")
        self.assertGreater(len(later), len(stopped))

    def test_breaker_with_rollback_returns_to_previous_revision(self):
        sb = self.sb
        sb.service("web", self.td1, 2, extra=[
            "--deployment-configuration", "deploymentCircuitBreaker={enable=true,rollback=true}"])
        sb.advance(90)  # RUNNING within 48 s, healthy 40 s later
        good = self.describe("web")["deployments"][0]
        self.assertEqual(good["rolloutState"], "COMPLETED")
        d = sb.aws("ecs", "update-service", "--cluster", "lab", "--service", "web", "--task-definition", self.td2)["service"]
        self.assertEqual(d["deploymentConfiguration"]["deploymentCircuitBreaker"], {"enable": True, "rollback": True})
        bad = d["deployments"][0]
        sb.advance(120)
        d = self.describe("web")
        events = [e["message"] for e in d["events"]]
        self.assertIn(f"(service web) (deployment {bad['id']}) deployment failed: tasks failed to start.", events)
        self.assertIn(f"(service web) rolling back to deployment {good['id']}.", events)
        self.assertLess(events.index(f"(service web) rolling back to deployment {good['id']}."),
                        events.index(f"(service web) (deployment {bad['id']}) deployment failed: tasks failed to start."))
        sb.advance(120)
        d = self.describe("web")
        self.assertEqual(d["taskDefinition"], self.td1)
        self.assertEqual(len(d["deployments"]), 1)
        primary = d["deployments"][0]
        self.assertEqual((primary["taskDefinition"], primary["rolloutState"]), (self.td1, "COMPLETED"))
        self.assertNotIn(primary["id"], (good["id"], bad["id"]))
        self.assertEqual(d["events"][0]["message"], STEADY)
        self.assertEqual(d["runningCount"], 2)
        self.assertEqual({t["taskDefinitionArn"] for t in sb.tasks(service="web")}, {self.td1})
        # the failed deployment's tasks stopped with their reason: those that ran crashed, and one
        # still starting when the breaker tripped was stopped by the rollback
        failed = [t for t in sb.tasks(service="web", desired="STOPPED") if t["taskDefinitionArn"] == self.td2]
        crashed = [t for t in failed if t["stoppedReason"] == "Essential container in task exited"]
        self.assertGreaterEqual(len(crashed), 3)
        self.assertEqual({t["containers"][0]["exitCode"] for t in crashed}, {1})
        self.assertLessEqual({t["stoppedReason"] for t in failed if t not in crashed},
                             {f"Scaling activity initiated by (deployment {primary['id']})"})

    def _completed_then_crashing_tag(self, desired: int, container: dict | None = None) -> tuple:
        """web:v1 deployed and COMPLETED, then web:v1 pushed again as a crashing image."""
        sb = self.sb
        good_digest = sb.push("web", "v1", "healthy")["imageDigest"]
        td = sb.task_definition("web", f"{REGISTRY}/web:v1", container=container)
        sb.service("web", td, desired, deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True,
                                                                                           "rollback": True}})
        sb.advance(90)
        self.assertEqual(self.describe("web")["deployments"][0]["rolloutState"], "COMPLETED")
        tasks = {t["taskArn"] for t in sb.tasks(service="web")}
        self.assertNotEqual(sb.push("web", "v1", "crash")["imageDigest"], good_digest)
        return td, good_digest, tasks

    def test_rollback_keeps_the_pinned_digest_and_the_running_tasks(self):
        sb = self.sb
        td, good_digest, before = self._completed_then_crashing_tag(2)
        sb.aws("ecs", "update-service", "--cluster", "lab", "--service", "web", "--force-new-deployment")
        sb.advance(240)
        d = self.describe("web")
        events = [e["message"] for e in d["events"]]
        self.assertEqual(sum("deployment failed" in e for e in events), 1)
        self.assertEqual(sum("rolling back to deployment" in e for e in events), 1)
        self.assertEqual(events[0], STEADY)
        self.assertEqual([(x["status"], x["rolloutState"], x["taskDefinition"]) for x in d["deployments"]],
                         [("PRIMARY", "COMPLETED", td)])
        tasks = sb.tasks(service="web")
        self.assertEqual({t["taskArn"] for t in tasks}, before)  # kept, not replaced
        self.assertEqual({t["containers"][0]["imageDigest"] for t in tasks}, {good_digest})
        self.assertEqual(d["runningCount"], 2)

    def test_breaker_midway_shows_failed_deployment_and_rollback_reason(self):
        sb = self.sb
        sb.service("web", self.td1, 1, deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True,
                                                                                           "rollback": True}})
        sb.advance(90)
        good = self.describe("web")["deployments"][0]["id"]
        sb.aws("ecs", "update-service", "--cluster", "lab", "--service", "web", "--task-definition", self.td2)
        for _ in range(60):  # 3 crashes in a row, each 25 to 51 s after its launch
            sb.advance(5)
            d = self.describe("web")
            if len(d["deployments"]) == 3:
                break
        self.assertEqual([(x["status"], x["rolloutState"]) for x in d["deployments"]],
                         [("PRIMARY", "IN_PROGRESS"), ("ACTIVE", "FAILED"), ("ACTIVE", "COMPLETED")])
        failed = d["deployments"][1]
        self.assertEqual(failed["failedTasks"], 3)  # desired 1: the minimum threshold, 3
        self.assertEqual(failed["rolloutStateReason"], "ECS deployment circuit breaker: tasks failed to start.")
        self.assertEqual(d["deployments"][0]["rolloutStateReason"],
                         f"ECS deployment circuit breaker: rolling back to deploymentId {good}.")

    def test_breaker_without_rollback_stops_the_deployment(self):
        sb = self.sb
        sb.service("web", self.td1, 2, deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True,
                                                                                           "rollback": False}})
        sb.advance(90)
        sb.aws("ecs", "update-service", "--cluster", "lab", "--service", "web", "--task-definition", self.td2)
        sb.advance(120)
        d = self.describe("web")
        primary = d["deployments"][0]
        self.assertEqual((primary["taskDefinition"], primary["rolloutState"]), (self.td2, "FAILED"))
        self.assertEqual(d["taskDefinition"], self.td2)
        events = [e["message"] for e in d["events"]]
        self.assertIn(f"(service web) (deployment {primary['id']}) deployment failed: tasks failed to start.", events)
        self.assertFalse(any("rolling back" in e for e in events))
        # a FAILED deployment launches no new tasks; the old ones keep serving
        before = len(sb.task_arns(desired="STOPPED"))
        sb.advance(300)
        after = len(sb.task_arns(desired="STOPPED"))
        self.assertEqual(before, after)
        self.assertEqual({t["taskDefinitionArn"] for t in sb.tasks(service="web")}, {self.td1})
        self.assertEqual(self.describe("web")["runningCount"], 2)

    def test_pull_errors_trip_the_breaker_and_are_throttled_without_it(self):
        sb = self.sb
        td = sb.task_definition("missing", f"{REGISTRY}/web:v404")
        sb.service("web", td, 1, deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True,
                                                                                      "rollback": False}})
        sb.advance(150)  # 3 failed pulls in a row, each within 48 s of its launch
        d = self.describe("web")
        self.assertEqual(d["deployments"][0]["rolloutState"], "FAILED")
        self.assertEqual(d["deployments"][0]["failedTasks"], 3)
        # without a breaker ECS keeps retrying, more and more slowly
        sb.service("web2", td, 1)
        sb.advance(900)
        events = self.events("web2", cli=True)  # what lab cannot-pull reads
        self.assertIn("(service web2) is unable to consistently start tasks successfully. "
                      "For more information, see the Troubleshooting section.", events)
        started = sum(e.startswith("(service web2) has started 1 tasks") for e in events)
        self.assertLess(started, 15)


if __name__ == "__main__":
    import unittest

    unittest.main()
