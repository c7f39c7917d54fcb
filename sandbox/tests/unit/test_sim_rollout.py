"""Rolling deployments and the versions that keep serving (ECS since November 2025):
auto scaling's scale-out during a rollout grows the running version too."""

from __future__ import annotations

import unittest

from fakes import ACCOUNT, REGION, Kit, ScalableTarget
from test_sim_autoscaling import DIM, RESOURCE, policy


class ScaleOutDuringARollout(unittest.TestCase):
    def setUp(self):
        self.k = k = Kit()
        k.push("web", "v1")
        k.push("web", "v2", "crash")
        self.svc = k.service("web", k.task_definition(), 2, breaker={"enable": True, "rollback": False})
        k.until(lambda: k.steady(self.svc), 600)
        self.first = self.svc.deployments[0]
        k.world.scalable.append(ScalableTarget(ACCOUNT, REGION, "ecs", RESOURCE, DIM, 1, 10))
        k.world.policies[(ACCOUNT, REGION)] = [policy(50.0)]

    def serving(self):
        return [t for t in self.k.live(self.svc)
                if t.desired_status == "RUNNING" and t._deployment_id == self.first["id"]]

    def test_the_running_version_grows_while_the_new_one_fails(self):
        k, svc = self.k, self.svc
        bad = k.deploy(svc, k.task_definition(image=k.uri("web", "v2")))
        k.until(lambda: bad["rolloutState"] == "FAILED", 600)
        k.sim.autoscaling.set_load(ACCOUNT, REGION, "default", "web", {"cpu": 90})
        k.until(lambda: svc.desired_count == 4, 600)
        k.until(lambda: len(self.serving()) == 4, 300)  # the old version took the scale-out
        self.assertTrue(all(t.task_definition_arn == self.first["taskDefinition"] for t in self.serving()))
        # and a scale-in brings it back down to the desired count, no further
        k.sim.autoscaling.set_load(ACCOUNT, REGION, "default", "web", {"cpu": 10})
        k.until(lambda: svc.desired_count < 4, 3600)
        k.until(lambda: len(self.serving()) == svc.desired_count, 900)
        k.advance(120)
        self.assertEqual(len(self.serving()), svc.desired_count)

    def test_a_user_raising_the_count_grows_only_the_new_deployment(self):
        k, svc = self.k, self.svc
        bad = k.deploy(svc, k.task_definition(image=k.uri("web", "v2")))
        k.until(lambda: bad["rolloutState"] == "FAILED", 600)
        k.scale(svc, 4)
        k.advance(300)
        self.assertEqual(len(self.serving()), 2)  # only auto scaling's scale-out reaches the old version


if __name__ == "__main__":
    unittest.main()
