"""The deployment circuit breaker, rollback and the restart back-off, in-process."""

from __future__ import annotations

import unittest

from fakes import Kit, M
from ecsdrill_sandbox.ecs import sim as S

BREAKER = {"enable": True, "rollback": True}


def crash_stops(k, svc, dep_id):
    """Tasks of a deployment stopped because their essential container exited."""
    return [t for t in k.tasks(svc) if t._deployment_id == dep_id and t.stop_code == M.STOP_ESSENTIAL]


class Threshold(unittest.TestCase):
    def test_threshold_configuration(self):
        f = S.circuit_breaker_threshold
        self.assertEqual(f(1), 3)  # BOUNDED_PERCENT 50: at least 3
        self.assertEqual(f(10), 5)
        self.assertEqual(f(1000), 200)  # at most 200
        self.assertEqual(f(1, {"type": "COUNT", "value": 5}), 5)
        self.assertEqual(f(10, {"type": "UNBOUNDED_PERCENT", "value": 10}), 1)
        self.assertEqual(f(1000, {"type": "UNBOUNDED_PERCENT", "value": 50}), 500)
        self.assertEqual(f(10, {"type": "BOUNDED_PERCENT", "value": 100}), 10)

    def test_threshold_rule(self):
        # moved from the end-to-end suite (test_4_circuit_breaker), where it called no API
        f = S.circuit_breaker_threshold
        self.assertEqual([f(n) for n in (0, 1, 2, 6, 7, 10, 399, 400, 401, 800)],
                         [3, 3, 3, 3, 4, 5, 200, 200, 200, 200])
        self.assertEqual(f(10, {"type": "BOUNDED_PERCENT", "value": 50}), 5)
        self.assertEqual(f(2, {"type": "BOUNDED_PERCENT", "value": 100}), 3)
        self.assertEqual(f(2, {"type": "UNBOUNDED_PERCENT", "value": 100}), 2)
        self.assertEqual(f(1000, {"type": "UNBOUNDED_PERCENT", "value": 50}), 500)
        self.assertEqual(f(2, {"type": "COUNT", "value": 7}), 7)


