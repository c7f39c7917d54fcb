"""Target tracking service auto scaling over the simulation, in-process."""

from __future__ import annotations

import unittest

from fakes import ACCOUNT, REGION, Kit, ScalableTarget, ScalingPolicy

RESOURCE = "service/default/web"
DIM = "ecs:service:DesiredCount"


def policy(target=50.0, name="cpu50", metric="ECSServiceAverageCPUUtilization", **conf) -> ScalingPolicy:
    return ScalingPolicy(
        arn=f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:scalingPolicy:1:resource/ecs/{RESOURCE}:policyName/{name}",
        name=name, service_namespace="ecs", resource_id=RESOURCE, scalable_dimension=DIM,
        policy_type="TargetTrackingScaling",
        target_tracking={"TargetValue": target, "PredefinedMetricSpecification": {
            "PredefinedMetricType": metric}, **conf},
        alarm_names=[f"TargetTracking-{RESOURCE}-AlarmHigh-{name}", f"TargetTracking-{RESOURCE}-AlarmLow-{name}"])


class TargetTracking(unittest.TestCase):
    def setUp(self):
        self.k = k = Kit()
        k.push("web", "v1")
        self.svc = k.service("web", k.task_definition(), 2)
        k.until(lambda: k.steady(self.svc), 600)
        k.world.scalable.append(ScalableTarget(ACCOUNT, REGION, "ecs", RESOURCE, DIM, 1, 10))

    def test_scales_out_after_three_minutes_above_the_target(self):
        k, svc = self.k, self.svc
        k.world.policies[(ACCOUNT, REGION)] = [policy(50.0)]
        k.sim.autoscaling.set_load(ACCOUNT, REGION, "default", "web", {"cpu": 90})
        t0 = k.elapsed()
        # evaluated once a minute: the third datapoint above the target is 2 to 3 minutes after the load
        waited = k.until(lambda: svc.desired_count != 2, 600) - t0
        self.assertGreater(waited, 120)
        self.assertLessEqual(waited, 180)
        self.assertEqual(svc.desired_count, 4)  # ceil(2 x 90 / 50)
        self.assertEqual(k.world.alarm_states[f"TargetTracking-{RESOURCE}-AlarmHigh-cpu50"], "ALARM")
        [activity] = k.sim.autoscaling.describe_activities(ACCOUNT, REGION, "ecs", RESOURCE, DIM)
        self.assertEqual(activity["Description"], "Setting desired count to 4.")
        self.assertIn(f"monitor alarm TargetTracking-{RESOURCE}-AlarmHigh-cpu50 in state ALARM", activity["Cause"])
        k.until(lambda: svc.running_count == 4, 120)
        # the same demand over 4 tasks: 45 %, below the target, and not yet 15 minutes low
        k.advance(600)
        self.assertEqual(svc.desired_count, 4)

    def test_scales_in_after_fifteen_minutes_below_ninety_percent(self):
        k, svc = self.k, self.svc
        k.world.policies[(ACCOUNT, REGION)] = [policy(50.0)]
        k.sim.autoscaling.set_load(ACCOUNT, REGION, "default", "web", {"cpu": 10})
        t0 = k.elapsed()
        waited = k.until(lambda: svc.desired_count != 2, 3600) - t0
        self.assertGreater(waited, 14 * 60)
        self.assertLessEqual(waited, 15 * 60)
        self.assertEqual(svc.desired_count, 1)
        self.assertEqual(k.world.alarm_states[f"TargetTracking-{RESOURCE}-AlarmLow-cpu50"], "ALARM")

    def test_disable_scale_in(self):
        k, svc = self.k, self.svc
        k.world.policies[(ACCOUNT, REGION)] = [policy(50.0, DisableScaleIn=True)]
        k.sim.autoscaling.set_load(ACCOUNT, REGION, "default", "web", {"cpu": 10})
        k.advance(60 * 20)
        self.assertEqual(svc.desired_count, 2)

    def test_desired_count_outside_the_range_is_moved_into_it(self):
        k, svc = self.k, self.svc
        k.world.scalable[0] = ScalableTarget(ACCOUNT, REGION, "ecs", RESOURCE, DIM, 3, 10)
        k.advance(120)
        self.assertEqual(svc.desired_count, 3)

    def test_no_load_no_scaling(self):
        k, svc = self.k, self.svc
        k.world.policies[(ACCOUNT, REGION)] = [policy(50.0)]
        k.advance(60 * 30)
        self.assertEqual(svc.desired_count, 2)
        self.assertEqual(k.sim.autoscaling.describe_activities(ACCOUNT, REGION, None, None, None), [])

    def load(self, **load) -> None:
        self.k.sim.autoscaling.set_load(ACCOUNT, REGION, "default", "web", load)

    def test_no_scale_in_during_a_deployment(self):
        k, svc = self.k, self.svc
        k.world.policies[(ACCOUNT, REGION)] = [policy(50.0)]
        # min 100 % / max 100 % with 2 tasks: the deployment can neither start nor stop a task, so it stays
        svc.deployment_configuration.update(minimumHealthyPercent=100, maximumPercent=100)
        k.push("web", "v2")
        k.deploy(svc, k.task_definition(image=k.uri("web", "v2")))
        self.load(cpu=10)
        k.advance(20 * 60)
        self.assertEqual(len(svc.deployments), 2)
        self.assertEqual(k.world.alarm_states[f"TargetTracking-{RESOURCE}-AlarmLow-cpu50"], "ALARM")
        self.assertEqual(svc.desired_count, 2)
        # once the deployment can go on and completes, the low alarm scales in
        svc.deployment_configuration["maximumPercent"] = 200
        k.until(lambda: len(svc.deployments) == 1, 300)
        k.until(lambda: svc.desired_count == 1, 120)

    def test_scale_in_waits_for_the_default_cooldown_of_300_seconds(self):
        k, svc = self.k, self.svc
        k.world.scalable[0] = ScalableTarget(ACCOUNT, REGION, "ecs", RESOURCE, DIM, 1, 10)
        k.world.policies[(ACCOUNT, REGION)] = [policy(50.0)]
        k.scale(svc, 4)
        k.until(lambda: svc.running_count == 4, 120)
        self.load(cpu=20)  # 4 tasks at 20 %: ceil(4 x 20 / 50) = 2
        first = k.until(lambda: svc.desired_count != 4, 3600)
        self.assertEqual(svc.desired_count, 2)
        k.until(lambda: svc.running_count == 2, 120)
        self.load(cpu=10)  # the alarm stays low: 1 task would do
        second = k.until(lambda: svc.desired_count != 2, 900)
        self.assertEqual(svc.desired_count, 1)
        self.assertGreaterEqual(second - first, 300)
        self.assertLess(second - first, 360)

    def test_a_larger_scale_out_does_not_wait_for_the_scale_out_cooldown(self):
        """Application Auto Scaling: "The scaling policy won't increase the desired capacity again unless
        either a larger scale out is triggered or the cooldown period ends" (ScaleOutCooldown)."""
        k, svc = self.k, self.svc
        k.world.policies[(ACCOUNT, REGION)] = [policy(50.0, ScaleOutCooldown=600)]
        self.load(cpu=90)
        k.until(lambda: svc.desired_count != 2, 600)
        self.assertEqual(svc.desired_count, 4)
        k.until(lambda: svc.running_count == 4, 120)
        t0 = k.elapsed()
        self.load(cpu=100)  # 4 tasks at 100 %: ceil(4 x 100 / 50) = 8, a larger scale-out
        second = k.until(lambda: svc.desired_count != 4, 1200)
        self.assertEqual(svc.desired_count, 8)
        self.assertLessEqual(second - t0, 180)  # three minutes above the target, not the 600 s cooldown

    def test_out_if_any_policy_says_so_to_the_largest_proposal(self):
        k, svc = self.k, self.svc
        k.world.policies[(ACCOUNT, REGION)] = [
            policy(50.0), policy(50.0, name="mem50", metric="ECSServiceAverageMemoryUtilization")]
        self.load(cpu=10, memory=47)  # cpu low for 16 minutes, memory neither high nor low
        k.advance(16 * 60)
        self.assertEqual(k.world.alarm_states[f"TargetTracking-{RESOURCE}-AlarmLow-cpu50"], "ALARM")
        self.assertEqual(svc.desired_count, 2)
        self.load(cpu=10, memory=90)
        k.until(lambda: svc.desired_count != 2, 300)
        self.assertEqual(svc.desired_count, 4)  # memory: ceil(2 x 90 / 50), though cpu would scale in
        [activity] = k.sim.autoscaling.describe_activities(ACCOUNT, REGION, "ecs", RESOURCE, DIM)
        self.assertIn(f"AlarmHigh-mem50 in state ALARM triggered policy mem50", activity["Cause"])
        k.sim.autoscaling.reset()
        k.scale(svc, 2)
        k.until(lambda: svc.running_count == 2, 120)
        self.load(cpu=70, memory=90)  # cpu says 3, memory 4: the larger wins
        k.until(lambda: svc.desired_count != 2, 300)
        self.assertEqual(svc.desired_count, 4)

    def test_in_only_if_every_policy_says_so(self):
        k, svc = self.k, self.svc
        k.world.policies[(ACCOUNT, REGION)] = [
            policy(50.0), policy(50.0, name="mem50", metric="ECSServiceAverageMemoryUtilization")]
        self.load(cpu=10, memory=47)  # cpu low; memory below the target but above 90 % of it
        k.advance(20 * 60)
        self.assertEqual(k.world.alarm_states[f"TargetTracking-{RESOURCE}-AlarmLow-cpu50"], "ALARM")
        self.assertEqual(k.world.alarm_states[f"TargetTracking-{RESOURCE}-AlarmLow-mem50"], "OK")
        self.assertEqual(k.world.alarm_states[f"TargetTracking-{RESOURCE}-AlarmHigh-mem50"], "OK")
        self.assertEqual(svc.desired_count, 2)
        self.load(cpu=10, memory=10)
        k.until(lambda: svc.desired_count != 2, 16 * 60)
        self.assertEqual(svc.desired_count, 1)


if __name__ == "__main__":
    unittest.main()
