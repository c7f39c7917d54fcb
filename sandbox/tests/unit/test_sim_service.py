"""The service scheduler in-process: task life, steady state, rolling deployments,
load balancer health and draining, stopped-task expiry."""

from __future__ import annotations

import unittest

from fakes import ACCOUNT, REGION, Kit, M
from ecsdrill_sandbox.ecs import sim as S


class TaskLife(unittest.TestCase):
    def test_a_task_runs_after_provisioning_and_pull(self):
        k = Kit()
        k.push("web", "v1")
        td = k.task_definition()
        task = k.run_task(td)
        self.assertTrue(task.task_arn.startswith(f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/default/"))
        self.assertEqual(task.task_arn.split("/")[-1], task.id)
        self.assertEqual(len(task.id), 32)
        self.assertEqual(task.last_status, "PROVISIONING")
        self.assertIsNone(task.started_by)
        self.assertEqual(task.containers[0]["lastStatus"], "PENDING")
        k.until(lambda: task.last_status != "PROVISIONING", 60)
        self.assertEqual(task.last_status, "PENDING")
        self.assertEqual(task.attachments[0]["status"], "ATTACHED")
        lo, hi = S.PROVISIONING_S
        self.assertTrue(lo <= k.elapsed() <= hi, k.elapsed())
        self.assertEqual((task.connectivity, k.at(task.connectivity_at)), ("CONNECTED", k.elapsed()))
        self.assertEqual(task.pull_started_at, task.connectivity_at)
        self.assertIsNone(task.pull_stopped_at)
        self.assertEqual(task.containers[0]["lastStatus"], "PENDING")
        k.until(lambda: task.last_status != "PENDING", 60)
        self.assertEqual(task.last_status, "RUNNING")  # no load balancer: no ACTIVATING
        lo, hi = S.PULL_S
        self.assertTrue(lo <= k.at(task.pull_stopped_at) - k.at(task.pull_started_at) <= hi)
        self.assertEqual(task.started_at, task.pull_stopped_at)
        self.assertEqual(task.containers[0]["lastStatus"], "RUNNING")
        self.assertEqual(task.containers[0]["imageDigest"], k.world.image_digest(ACCOUNT, REGION, "web", "v1"))
        details = {d["name"]: d["value"] for d in task.attachments[0]["details"]}
        self.assertEqual(details["subnetId"], "subnet-a")
        self.assertIn(details["networkInterfaceId"], k.world.enis)
        self.assertEqual(task.availability_zone, "us-east-1a")

    def test_user_stop_goes_through_stopping_and_deprovisioning(self):
        k = Kit()
        k.push("web", "v1")
        td = k.task_definition()
        task = k.run_task(td, started_by="me", security_groups=())
        k.until(lambda: task.last_status == "RUNNING", 60)
        eni = task._eni_id
        k.sim.stop_by_user(k.region, task, None)
        self.assertEqual((task.desired_status, task.last_status), ("STOPPED", "STOPPING"))
        self.assertEqual((task.stopped_reason, task.stop_code), (M.USER_STOPPED, M.STOP_USER))
        k.advance(S.STOPPING_S)
        self.assertEqual(task.last_status, "DEPROVISIONING")
        k.advance(S.DEPROVISIONING_S)
        self.assertEqual(task.last_status, "STOPPED")
        self.assertNotIn(eni, k.world.enis)

    def test_stopped_tasks_expire_after_an_hour(self):
        k = Kit()
        k.push("web", "v1")
        td = k.task_definition()
        task = k.run_task(td, security_groups=())
        k.until(lambda: task.last_status == "RUNNING", 60)
        k.sim.stop_by_user(k.region, task, "done")
        k.until(lambda: task.last_status == "STOPPED")
        stopped = k.elapsed()
        k.advance(S.STOPPED_RETENTION_S)
        self.assertIn(task.task_arn, k.region.tasks["default"])
        self.assertLessEqual(k.elapsed() - stopped, S.STOPPED_RETENTION_S)
        k.advance(2)
        self.assertNotIn(task.task_arn, k.region.tasks["default"])

    def test_ids_come_from_the_world_so_a_seed_reproduces_them(self):
        def run(seed):
            k = Kit(seed)
            k.push("web", "v1")
            svc = k.service("web", k.task_definition(), 2)
            k.advance(60)
            return [t.task_arn for t in k.tasks(svc)], [d["id"] for d in svc.history], [e["id"] for e in svc.events]
        self.assertEqual(run(3), run(3))
        self.assertNotEqual(run(3), run(4))


class SteadyState(unittest.TestCase):
    def test_events_in_order_with_a_load_balancer(self):
        k = Kit()
        k.push("web", "v1")
        tg = k.target_group()
        svc = k.service("web", k.task_definition(), 2, tg=tg)
        k.until(lambda: k.steady(svc), 600)
        dep = svc.deployments[0]["id"]
        msgs = k.messages(svc)
        # each task registers its target once its containers start (ACTIVATING), at its own time
        tasks = k.tasks(svc)
        registered = [M.REGISTERED_TARGETS.format(svc="web", n=sum(t.pull_stopped_at == at for t in tasks), tg=tg.arn)
                      for at in sorted({t.pull_stopped_at for t in tasks})]
        self.assertEqual(len(msgs), 3 + len(registered), msgs)
        self.assertTrue(msgs[0].startswith("(service web) has started 2 tasks: (task "))
        self.assertEqual(msgs[1:-2], registered)
        self.assertEqual(msgs[-2], M.DEPLOYMENT_COMPLETED.format(svc="web", dep=dep))
        self.assertEqual(msgs[-1], M.STEADY.format(svc="web"))
        self.assertEqual(svc.deployments[0]["rolloutState"], "COMPLETED")
        self.assertEqual((svc.running_count, svc.pending_count), (2, 0))
        self.assertEqual(k.cluster.running_tasks_count, 2)
        self.assertEqual(k.cluster.active_services_count, 1)
        self.assertEqual(svc.history, svc.deployments)
        self.assertIs(svc.history[0], svc.deployments[0])
        for t in k.tasks(svc):
            self.assertEqual(k.world.health[(tg.arn, t._ip)][0], "healthy")
            self.assertEqual(k.world.targets[tg.arn][t._ip], 80)

    def test_without_health_checks_a_task_counts_as_healthy_after_40_seconds(self):
        k = Kit()
        k.push("web", "v1")
        svc = k.service("web", k.task_definition(), 1)
        [task] = k.tasks(svc)
        k.until(lambda: task.last_status == "RUNNING", 60)
        k.advance(S.NO_HEALTH_CHECK_HEALTHY_S - 1)
        self.assertEqual(svc.deployments[0]["rolloutState"], "IN_PROGRESS")
        k.advance(1)
        self.assertEqual(svc.deployments[0]["rolloutState"], "COMPLETED")
        self.assertTrue(k.steady(svc))

    def test_container_health_check(self):
        k = Kit()
        k.push("web", "v1")
        hc = {"command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], "interval": 10, "retries": 3}
        svc = k.service("web", k.task_definition(health_check=hc), 1)
        [task] = k.tasks(svc)
        k.until(lambda: task.last_status == "RUNNING", 60)
        k.advance(10)
        self.assertEqual(task.health_status, "HEALTHY")
        self.assertEqual(svc.deployments[0]["rolloutState"], "COMPLETED")

    def test_behind_a_load_balancer_both_checks_must_pass(self):
        # healthy targets do not make a task healthy while its container check fails
        # ("How Amazon ECS determines task health": both, when both are defined)
        k = Kit()
        k.push("web", "v1")
        k.push("web", "v2", "no-health")
        tg = k.target_group(health_check_path="/")
        svc = k.service("web", k.task_definition(), 2, tg=tg, grace=3600)
        k.until(lambda: k.steady(svc), 900)
        hc = {"command": ["CMD-SHELL", "curl -f http://localhost/health || exit 1"], "interval": 10, "retries": 3}
        dep = k.deploy(svc, k.task_definition(image=k.uri("web", "v2"), health_check=hc))
        k.advance(600)
        new = [t for t in k.live(svc) if t._deployment_id == dep["id"]]
        self.assertTrue(new)
        self.assertTrue(all(t.health_status == "UNHEALTHY" for t in new))
        self.assertTrue(all(tgt["state"] == "healthy" for t in new for tgt in t._targets))
        self.assertEqual(dep["rolloutState"], "IN_PROGRESS")
        self.assertEqual(len(svc.deployments), 2, "the old tasks keep serving")


class RollingDeployment(unittest.TestCase):
    def _roll(self, desired, min_pct, max_pct):
        k = Kit()
        k.push("web", "v1")
        k.push("web", "v2")
        svc = k.service("web", k.task_definition(), desired, min_pct=min_pct, max_pct=max_pct)
        k.until(lambda: k.steady(svc), 600)
        old = {t.task_arn for t in k.live(svc)}
        td2 = k.task_definition(image=k.uri("web", "v2"))
        dep = k.deploy(svc, td2)
        peak, low = 0, desired
        while svc.deployments[0]["rolloutState"] != "COMPLETED" or len(svc.deployments) > 1:
            self.assertLess(k.elapsed(), 3600)
            k.advance(1)
            live = k.live(svc)
            peak = max(peak, len(live))
            healthy = [t for t in live if k.sim._is_healthy(svc, t, k.clock.now())]
            low = min(low, len(healthy))
        new = {t.task_arn for t in k.live(svc)}
        self.assertFalse(old & new)
        self.assertEqual(len(new), desired)
        self.assertTrue(all(t._deployment_id == dep["id"] for t in k.live(svc)))
        self.assertEqual([d["id"] for d in svc.history][-1], dep["id"])
        return peak, low, k, svc

    def test_min_100_max_200_starts_all_new_tasks_first(self):
        peak, low, k, svc = self._roll(4, 100, 200)
        self.assertLessEqual(peak, 8)
        self.assertEqual(peak, 8)  # one batch of 4 new tasks beside the 4 old ones
        self.assertGreaterEqual(low, 4)
        msgs = k.messages(svc)
        self.assertEqual(sum(m.startswith("(service web) has started 4 tasks") for m in msgs), 2)

    def test_min_100_max_150_replaces_in_batches_of_two(self):
        peak, low, k, svc = self._roll(4, 100, 150)
        self.assertEqual(peak, 6)
        self.assertGreaterEqual(low, 4)
        starts = [int(m.split(" tasks")[0].split()[-1]) for m in k.messages(svc) if "has started" in m]
        # 4 at first, then at most 2 at a time as old tasks stop (tasks start at their own pace,
        # so a batch of two may come as two of one)
        self.assertEqual(starts[0], 4)
        self.assertEqual(sum(starts[1:]), 4)
        self.assertTrue(all(n <= 2 for n in starts[1:]), starts)

    def test_a_configuration_that_can_neither_start_nor_stop_says_so_once(self):
        # 3 tasks, min 100 % (3 healthy) and max 125 % (floor 3): no room either way
        k = Kit()
        k.push("web", "v1")
        k.push("web", "v2")
        svc = k.service("web", k.task_definition(), 3, min_pct=100, max_pct=125)
        k.until(lambda: k.steady(svc), 600)
        dep = k.deploy(svc, k.task_definition(image=k.uri("web", "v2")))
        k.advance(600)
        stuck = M.DEPLOYMENT_CONFIG_STUCK.format(svc="web")
        self.assertEqual(k.messages(svc).count(stuck), 1)
        self.assertEqual(dep["rolloutState"], "IN_PROGRESS")
        self.assertFalse([t for t in k.live(svc) if t._deployment_id == dep["id"]])
        # a deployment configuration that leaves room lets it go on
        svc.deployment_configuration["maximumPercent"] = 200
        k.until(lambda: dep["rolloutState"] == "COMPLETED", 900)

    def test_a_new_target_is_healthy_after_one_passing_check(self):
        # HealthyThresholdCount (5 here) is for an unhealthy target coming back; a newly
        # registered one needs one passing check
        k = Kit()
        k.push("web", "v1")
        tg = k.target_group(healthy_threshold_count=5, health_check_interval_seconds=30)
        svc = k.service("web", k.task_definition(), 1, tg=tg)
        health = lambda: {v[0] for (arn, _), v in k.world.health.items() if arn == tg.arn}
        [task] = k.tasks(svc)
        k.until(lambda: task._targets, 60)  # registered as its containers start (ACTIVATING)
        self.assertEqual(task.last_status, "ACTIVATING")
        k.advance(29)  # the first check one interval after registering
        self.assertEqual(health(), {"initial"})
        k.advance(1)
        self.assertEqual(health(), {"healthy"})
        self.assertEqual(svc.deployments[0]["rolloutState"], "COMPLETED")

    def test_an_app_killed_before_the_first_check_never_counts_as_healthy(self):
        # an out-of-memory app dies 12 s after it starts: no passing check, so the release
        # never completes and the old tasks keep serving
        k = Kit()
        k.push("web", "v1")
        k.push("web", "v2", "oom")
        tg = k.target_group(health_check_interval_seconds=30)
        svc = k.service("web", k.task_definition(), 2, tg=tg)
        k.until(lambda: k.steady(svc), 900)
        dep = k.deploy(svc, k.task_definition(image=k.uri("web", "v2")))
        k.advance(1200)
        self.assertEqual(dep["rolloutState"], "IN_PROGRESS")
        self.assertEqual(len(svc.deployments), 2)
        old = [t for t in k.live(svc) if t._deployment_id != dep["id"]]
        self.assertEqual(len(old), 2, "v1 still serves")

    def test_targets_of_a_group_no_listener_uses_are_unused(self):
        k = Kit()
        k.push("web", "v1")
        tg = k.target_group()
        svc = k.service("web", k.task_definition(), 2, tg=tg)
        k.until(lambda: k.steady(svc), 900)
        states = lambda: {v[0] for (arn, _), v in k.world.health.items() if arn == tg.arn}
        self.assertEqual(states(), {"healthy"})
        tg.load_balancer_arns = []  # the listener now forwards elsewhere
        k.advance(60)
        self.assertEqual(states(), {"unused"})
        self.assertEqual({v[1] for v in k.world.health.values()}, {M.TARGET_NOT_IN_USE})
        self.assertEqual(len(k.live(svc)), 2, "ECS keeps the tasks")
        tg.load_balancer_arns = ["arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/lb/1"]
        k.advance(60)
        self.assertEqual(states(), {"healthy"})

    def test_failing_tasks_that_shut_down_are_not_a_stuck_configuration(self):
        # 100/200 leaves room: while a failed task shuts down, ECS waits; it does not say the
        # deployment configuration blocks it
        k = Kit()
        k.push("web", "v1")
        k.push("web", "v2", "crash")
        svc = k.service("web", k.task_definition(), 2)
        k.until(lambda: k.steady(svc), 600)
        k.deploy(svc, k.task_definition(image=k.uri("web", "v2")))
        k.advance(900)
        self.assertGreater(sum("has started" in m for m in k.messages(svc)), 2)
        self.assertNotIn(M.DEPLOYMENT_CONFIG_STUCK.format(svc="web"), k.messages(svc))

    def test_the_steady_state_event_comes_again_after_six_hours(self):
        k = Kit()
        k.push("web", "v1")
        svc = k.service("web", k.task_definition(), 1)
        k.until(lambda: k.steady(svc), 600)
        steady = M.STEADY.format(svc="web")
        k.advance(S.STEADY_REPEAT_S - 60)
        self.assertEqual(k.messages(svc).count(steady), 1)
        k.advance(60)
        self.assertEqual(k.messages(svc).count(steady), 2)

    def test_min_50_max_100_stops_before_it_starts(self):
        peak, low, k, svc = self._roll(4, 50, 100)
        self.assertLessEqual(peak, 4)
        self.assertGreaterEqual(low, 2)


class LoadBalancerHealth(unittest.TestCase):
    def test_failing_elb_health_check_starts_a_replacement_before_stopping_the_task(self):
        k = Kit()
        k.push("web", "v1", "no-health")
        tg = k.target_group(health_check_path="/health", health_check_interval_seconds=10)
        svc = k.service("web", k.task_definition(), 1, tg=tg, grace=60)
        [task] = k.tasks(svc)
        k.until(lambda: task._targets and task._targets[0]["state"] == "unhealthy", 300)
        running = k.at(task.started_at)
        self.assertLess(k.elapsed(), running + 60)
        state, reason, desc = k.world.health[(tg.arn, task._ip)]
        self.assertEqual((state, reason), ("unhealthy", "Target.ResponseCodeMismatch"))
        self.assertEqual(desc, "Health checks failed with these codes: [404]")
        k.until(lambda: len(k.tasks(svc)) == 2, 300)
        self.assertEqual(k.elapsed(), running + 60)  # the grace period is over: a replacement first...
        self.assertEqual(task.desired_status, "RUNNING")  # ... while the unhealthy task keeps running
        msgs = k.messages(svc)
        self.assertIn(M.UNHEALTHY_TARGET.format(svc="web", task=task.id, port=80, tg=tg.arn,
                                                reason="Health checks failed with these codes: [404]"), msgs)
        started = [m for m in msgs if "has started 1 tasks" in m]
        self.assertEqual(len(started), 2)
        self.assertTrue(started[1].endswith(M.REPLACED_UNHEALTHY.format(n=1)))
        # the replacement fails too; with no room left (200 % of 1) the older one goes first
        [replacement] = [t for t in k.tasks(svc) if t is not task]
        k.until(lambda: task.desired_status == "STOPPED", 300)
        self.assertEqual(k.elapsed(), k.at(replacement.started_at) + 60)
        self.assertEqual(task.stopped_reason, M.ELB_HEALTH.format(tg=tg.arn))
        self.assertEqual(len([t for t in k.live(svc) if t.desired_status == "RUNNING"]), 1)

    def test_an_unhealthy_task_stops_once_its_replacement_is_healthy(self):
        k = Kit()
        k.push("web", "v1", "no-health")
        tg = k.target_group(health_check_path="/health", health_check_interval_seconds=10)
        # the tag is resolved at each launch: the replacements get the fixed image
        svc = k.service("web", k.task_definition(version_consistency="disabled"), 2, tg=tg, grace=20)
        first = k.tasks(svc)
        k.until(lambda: all(t._unhealthy for t in first), 300)
        k.push("web", "v1", "healthy")
        k.until(lambda: len(k.tasks(svc)) == 4, 60)
        replacements = [t for t in k.tasks(svc) if t not in first]
        self.assertTrue(all(t.desired_status == "RUNNING" for t in first))
        # each unhealthy task stops only once a replacement is healthy: never more of them
        # stopped than replacements healthy (tasks start at their own pace)
        def all_replaced():
            stopped = sum(t.desired_status == "STOPPED" for t in first)
            self.assertLessEqual(stopped, sum(k.sim._is_healthy(svc, t, k.clock.now()) for t in replacements))
            return stopped == len(first)
        k.until(all_replaced, 600)
        k.until(lambda: k.steady(svc), 900)
        self.assertEqual({t.task_arn for t in k.live(svc)}, {t.task_arn for t in replacements})

    def test_a_health_check_port_nothing_listens_on_fails(self):
        k = Kit()
        k.push("web", "v1")
        tg = k.target_group(health_check_port="8080", health_check_interval_seconds=10)
        svc = k.service("web", k.task_definition(), 1, tg=tg, grace=300)
        [task] = k.tasks(svc)
        k.until(lambda: task._targets and task._targets[0]["state"] == "unhealthy", 300)
        state, reason, desc = k.world.health[(tg.arn, task._ip)]
        self.assertEqual((state, reason, desc), ("unhealthy", "Target.FailedHealthChecks", "Health checks failed"))
        # the traffic port (or the container's own port named explicitly) is fine
        k2 = Kit()
        k2.push("web", "v1")
        tg2 = k2.target_group(health_check_port="80", health_check_interval_seconds=10)
        svc2 = k2.service("web", k2.task_definition(), 1, tg=tg2)
        k2.until(lambda: k2.steady(svc2), 300)

    def test_draining_waits_for_the_deregistration_delay(self):
        k = Kit()
        k.push("web", "v1")
        tg = k.target_group(deregistration_delay_seconds=120)
        svc = k.service("web", k.task_definition(), 2, tg=tg)
        k.until(lambda: k.steady(svc), 600)
        k.scale(svc, 1)
        k.advance(1)
        [gone] = [t for t in k.tasks(svc) if t.desired_status == "STOPPED"]
        self.assertEqual(gone.last_status, "DEACTIVATING")
        self.assertEqual(k.world.health[(tg.arn, gone._ip)][0], "draining")
        self.assertIn(M.DRAINING.format(svc="web", n=1), k.messages(svc))
        k.advance(118)
        self.assertEqual(gone.last_status, "DEACTIVATING")
        self.assertIn(gone._ip, k.world.targets[tg.arn])
        k.advance(1)
        self.assertEqual(gone.last_status, "STOPPING")
        self.assertNotIn(gone._ip, k.world.targets[tg.arn])
        self.assertNotIn((tg.arn, gone._ip), k.world.health)
        self.assertIn(M.DEREGISTERED_TARGETS.format(svc="web", n=1, tg=tg.arn), k.messages(svc))
        k.until(lambda: gone.last_status == "STOPPED", 60)
        self.assertEqual(len(k.live(svc)), 1)


    def test_stop_task_and_a_deployment_drain_too(self):
        # not only scale-in: a task stopped by hand, and an old task a deployment replaces,
        # stay DEACTIVATING while their targets drain, and the service says so
        k = Kit()
        k.push("web", "v1")
        k.push("web", "v2")
        tg = k.target_group(deregistration_delay_seconds=60)
        svc = k.service("web", k.task_definition(), 1, tg=tg)
        k.until(lambda: k.steady(svc), 600)
        [first] = k.live(svc)
        k.sim.stop_by_user(k.region, first, None)
        self.assertEqual(first.last_status, "DEACTIVATING")
        self.assertEqual(k.world.health[(tg.arn, first._ip)][0], "draining")
        k.advance(1)
        self.assertEqual(k.messages(svc).count(M.DRAINING.format(svc="web", n=1)), 1)
        k.advance(58)
        self.assertEqual(first.last_status, "DEACTIVATING")
        k.until(lambda: first.last_status == "STOPPED", 120)
        k.until(lambda: k.steady(svc) and len(k.live(svc)) == 1, 600)
        [second] = k.live(svc)
        k.deploy(svc, k.task_definition(image=k.uri("web", "v2")))
        k.until(lambda: second.desired_status == "STOPPED", 600)
        self.assertEqual(second.last_status, "DEACTIVATING")
        k.advance(1)
        self.assertEqual(k.messages(svc).count(M.DRAINING.format(svc="web", n=1)), 2)


class StartChecks(unittest.TestCase):
    def test_missing_image_stops_the_task_with_cannot_pull(self):
        k = Kit()
        svc = k.service("web", k.task_definition(image=k.uri("web", "nope")), 1)
        [task] = k.tasks(svc)
        k.until(lambda: task.desired_status == "STOPPED", 60)
        self.assertEqual(task.stopped_reason, M.PULL_NOT_FOUND.format(image=k.uri("web", "nope")))
        self.assertEqual(task.stop_code, M.STOP_FAILED_TO_START)

    def test_role_that_ecs_cannot_assume_blocks_the_launch(self):
        k = Kit()
        k.push("web", "v1")
        bad = f"arn:aws:iam::{ACCOUNT}:role/nobody"
        svc = k.service("web", k.task_definition(execution_role=bad), 1)
        self.assertEqual(k.tasks(svc), [])
        self.assertEqual(k.messages(svc), [M.FAILED_TO_LAUNCH.format(svc="web", error=M.ASSUME_ROLE.format(role=bad))])

    def test_awslogs_creates_the_group_and_stream_and_writes_the_app_log(self):
        k = Kit()
        k.push("web", "v1")
        svc = k.service("web", k.task_definition(log_group="/ecs/web"), 1)
        [task] = k.tasks(svc)
        k.until(lambda: task.last_status == "RUNNING", 60)
        streams = k.world.logs[(ACCOUNT, REGION, "/ecs/web")]
        self.assertEqual(list(streams), [f"ecs/app/{task.id}"])
        self.assertEqual([e["message"] for e in streams[f"ecs/app/{task.id}"]],
                         ["[info] starting app", "[info] listening on 0.0.0.0:80"])

    def test_the_app_log_names_the_port_the_container_maps(self):
        k = Kit()
        k.push("web", "v1")
        td = k.task_definition(log_group="/ecs/web")
        td.container_definitions[0]["portMappings"] = [{"containerPort": 8080, "protocol": "tcp"}]
        svc = k.service("web", td, 1)
        [task] = k.tasks(svc)
        k.until(lambda: task.last_status == "RUNNING", 60)
        lines = [e["message"] for e in k.world.logs[(ACCOUNT, REGION, "/ecs/web")][f"ecs/app/{task.id}"]]
        self.assertIn("[info] listening on 0.0.0.0:8080", lines)


if __name__ == "__main__":
    unittest.main()


class Snapshot(unittest.TestCase):
    def test_a_pickled_store_and_sim_state_continue_as_if_never_stopped(self):
        import pickle

        def start():
            k = Kit()
            k.push("web", "v1")
            k.push("web", "v2", "crash")
            tg = k.target_group()
            svc = k.service("web", k.task_definition(), 2, tg=tg, breaker={"enable": True, "rollback": True})
            k.advance(200)
            k.deploy(svc, k.task_definition(image=k.uri("web", "v2")))
            k.advance(15)
            return k

        def finish(k):
            k.advance(600)
            svc = k.region.services["default:web"]
            return [(e["id"], e["message"]) for e in svc.events], [d["id"] for d in svc.history]

        straight = finish(start())
        k = start()
        blob = pickle.dumps({"store": k.store, "images": k.images, "world": k.world,
                             "sim": k.sim.persistent_state(), "elapsed": k.clock.elapsed, "epoch": k.clock.epoch})
        state = pickle.loads(blob)
        again = Kit()
        again.store.regions = state["store"].regions
        again.images.behaviors = state["images"].behaviors
        again.world.__dict__.update(state["world"].__dict__)
        again.sim.restore_state(state["sim"])
        again.clock.epoch, again.clock.elapsed = state["epoch"], state["elapsed"]
        again.region = again.store.region("123456789012", "us-east-1")
        self.assertEqual(finish(again), straight)