class Breaker(unittest.TestCase):
    def setUp(self):
        self.k = k = Kit()
        k.push("web", "v1")
        k.push("web", "v2", "crash")
        self.td1 = k.task_definition()
        self.td2 = k.task_definition(image=k.uri("web", "v2"))

    def steady_service(self, desired=2, breaker=BREAKER, **kw):
        svc = self.k.service("web", self.td1, desired, breaker=breaker, **kw)
        self.k.until(lambda: self.k.steady(svc), 600)
        return svc

    def test_crash_loop_trips_and_rolls_back_to_the_completed_deployment_keeping_its_tasks(self):
        k = self.k
        svc = self.steady_service(2)
        first = svc.deployments[0]
        kept = {t.task_arn for t in k.live(svc)}
        bad = k.deploy(svc, self.td2)
        k.until(lambda: bad["rolloutState"] == "FAILED", 600)
        # desired 2: the bounded threshold, 3 (the 4th crashed in the same second)
        self.assertIn(bad["failedTasks"], (3, 4))
        self.assertEqual(bad["rolloutStateReason"], M.ROLLOUT_BREAKER_FAILED)
        rollback = svc.deployments[0]
        self.assertIsNot(rollback, first)
        self.assertEqual(rollback["taskDefinition"], self.td1.arn)
        self.assertEqual(rollback["rolloutStateReason"], M.ROLLOUT_BREAKER_ROLLBACK.format(dep=first["id"]))
        self.assertEqual(rollback["_digests"], first["_digests"])
        self.assertEqual((rollback["_rollback_for"], rollback["_revision_of"]), (bad["id"], first["id"]))
        self.assertTrue(first["_completed_once"])
        self.assertIn("circuit breaker", rollback["_reason"])
        self.assertEqual(bad["_finished_at"], bad["updatedAt"])
        self.assertEqual(svc.task_definition, self.td1.arn)
        msgs = k.messages(svc)
        failed_at = msgs.index(M.DEPLOYMENT_FAILED.format(svc="web", dep=bad["id"]))
        self.assertEqual(msgs[failed_at + 1], M.ROLLING_BACK.format(svc="web", dep=first["id"]))
        # the completed deployment's tasks serve on, now the rollback's
        self.assertEqual({t.task_arn for t in k.live(svc) if t._deployment_id == rollback["id"]}, kept)
        k.until(lambda: rollback["rolloutState"] == "COMPLETED", 600)
        self.assertEqual({t.task_arn for t in k.live(svc)}, kept)
        self.assertEqual([d["id"] for d in svc.history], [first["id"], bad["id"], rollback["id"]])
        self.assertEqual(svc.deployments, [rollback])

    def test_without_rollback_the_old_tasks_keep_serving(self):
        k = self.k
        svc = self.steady_service(2, breaker={"enable": True, "rollback": False})
        kept = {t.task_arn for t in k.live(svc)}
        bad = k.deploy(svc, self.td2)
        k.until(lambda: bad["rolloutState"] == "FAILED", 600)
        k.advance(120)
        self.assertIs(svc.deployments[0], bad)
        self.assertEqual({t.task_arn for t in k.live(svc)}, kept)
        self.assertNotIn("rolling back", " ".join(k.messages(svc)))

    def test_a_lost_task_of_the_serving_version_is_replaced_by_that_version(self):
        # ECS since November 2025: whatever the new deployment does, a task of the older
        # one that stops (here by hand, after the new one failed) comes back as the older one
        k = self.k
        svc = self.steady_service(2, breaker={"enable": True, "rollback": False})
        first = svc.deployments[0]
        bad = k.deploy(svc, self.td2)
        k.until(lambda: bad["rolloutState"] == "FAILED", 600)
        victim = next(t for t in k.live(svc) if t._deployment_id == first["id"])
        k.sim.stop_by_user(k.region, victim, None)
        k.advance(120)
        serving = [t for t in k.live(svc) if t.desired_status == "RUNNING"]
        self.assertEqual(len(serving), 2)
        self.assertEqual({t._deployment_id for t in serving}, {first["id"]})
        self.assertEqual({t.task_definition_arn for t in serving}, {self.td1.arn})
        self.assertNotIn(victim, serving)
        self.assertTrue(all(k.sim._is_healthy(svc, t, k.clock.now()) for t in serving))

    def test_a_crashed_old_task_is_replaced_while_the_new_version_still_starts(self):
        k = self.k
        k.push("web", "v3", "slow-start", start_delay=300)
        tg = k.target_group(deregistration_delay_seconds=5)
        svc = self.steady_service(2, breaker={"enable": False, "rollback": False}, tg=tg, grace=600)
        first = svc.deployments[0]
        slow = k.deploy(svc, k.task_definition(image=k.uri("web", "v3")))
        k.advance(20)
        victim = next(t for t in k.live(svc) if t._deployment_id == first["id"])
        k.sim.stop_by_user(k.region, victim, None)
        k.advance(30)
        olds = [t for t in k.live(svc) if t._deployment_id == first["id"] and t.desired_status == "RUNNING"]
        self.assertEqual(len(olds), 2)  # the lost one came back as v1
        self.assertEqual(slow["rolloutState"], "IN_PROGRESS")

    def test_count_threshold(self):
        k = self.k
        svc = self.steady_service(1, breaker={**BREAKER, "thresholdConfiguration": {"type": "COUNT", "value": 5}})
        bad = k.deploy(svc, self.td2)
        k.until(lambda: len(crash_stops(k, svc, bad["id"])) == 4, 900)
        self.assertEqual(bad["rolloutState"], "IN_PROGRESS")  # the default threshold (3) is passed
        k.until(lambda: bad["rolloutState"] == "FAILED", 300)
        self.assertEqual(bad["failedTasks"], 5)

    def _failures_around_a_healthy_task(self, reset: bool | None):
        """2 tasks fail, a task becomes healthy, 2 tasks fail: the issue's sequence."""
        k = self.k
        breaker = dict(BREAKER)
        if reset is not None:
            breaker["resetOnHealthyTask"] = reset
        svc = self.steady_service(4, breaker=breaker, max_pct=150)
        crash = k.world.image_digest("123456789012", "us-east-1", "web", "v2")
        good = k.world.image_digest("123456789012", "us-east-1", "web", "v1")
        # the tag is resolved at pull time, so moving it decides how the next tasks behave
        td3 = k.task_definition(image=k.uri("web", "moving"), version_consistency="disabled")
        k.world.put_image("web", "moving", crash)
        dep = k.deploy(svc, td3)
        k.until(lambda: len(crash_stops(k, svc, dep["id"])) == 2, 300)
        self.assertEqual(dep["failedTasks"], 2)
        k.world.put_image("web", "moving", good)
        k.until(lambda: any(t._seen_healthy for t in k.live(svc) if t._deployment_id == dep["id"]), 600)
        k.world.put_image("web", "moving", crash)
        k.until(lambda: len(crash_stops(k, svc, dep["id"])) == 4 or dep["rolloutState"] == "FAILED", 600)
        return dep

    def test_failures_reset_on_a_healthy_task(self):
        dep = self._failures_around_a_healthy_task(None)
        self.assertEqual(dep["rolloutState"], "IN_PROGRESS")
        self.assertEqual(dep["failedTasks"], 2)

    def test_failures_add_up_without_reset_on_healthy_task(self):
        dep = self._failures_around_a_healthy_task(False)
        self.assertEqual(dep["rolloutState"], "FAILED")
        self.assertGreaterEqual(dep["failedTasks"], 3)

    def test_a_rollback_is_not_rolled_back(self):
        k = self.k
        svc = self.steady_service(1)
        first = svc.deployments[0]
        bad = k.deploy(svc, self.td2)
        k.until(lambda: bad["rolloutState"] == "FAILED", 600)
        rollback = svc.deployments[0]
        # the rollback must start a task, and its pinned image is gone from the repository
        k.world.delete_image("web", first["_digests"]["app"])
        k.scale(svc, 2)
        k.until(lambda: rollback["rolloutState"] == "FAILED", 1800)
        k.advance(600)
        self.assertIs(svc.deployments[0], rollback)
        self.assertEqual(len(svc.history), 3)
        msgs = k.messages(svc)
        self.assertEqual(sum(m.startswith("(service web) rolling back") for m in msgs), 1)
        self.assertEqual(sum(m.endswith("deployment failed: tasks failed to start.") for m in msgs), 2)


