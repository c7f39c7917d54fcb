"""Target tracking service auto scaling over the simulation, in-process."""

from __future__ import annotations

import unittest

from fakes import ACCOUNT, REGION, Kit, ScalableTarget, ScalingPolicy

RESOURCE = "service/default/web"
DIM = "ecs:service:DesiredCount"


def policy(target=50.0, **conf) -> ScalingPolicy:
    return ScalingPolicy(
        arn=f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:scalingPolicy:1:resource/ecs/{RESOURCE}:policyName/cpu50",
        name="cpu50", service_namespace="ecs", resource_id=RESOURCE, scalable_dimension=DIM,
        policy_type="TargetTrackingScaling",
        target_tracking={"TargetValue": target, "PredefinedMetricSpecification": {
            "PredefinedMetricType": "ECSServiceAverageCPUUtilization"}, **conf},
        alarm_names=[f"TargetTracking-{RESOURCE}-AlarmHigh-1", f"TargetTracking-{RESOURCE}-AlarmLow-2"])


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
        self.assertEqual(k.world.alarm_states[f"TargetTracking-{RESOURCE}-AlarmHigh-1"], "ALARM")
        [activity] = k.sim.autoscaling.describe_activities(ACCOUNT, REGION, "ecs", RESOURCE, DIM)
        self.assertEqual(activity["Description"], "Setting desired count to 4.")
        self.assertIn(f"monitor alarm TargetTracking-{RESOURCE}-AlarmHigh-1 in state ALARM", activity["Cause"])
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
        self.assertEqual(k.world.alarm_states[f"TargetTracking-{RESOURCE}-AlarmLow-2"], "ALARM")

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


if __name__ == "__main__":
    unittest.main()
