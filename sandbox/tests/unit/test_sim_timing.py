"""How long a Fargate task takes to start, in-process: PROVISIONING, PENDING, ACTIVATING
(only behind a load balancer) and RUNNING, drawn per task from the world's seeded random
within the 20-60 s ECS takes; and the pace this gives the deployment circuit breaker."""

from __future__ import annotations

import unittest

from fakes import ACCOUNT, REGION, Kit
from ecsdrill_sandbox.ecs import sim as S
from ecsdrill_sandbox.ecs.provider import Provider


def statuses_until_running(k: Kit, tasks: list, limit: float = 120) -> list[list[str]]:
    """Each task's lastStatus at every simulated second until all are RUNNING, without repeats."""
    seen = [[t.last_status] for t in tasks]

    def look():
        for t, s in zip(tasks, seen):
            if s[-1] != t.last_status:
                s.append(t.last_status)
        return all(t.last_status == "RUNNING" for t in tasks)
    k.until(look, limit)
    return seen


class TimeToRunning(unittest.TestCase):
    def test_tasks_reach_running_in_20_to_60_seconds_varied_and_reproducible(self):
        def run(seed: int) -> list[float]:
            k = Kit(seed)
            k.push("web", "v1")
            tg = k.target_group()
            behind = k.service("lb", k.task_definition(), 5, tg=tg)
            plain = k.service("plain", k.task_definition(), 5)
            standalone = [k.run_task(k.task_definition()) for _ in range(5)]
            tasks = k.tasks(behind) + k.tasks(plain) + standalone
            k.until(lambda: all(t.last_status == "RUNNING" for t in tasks), 120)
            return [k.at(t.started_at) - k.at(t.created_at) for t in tasks]

        times = [s for seed in range(1, 11) for s in run(seed)]  # 150 tasks
        self.assertTrue(all(20 <= s <= 60 for s in times), (min(times), max(times)))
        self.assertGreater(len(set(times)), 15, "each task draws its own times")
        self.assertEqual(run(3), run(3), "the same seed gives the same times")
        self.assertNotEqual(run(3), run(4))
        # the bounds themselves stay in the range: the slowest possible start behind a
        # load balancer, the fastest without one
        self.assertLessEqual(S.PROVISIONING_S[1] + S.PULL_S[1] + S.ACTIVATING_S[1], 60)
        self.assertGreaterEqual(S.PROVISIONING_S[0] + S.PULL_S[0], 20)

    def test_a_failed_pull_still_stops_the_task_from_pending(self):
        k = Kit()
        svc = k.service("web", k.task_definition(image=k.uri("web", "missing")), 1)
        [task] = k.tasks(svc)
        seen = [task.last_status]
        k.until(lambda: seen.append(task.last_status) or task.last_status == "STOPPED", 120)
        self.assertEqual([s for i, s in enumerate(seen) if i == 0 or s != seen[i - 1]],
                         ["PROVISIONING", "PENDING", "DEPROVISIONING", "STOPPED"])
        self.assertIsNone(task.started_at)
        self.assertEqual(task.pull_stopped_at, task.stopping_at)
        lo, hi = S.PULL_S
        self.assertTrue(lo <= k.at(task.pull_stopped_at) - k.at(task.pull_started_at) <= hi)