class Throttle(unittest.TestCase):
    def test_back_off_after_three_failures_doubles_from_30_seconds(self):
        k = Kit()
        svc = k.service("web", k.task_definition(image=k.uri("web", "missing")), 1)
        launches = []

        def started():
            n = sum("has started" in m for m in k.messages(svc))
            while len(launches) < n:
                launches.append(k.elapsed())
            return len(launches) >= 7

        launches.append(0.0)
        k.until(started, 3600)
        gaps = [b - a for a, b in zip(launches, launches[1:])]
        # a failed task stops at the end of its pull (PROVISIONING + PENDING, drawn per task)...
        failed = sorted(k.tasks(svc), key=lambda t: t.created_at)[:6]
        to_fail = [k.at(t.stopping_at) - k.at(t.created_at) for t in failed]
        lo, hi = S.PROVISIONING_S[0] + S.PULL_S[0], S.PROVISIONING_S[1] + S.PULL_S[1]
        self.assertTrue(all(lo <= s <= hi for s in to_fail), to_fail)
        # ... and from the third failure in a row ECS waits before it launches the next
        self.assertEqual(gaps, [s + wait for s, wait in zip(to_fail, [0, 0, 30, 60, 120, 240])])
        self.assertEqual(sum(m == M.THROTTLED.format(svc="web") for m in k.messages(svc)), 1)

    def test_back_off_is_capped_at_27_minutes(self):
        k = Kit()
        k.push("web", "v1")
        svc = k.service("web", k.task_definition(), 1)
        [task] = k.tasks(svc)
        st = k.sim.state(svc)
        delays = []
        for _ in range(12):
            k.sim.record_failure(k.region, svc, task, k.clock.now(), before_running=True)
            at = st.next_launch_at
            delays.append(None if at is None else (at - k.clock.now()).total_seconds())
        self.assertEqual(delays[:2], [None, None])
        self.assertEqual(delays[2:9], [30, 60, 120, 240, 480, 960, 1620])
        self.assertEqual(max(d for d in delays if d is not None), S.THROTTLE_MAX_S)
        self.assertEqual(delays[-1], S.THROTTLE_MAX_S)

    def test_back_off_grows_to_27_minutes_between_launches(self):
        # moved from the end-to-end suite (test_9_fidelity.RestartThrottle): 4 simulated hours of
        # a service whose image never pulls; the launch gaps read from its "has started" events
        k = Kit()
        svc = k.service("web", k.task_definition(image=k.uri("web", "v404")), 1)
        k.advance(4 * 3600)
        starts = sorted(e["createdAt"] for e in svc.events if e["message"].startswith("(service web) has started 1 tasks"))
        gaps = [(b - a).total_seconds() for a, b in zip(starts, starts[1:])]
        self.assertGreater(len(gaps), 8)
        # the gap is the back-off plus the few seconds a task takes to fail
        self.assertGreater(max(gaps), 27 * 60)
        self.assertLess(max(gaps), 28 * 60)
        self.assertGreaterEqual(sum(g > 27 * 60 for g in gaps), 2)  # it stays at the cap

    def test_a_running_task_resets_the_back_off(self):
        k = Kit()
        svc = k.service("web", k.task_definition(image=k.uri("web", "v1")), 1)
        k.until(lambda: k.sim.state(svc).next_launch_at is not None, 600)
        k.push("web", "v1")
        k.until(lambda: any(t.last_status == "RUNNING" for t in k.tasks(svc)), 600)
        st = k.sim.state(svc)
        self.assertEqual((st.failures_in_a_row, st.next_launch_at, st.throttle_announced), (0, None, False))


if __name__ == "__main__":
    unittest.main()
