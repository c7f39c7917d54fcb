"""5. Target group registration by IP, health and draining (with 3: no-health, slow-start)."""

from harness import REGISTRY, RUNNING_BY, SandboxTest, setUpModule, tearDownModule  # noqa: F401


def lb_args(tg: str, extra=()):
    return ["--load-balancers", f"targetGroupArn={tg},containerName=app,containerPort=80", *extra]


def lb_params(tg: str) -> list[dict]:
    return [{"targetGroupArn": tg, "containerName": "app", "containerPort": 80}]


class LoadBalancing(SandboxTest):
    def setUp(self):
        super().setUp()
        self.sb.exec_role()
        self.sb.cluster()

    def task_ips(self, service="web"):
        ips = {}
        for t in self.sb.tasks(service=service):
            ip = [d["value"] for d in t["attachments"][0]["details"] if d["name"] == "privateIPv4Address"][0]
            ips[ip] = t
        return ips

    def test_register_health_and_drain(self):
        sb = self.sb
        sb.push("web", "v1")
        tg = sb.load_balancer(health_path="/health", interval=10, healthy=3, unhealthy=2, dereg_delay=30)
        td = sb.task_definition("web", f"{REGISTRY}/web:v1")
        sb.service("web", td, 2, extra=lb_args(tg))
        self.assertEqual(sb.target_health(tg), [])
        # a task's target registers as its containers start, while the task is ACTIVATING
        sb.until(lambda: sb.target_health(tg), RUNNING_BY)
        health = sb.target_health(tg)
        activating = {ip for ip, t in self.task_ips().items() if t["lastStatus"] == "ACTIVATING"}
        first = {h["Target"]["Id"] for h in health}
        self.assertEqual(first, activating)
        self.assertEqual({h["Target"]["Port"] for h in health}, {80})
        self.assertEqual({h["TargetHealth"]["State"] for h in health}, {"initial"})
        self.assertEqual({h["TargetHealth"]["Reason"] for h in health}, {"Elb.RegistrationInProgress"})
        self.assertIn(f"(service web) registered {len(first)} targets in (target-group {tg})", self.events("web"))

        def states(ids, cli=False):
            return {h["TargetHealth"]["State"] for h in sb.target_health(tg, cli=cli) if h["Target"]["Id"] in ids}
        sb.advance(9)  # the first check comes one interval (10 s) after registering
        self.assertEqual(states(first), {"initial"})
        sb.advance(1)  # a newly registered target needs one passing check (not `healthy=3`)
        self.assertEqual(states(first, cli=True), {"healthy"})
        sb.advance(30)  # every task RUNNING and healthy
        self.assertEqual({h["TargetHealth"]["State"] for h in sb.target_health(tg)}, {"healthy"})
        self.assertEqual({t["lastStatus"] for t in self.task_ips().values()}, {"RUNNING"})
        d = self.describe("web")
        self.assertEqual(d["deployments"][0]["rolloutState"], "COMPLETED")
        self.assertEqual(d["events"][0]["message"], "(service web) has reached a steady state.")
        self.assertEqual(d["loadBalancers"], [{"targetGroupArn": tg, "containerName": "app", "containerPort": 80}])

        # scale in: the stopped task's target drains for the deregistration delay, then leaves
        sb.aws("ecs", "update-service", "--cluster", "lab", "--service", "web", "--desired-count", "1")
        events = self.events("web")
        self.assertEqual(events[0], "(service web) has begun draining connections on 1 tasks.")
        self.assertTrue(events[1].startswith("(service web) has stopped 1 running tasks"), events[:3])
        sb.advance(1)
        states = sorted(h["TargetHealth"]["State"] for h in sb.target_health(tg))
        self.assertEqual(states, ["draining", "healthy"])
        draining = [h for h in sb.target_health(tg) if h["TargetHealth"]["State"] == "draining"][0]
        self.assertEqual(draining["TargetHealth"]["Reason"], "Target.DeregistrationInProgress")
        stopping = [t for t in sb.tasks(service="web", desired="STOPPED")][0]
        self.assertEqual(stopping["lastStatus"], "DEACTIVATING")
        sb.advance(30)
        self.assertEqual([h["TargetHealth"]["State"] for h in sb.target_health(tg)], ["healthy"])
        self.assertIn(f"(service web) deregistered 1 targets in (target-group {tg})", self.events("web"))
        sb.advance(10)
        stopped = sb.tasks(service="web", desired="STOPPED")[0]
        self.assertEqual(stopped["lastStatus"], "STOPPED")

    def test_no_health_endpoint_behind_health_path(self):
        sb = self.sb
        sb.push("web", "nohealth", "no-health")
        tg = sb.load_balancer(health_path="/health", interval=10, healthy=2, unhealthy=2, dereg_delay=0)
        td = sb.task_definition("web", f"{REGISTRY}/web:nohealth")
        sb.service("web", td, 1, loadBalancers=lb_params(tg))
        sb.until(lambda: sb.target_health(tg), RUNNING_BY)
        sb.advance(19)  # one failed check so far (checks 10 s apart)
        health = sb.target_health(tg)
        self.assertEqual(health[0]["TargetHealth"]["State"], "initial")
        first = list(self.task_ips())[0]
        sb.advance(1)  # the second: unhealthy
        events = self.events("web")
        unhealthy = [e for e in events if "is unhealthy in" in e]
        self.assertEqual(len(unhealthy), 1, events)
        self.assertIn(f"(port 80) is unhealthy in (target-group {tg}) due to (reason Health checks failed with "
                      "these codes: [404]).", unhealthy[0])
        # the replacement starts first, while the unhealthy task keeps running
        started = [e for e in events if "has started 1 tasks" in e]
        self.assertEqual(len(started), 2, events)
        self.assertTrue(started[0].endswith("Amazon ECS replaced 1 tasks due to an unhealthy status."), started)
        self.assertEqual(sb.tasks(service="web", desired="STOPPED"), [])
        self.assertIn(first, self.task_ips())
        # the replacement fails too (registered within 48 s, unhealthy 20 s later); with no room for
        # another (200 % of 1) the older task goes
        sb.advance(70)
        stopped = sb.tasks(service="web", desired="STOPPED")
        self.assertGreaterEqual(len(stopped), 1)
        self.assertEqual({t["stoppedReason"] for t in stopped}, {f"Task failed ELB health checks in (target-group {tg})"})
        self.assertEqual({t["stopCode"] for t in stopped}, {"ServiceSchedulerInitiated"})
        self.assertNotIn(first, self.task_ips())
        # with the health check on "/", the same image is healthy
        sb.aws("elbv2", "modify-target-group", "--target-group-arn", tg, "--health-check-path", "/")
        sb.aws("ecs", "update-service", "--cluster", "lab", "--service", "web", "--force-new-deployment")
        sb.advance(120)
        self.assertEqual({h["TargetHealth"]["State"] for h in sb.target_health(tg)}, {"healthy"})
        self.assertEqual(self.describe("web")["deployments"][0]["rolloutState"], "COMPLETED")

    def test_slow_start_needs_a_grace_period(self):
        sb = self.sb
        sb.push("web", "slow", "slow-start", start_delay=60)
        tg = sb.load_balancer(health_path="/", interval=10, healthy=2, unhealthy=2, dereg_delay=0)
        td = sb.task_definition("web", f"{REGISTRY}/web:slow")
        sb.service("web", td, 1, loadBalancers=lb_params(tg))
        # unhealthy 20 s after it registers, then its replacement too: the older one goes
        sb.advance(140)
        stopped = sb.tasks(service="web", desired="STOPPED")
        self.assertGreaterEqual(len(stopped), 1)
        self.assertEqual(stopped[0]["stoppedReason"], f"Task failed ELB health checks in (target-group {tg})")
        health = [h for h in sb.target_health(tg)]
        sb.aws("ecs", "delete-service", "--cluster", "lab", "--service", "web", "--force")
        sb.advance(30)
        # with a grace period longer than the start-up, the task survives and becomes healthy
        sb.service("web2", td, 1, extra=lb_args(tg, ["--health-check-grace-period-seconds", "120"]))
        sb.advance(120)  # registered within 48 s, answering 60 s later, two passing checks
        self.assertEqual(sb.tasks(service="web2", desired="STOPPED"), [])
        self.assertEqual({h["TargetHealth"]["State"] for h in sb.target_health(tg)}, {"healthy"})
        self.assertEqual(self.describe("web2")["healthCheckGracePeriodSeconds"], 120)
        del health

    def test_container_health_check(self):
        sb = self.sb
        sb.push("web", "nohealth", "no-health")
        check = {"command": ["CMD-SHELL", "curl -f http://localhost/health || exit 1"], "interval": 10,
                 "retries": 2, "startPeriod": 0, "timeout": 5}
        td = sb.task_definition("web", f"{REGISTRY}/web:nohealth", container={"healthCheck": check})
        sb.service("web", td, 1)
        sb.advance(70)  # RUNNING within 48 s, two failed checks 10 s apart
        events = self.events("web")
        self.assertTrue(any(e.startswith("(service web) (task ") and e.endswith("failed container health checks.")
                            for e in events), events)
        self.assertEqual(sb.tasks(service="web", desired="STOPPED"), [])  # its replacement comes first
        sb.advance(70)  # the replacement fails too: with no room for another, the older task goes
        stopped = sb.tasks(service="web", desired="STOPPED")
        self.assertEqual(stopped[0]["stoppedReason"], "Task failed container health checks")
        self.assertEqual(stopped[0]["healthStatus"], "UNHEALTHY")
        # a healthy image passes the same check
        sb.push("web", "ok", "healthy")
        td2 = sb.task_definition("web", f"{REGISTRY}/web:ok", container={"healthCheck": check})
        sb.aws("ecs", "update-service", "--cluster", "lab", "--service", "web", "--task-definition", td2)
        sb.advance(70)
        running = sb.tasks(service="web")
        self.assertEqual([t["healthStatus"] for t in running], ["HEALTHY"])
        self.assertEqual(running[0]["containers"][0]["healthStatus"], "HEALTHY")

    def test_awsvpc_needs_ip_target_groups(self):
        sb = self.sb
        net = sb.network()
        lb = sb.api("elbv2", "create_load_balancer", Name="alb2", Subnets=net["public_subnets"])["LoadBalancers"][0]
        tg = sb.api("elbv2", "create_target_group", Name="inst", Protocol="HTTP", Port=80, VpcId=net["vpc_id"],
                    TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
        sb.push("web", "v1")
        td = sb.task_definition("web", f"{REGISTRY}/web:v1")
        err = sb.aws_error("ecs", "create-service", "--cluster", "lab", "--service-name", "web", "--task-definition", td,
                           "--desired-count", "1", "--launch-type", "FARGATE", "--network-configuration", sb.netconf(),
                           *lb_args(tg))
        self.assertIn("The target group with targetGroupArn " + tg + " does not have an associated load balancer.", err)
        sb.api("elbv2", "create_listener", LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
               DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        err = sb.aws_error("ecs", "create-service", "--cluster", "lab", "--service-name", "web", "--task-definition", td,
                           "--desired-count", "1", "--launch-type", "FARGATE", "--network-configuration", sb.netconf(),
                           *lb_args(tg))
        self.assertIn("InvalidParameterException", err)
        self.assertIn(f"The provided target group {tg} has target type instance, which is incompatible with the "
                      "awsvpc network mode specified in the task definition.", err)


if __name__ == "__main__":
    import unittest

    unittest.main()