class Activating(unittest.TestCase):
    def test_only_a_task_behind_a_load_balancer_is_activating_while_its_targets_register(self):
        k = Kit()
        k.push("web", "v1")
        tg = k.target_group()
        behind = k.service("lb", k.task_definition(), 1, tg=tg)
        plain = k.service("plain", k.task_definition(), 1)
        standalone = k.run_task(k.task_definition())
        seen = statuses_until_running(k, k.tasks(behind) + k.tasks(plain) + [standalone])
        self.assertEqual(seen, [["PROVISIONING", "PENDING", "ACTIVATING", "RUNNING"],
                                ["PROVISIONING", "PENDING", "RUNNING"],
                                ["PROVISIONING", "PENDING", "RUNNING"]])

        k2 = Kit()
        k2.push("web", "v1")
        tg = k2.target_group()
        behind = k2.service("lb", k2.task_definition(), 1, tg=tg)
        [lb_task] = k2.tasks(behind)
        k2.until(lambda: lb_task.last_status == "ACTIVATING", 60)
        # the containers run and the target is registering; the task is not RUNNING yet
        activating_at = k2.elapsed()
        self.assertEqual(lb_task.pull_stopped_at, k2.clock.now())
        self.assertIsNone(lb_task.started_at)
        self.assertEqual(lb_task.containers[0]["lastStatus"], "RUNNING")
        self.assertEqual(k2.world.health[(tg.arn, lb_task._ip)][:2], ("initial", "Elb.RegistrationInProgress"))
        self.assertEqual((behind.running_count, behind.pending_count), (0, 1))
        # describe-tasks shows it
        p = Provider(k2.store, k2.sim, k2.world)
        [shown] = p.handle(ACCOUNT, REGION, "DescribeTasks", {"cluster": "default",
                                                              "tasks": [lb_task.task_arn]})["tasks"]
        self.assertEqual(shown["lastStatus"], "ACTIVATING")
        self.assertNotIn("startedAt", shown)
        k2.until(lambda: lb_task.last_status == "RUNNING", 60)
        lo, hi = S.ACTIVATING_S
        self.assertTrue(lo <= k2.elapsed() - activating_at <= hi)
        self.assertEqual(k2.at(lb_task.started_at), k2.elapsed())
        self.assertEqual((behind.running_count, behind.pending_count), (1, 0))

    def test_a_task_stopped_while_activating_drains_its_target(self):
        k = Kit()
        k.push("web", "v1")
        tg = k.target_group(deregistration_delay_seconds=30)
        svc = k.service("web", k.task_definition(), 1, tg=tg)
        [task] = k.tasks(svc)
        k.until(lambda: task.last_status == "ACTIVATING", 60)
        k.sim.stop_by_user(k.region, task, None)
        self.assertEqual(task.last_status, "DEACTIVATING")
        self.assertEqual(k.world.health[(tg.arn, task._ip)][0], "draining")
        k.until(lambda: task.last_status == "STOPPED", 60)
        self.assertNotIn(task._ip, k.world.targets[tg.arn])


class BreakerPace(unittest.TestCase):
    """A desired-1 service's breaker needs 3 failures (its minimum threshold); each failure
    is a whole task start, so it trips in about two minutes, no longer in 40 s."""

    def trip(self, image_tag: str, behavior: str | None) -> tuple[float, float]:
        k = Kit()
        k.push("web", "v1")
        if behavior:
            k.push("web", image_tag, behavior)
        svc = k.service("web", k.task_definition(), 1, breaker={"enable": True, "rollback": True})
        k.until(lambda: k.steady(svc), 300)
        dep = k.deploy(svc, k.task_definition(image=k.uri("web", image_tag)))
        start = k.elapsed()
        k.until(lambda: dep["rolloutState"] == "FAILED", 900)
        return k.elapsed() - start, dep["failedTasks"]

    def test_a_crash_loop_trips_a_desired_1_breaker_in_about_two_minutes(self):
        took, failed = self.trip("v2", "crash")
        self.assertEqual(failed, 3)
        # 3 x (time to RUNNING, then 3 s until the app exits)
        self.assertTrue(3 * (22 + 3) <= took <= 3 * (48 + 3), took)  # 119 s with the kit's seed (7)

    def test_an_image_that_never_pulls_trips_a_desired_1_breaker_in_about_two_minutes(self):
        took, failed = self.trip("missing", None)
        self.assertEqual(failed, 3)
        # 3 x (PROVISIONING + PENDING); the back-off starts only after the third failure
        self.assertTrue(3 * 22 <= took <= 3 * 48, took)  # 106 s with the kit's seed (7)


if __name__ == "__main__":
    unittest.main()
