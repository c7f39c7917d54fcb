"""1. Services hold their desired count. 2. Rolling deployments."""

import math

from harness import REGISTRY, SandboxTest, setUpModule, tearDownModule  # noqa: F401


class ServiceHoldsDesiredCount(SandboxTest):
    def test_tasks_start_run_and_are_replaced(self):
        sb = self.sb
        sb.push("web", "v1", "healthy")
        sb.exec_role()
        sb.cluster()
        td = sb.task_definition("web", f"{REGISTRY}/web:v1")
        svc = sb.service("web", td, 2)
        self.assertEqual(svc["deploymentConfiguration"], {
            "deploymentCircuitBreaker": {"enable": False, "rollback": False},
            "maximumPercent": 200, "minimumHealthyPercent": 100})
        self.assertEqual((svc["runningCount"], svc["pendingCount"]), (0, 2))

        tasks = sb.tasks(service="web")
        self.assertEqual(len(tasks), 2)
        self.assertEqual({t["lastStatus"] for t in tasks}, {"PROVISIONING"})
        ids = sorted(t["taskArn"].split("/")[-1] for t in tasks)
        self.assertTrue(all(len(i) == 32 for i in ids), ids)
        started = self.events("web")[0]
        self.assertTrue(started.startswith("(service web) has started 2 tasks: (task "), started)
        self.assertEqual(sorted(started[started.index(":") + 2:-1].replace("(task ", "").replace(")", "").split()), ids)

        sb.advance(20)  # ENI attached within 20 s, the image pulled 12 s or more later
        self.assertEqual({t["lastStatus"] for t in sb.tasks(service="web")}, {"PENDING"})
        sb.advance(28)  # RUNNING within 48 s without a load balancer
        tasks = sb.tasks(service="web")
        self.assertEqual({t["lastStatus"] for t in tasks}, {"RUNNING"})
        digest = sb.api("ecr", "describe_images", repositoryName="web")["imageDetails"][0]["imageDigest"]
        for t in tasks:
            self.assertEqual(t["containers"][0]["imageDigest"], digest)
            self.assertEqual(t["launchType"], "FARGATE")
            self.assertEqual(t["platformVersion"], "1.4.0")
            ip = [d["value"] for d in t["attachments"][0]["details"] if d["name"] == "privateIPv4Address"][0]
            self.assertTrue(ip.startswith("172.31."), ip)
        d = self.describe("web")
        self.assertEqual((d["runningCount"], d["pendingCount"], d["desiredCount"]), (2, 0, 2))
        self.assertNotIn("(service web) has reached a steady state.", self.events("web"))

        sb.advance(45)
        d = self.describe("web", cli=True)  # as a learner reads it
        events = [e["message"] for e in d["events"]]
        self.assertEqual(events[0], "(service web) has reached a steady state.")
        dep = d["deployments"][0]
        self.assertEqual(events[1], f"(service web) (deployment {dep['id']}) deployment completed.")
        self.assertEqual((dep["status"], dep["rolloutState"]), ("PRIMARY", "COMPLETED"))
        self.assertEqual(dep["rolloutStateReason"], f"ECS deployment {dep['id']} completed.")
        created = [e["createdAt"] for e in d["events"]]
        self.assertEqual(created, sorted(created, reverse=True), "events must be newest first")

        # a task that stops is replaced
        victim = sb.tasks(service="web")[0]["taskArn"]
        stopped = sb.aws("ecs", "stop-task", "--cluster", "lab", "--task", victim, "--reason", "lab: stop one")["task"]
        self.assertEqual(stopped["desiredStatus"], "STOPPED")
        sb.advance(10)
        t = sb.aws("ecs", "describe-tasks", "--cluster", "lab", "--tasks", victim)["tasks"][0]
        self.assertEqual((t["lastStatus"], t["stoppedReason"], t["stopCode"]), ("STOPPED", "lab: stop one", "UserInitiated"))
        self.assertIn(victim, sb.aws("ecs", "list-tasks", "--cluster", "lab", "--desired-status", "STOPPED")["taskArns"])
        self.assertNotIn(victim, sb.task_arns())
        events = self.events("web")
        self.assertTrue(any(e.startswith("(service web) has started 1 tasks: (task ") for e in events[:3]), events[:3])
        sb.advance(80)  # the replacement RUNNING within 48 s, healthy 40 s later
        d = self.describe("web")
        self.assertEqual((d["runningCount"], d["pendingCount"]), (2, 0))
        self.assertEqual(d["events"][0]["message"], "(service web) has reached a steady state.")

        # scaling in stops running tasks with the scheduler's reason
        sb.aws("ecs", "update-service", "--cluster", "lab", "--service", "web", "--desired-count", "1")
        events = self.events("web")
        self.assertTrue(events[0].startswith("(service web) has stopped 1 running tasks: (task "), events[0])
        sb.advance(10)
        dep_id = self.describe("web")["deployments"][0]["id"]
        stopped = [t for t in sb.tasks(service="web", desired="STOPPED") if t["stopCode"] == "ServiceSchedulerInitiated"]
        self.assertEqual(len(stopped), 1)
        self.assertEqual(stopped[0]["stoppedReason"], f"Scaling activity initiated by (deployment {dep_id})")
        self.assertEqual(self.describe("web")["runningCount"], 1)

    def test_cluster_counts_and_missing_tasks(self):
        sb = self.sb
        sb.push("web", "v1")
        sb.exec_role()
        sb.cluster()
        td = sb.task_definition("web", f"{REGISTRY}/web:v1")
        sb.service("web", td, 3)
        sb.advance(48)
        c = sb.aws("ecs", "describe-clusters", "--clusters", "lab")["clusters"][0]
        self.assertEqual((c["runningTasksCount"], c["activeServicesCount"]), (3, 1))
        missing = "arn:aws:ecs:us-east-1:123456789012:task/lab/0123456789abcdef0123456789abcdef"
        out = sb.aws("ecs", "describe-tasks", "--cluster", "lab", "--tasks", missing)
        self.assertEqual(out["failures"], [{"arn": missing, "reason": "MISSING"}])
        err = sb.aws_error("ecs", "delete-cluster", "--cluster", "lab")
        self.assertIn("ClusterContainsServicesException", err)
        sb.aws("ecs", "delete-service", "--cluster", "lab", "--service", "web", "--force")
        self.assertEqual(self.describe("web")["status"], "DRAINING")
        sb.advance(15)
        self.assertEqual(self.describe("web")["status"], "INACTIVE")
        self.assertEqual(sb.task_arns(), [])


class RollingDeployment(SandboxTest):
    def test_rolling_update_respects_minimum_and_maximum(self):
        sb = self.sb
        sb.push("web", "v1")
        sb.push("web", "v2")
        sb.exec_role()
        sb.cluster()
        td1 = sb.task_definition("web", f"{REGISTRY}/web:v1")
        td2 = sb.task_definition("web", f"{REGISTRY}/web:v2")
        desired, min_pct, max_pct = 3, 50, 150
        sb.service("web", td1, desired, extra=[
            "--deployment-configuration", f"minimumHealthyPercent={min_pct},maximumPercent={max_pct}"])
        sb.advance(90)  # RUNNING within 48 s, healthy 40 s later
        d = self.describe("web")
        self.assertEqual(d["deploymentConfiguration"]["minimumHealthyPercent"], 50)
        self.assertEqual(d["deploymentConfiguration"]["maximumPercent"], 150)
        old_dep = d["deployments"][0]["id"]

        d = sb.aws("ecs", "update-service", "--cluster", "lab", "--service", "web", "--task-definition", "web:2")["service"]
        self.assertEqual(d["taskDefinition"], td2)
        self.assertEqual([(x["status"], x["taskDefinition"]) for x in d["deployments"]],
                         [("PRIMARY", td2), ("ACTIVE", td1)])
        self.assertEqual(d["deployments"][1]["id"], old_dep)
        self.assertEqual(d["deployments"][0]["rolloutState"], "IN_PROGRESS")

        most = math.floor(desired * max_pct / 100)  # 4: maximum rounds down
        least = math.ceil(desired * min_pct / 100)  # 2: minimum rounds up
        seen_two_deployments = False
        for _ in range(120):
            d = self.describe("web")
            self.assertLessEqual(d["runningCount"] + d["pendingCount"], most, d["deployments"])
            self.assertGreaterEqual(d["runningCount"], least, d["deployments"])
            if len(d["deployments"]) == 2:
                seen_two_deployments = True
            if d["deployments"][0]["rolloutState"] == "COMPLETED":
                break
            sb.advance(5)
        self.assertTrue(seen_two_deployments)
        self.assertEqual(len(d["deployments"]), 1)
        new_dep = d["deployments"][0]
        self.assertEqual((new_dep["status"], new_dep["rolloutState"], new_dep["taskDefinition"]),
                         ("PRIMARY", "COMPLETED", td2))
        stopped = sb.tasks(service="web", desired="STOPPED")
        self.assertEqual(len(stopped), 3)
        self.assertEqual({t["stoppedReason"] for t in stopped}, {f"Scaling activity initiated by (deployment {new_dep['id']})"})
        self.assertEqual({t["taskDefinitionArn"] for t in stopped}, {td1})
        self.assertEqual({t["taskDefinitionArn"] for t in sb.tasks(service="web")}, {td2})

        # forceNewDeployment: a new deployment of the same revision
        d = sb.aws("ecs", "update-service", "--cluster", "lab", "--service", "web", "--force-new-deployment")["service"]
        self.assertEqual([(x["status"], x["taskDefinition"], x["rolloutState"]) for x in d["deployments"]],
                         [("PRIMARY", td2, "IN_PROGRESS"), ("ACTIVE", td2, "COMPLETED")])
        # two batches of start (up to 48 s), healthy (40 s) and stop: within 5 minutes
        sb.until(lambda: self.describe("web")["deployments"][0]["rolloutState"] == "COMPLETED", 300, 5)
        d = self.describe("web")
        self.assertEqual([(x["status"], x["rolloutState"]) for x in d["deployments"]], [("PRIMARY", "COMPLETED")])
        self.assertEqual(d["runningCount"], 3)


if __name__ == "__main__":
    import unittest

    unittest.main()
