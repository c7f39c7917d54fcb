"""6. Target-tracking auto scaling moves desiredCount with a simulated load."""

import json

from harness import REGISTRY, SandboxTest, setUpModule, tearDownModule  # noqa: F401

RESOURCE = "service/lab/web"


class AutoScaling(SandboxTest):
    def test_target_tracking_scales_out_and_in(self):
        sb = self.sb
        sb.exec_role()
        sb.cluster()
        sb.push("web", "v1")
        sb.service("web", sb.task_definition("web", f"{REGISTRY}/web:v1"), 1)
        sb.advance(60)
        sb.aws("application-autoscaling", "register-scalable-target", "--service-namespace", "ecs",
               "--resource-id", RESOURCE, "--scalable-dimension", "ecs:service:DesiredCount",
               "--min-capacity", "1", "--max-capacity", "4")
        config = {"TargetValue": 50.0, "ScaleOutCooldown": 60, "ScaleInCooldown": 60,
                  "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}
        sb.aws("application-autoscaling", "put-scaling-policy", "--service-namespace", "ecs",
               "--resource-id", RESOURCE, "--scalable-dimension", "ecs:service:DesiredCount",
               "--policy-name", "cpu50", "--policy-type", "TargetTrackingScaling",
               "--target-tracking-scaling-policy-configuration", json.dumps(config))

        # no load: insufficient data, nothing moves
        sb.advance(300)
        self.assertEqual(self.describe("web")["desiredCount"], 1)

        # 90 % CPU on 1 task: 3 minutes above target, then ceil(1 x 90 / 50) = 2 tasks
        status, _ = sb.control("POST", "/_ecsdrill/load", {"cluster": "lab", "service": "web", "cpu": 90})
        self.assertEqual(status, 200)
        sb.advance(120)
        self.assertEqual(self.describe("web")["desiredCount"], 1)
        sb.advance(70)
        d = self.describe("web")
        self.assertEqual(d["desiredCount"], 2)
        recent = [e["message"] for e in d["events"][:4]]
        self.assertTrue(any(m.startswith("(service web) has started 1 tasks") for m in recent), recent)
        sb.advance(60)
        self.assertEqual(self.describe("web")["runningCount"], 2)
        # the same demand over 2 tasks is 45 %: below target, above 90 % of it: stays at 2
        sb.advance(600)
        self.assertEqual(self.describe("web")["desiredCount"], 2)

        # more demand: 90 % of 2 tasks' worth, capped by MaxCapacity 4
        sb.control("POST", "/_ecsdrill/load", {"cluster": "lab", "service": "web", "cpu": 95})
        sb.advance(600)
        self.assertEqual(self.describe("web")["desiredCount"], 4)

        # load drops: 15 minutes below 90 % of the target, then scale in
        sb.control("POST", "/_ecsdrill/load", {"cluster": "lab", "service": "web", "cpu": 5})
        sb.advance(600)
        self.assertEqual(self.describe("web")["desiredCount"], 4)
        sb.advance(600)
        d = self.describe("web")
        self.assertEqual(d["desiredCount"], 1)

        activities = sb.aws("application-autoscaling", "describe-scaling-activities", "--service-namespace", "ecs",
                            "--resource-id", RESOURCE)["ScalingActivities"]
        self.assertEqual([a["Description"] for a in activities][:1], ["Setting desired count to 1."])
        self.assertIn("Setting desired count to 2.", [a["Description"] for a in activities])
        self.assertTrue(all(a["StatusCode"] == "Successful" for a in activities))
        self.assertIn("AlarmLow", activities[0]["Cause"])
        self.assertIn("triggered policy cpu50", activities[0]["Cause"])

    def test_min_capacity_and_unknown_service(self):
        sb = self.sb
        sb.exec_role()
        sb.cluster()
        sb.push("web", "v1")
        sb.service("web", sb.task_definition("web", f"{REGISTRY}/web:v1"), 1)
        sb.aws("application-autoscaling", "register-scalable-target", "--service-namespace", "ecs",
               "--resource-id", RESOURCE, "--scalable-dimension", "ecs:service:DesiredCount",
               "--min-capacity", "3", "--max-capacity", "5")
        sb.advance(130)
        self.assertEqual(self.describe("web")["desiredCount"], 3)
        status, body = sb.control("POST", "/_ecsdrill/load", {"cluster": "lab", "service": "nope", "cpu": 50})
        self.assertEqual(status, 404, body)

    def put_policy(self, name: str, config: dict, cli: bool = False) -> None:
        if not cli:
            self.sb.api("application-autoscaling", "put_scaling_policy", ServiceNamespace="ecs", ResourceId=RESOURCE,
                        ScalableDimension="ecs:service:DesiredCount", PolicyName=name,
                        PolicyType="TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration=config)
            return
        self.sb.aws("application-autoscaling", "put-scaling-policy", "--service-namespace", "ecs",
                    "--resource-id", RESOURCE, "--scalable-dimension", "ecs:service:DesiredCount",
                    "--policy-name", name, "--policy-type", "TargetTrackingScaling",
                    "--target-tracking-scaling-policy-configuration", json.dumps(config))

    def alarms(self) -> dict:
        found = self.sb.api("cloudwatch", "describe_alarms",
                            AlarmNamePrefix=f"TargetTracking-{RESOURCE}-")["MetricAlarms"]
        return {("high" if "-AlarmHigh-" in a["AlarmName"] else "low"): a for a in found}

    def test_target_tracking_alarms_sit_at_the_target_and_90_percent_of_it(self):
        sb = self.sb
        sb.exec_role()
        sb.cluster()
        sb.push("web", "v1")
        tg = sb.load_balancer()
        sb.service("web", sb.task_definition("web", f"{REGISTRY}/web:v1"), 1, loadBalancers=[
            {"targetGroupArn": tg, "containerName": "app", "containerPort": 80}])
        sb.api("application-autoscaling", "register_scalable_target", ServiceNamespace="ecs", ResourceId=RESOURCE,
               ScalableDimension="ecs:service:DesiredCount", MinCapacity=1, MaxCapacity=4)
        cpu = {"PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}
        self.put_policy("cpu", {"TargetValue": 50.0, **cpu}, cli=True)
        alarms = self.alarms()
        self.assertEqual(sorted(alarms), ["high", "low"])
        high, low = alarms["high"], alarms["low"]
        self.assertEqual((high["Threshold"], high["ComparisonOperator"], high["EvaluationPeriods"]),
                         (50.0, "GreaterThanThreshold", 3))
        self.assertEqual((low["Threshold"], low["ComparisonOperator"], low["EvaluationPeriods"]),
                         (45.0, "LessThanThreshold", 15))
        self.assertEqual(high["MetricName"], "CPUUtilization")

        # the same policy with another target: its two alarms move, no others appear
        self.put_policy("cpu", {"TargetValue": 70.0, **cpu})
        alarms = self.alarms()
        self.assertEqual(len(sb.api("cloudwatch", "describe_alarms")["MetricAlarms"]), 2)
        self.assertEqual((alarms["high"]["Threshold"], alarms["low"]["Threshold"]), (70.0, 63.0))

        # request count per target: the target group's metric
        sb.api("application-autoscaling", "delete_scaling_policy", ServiceNamespace="ecs", ResourceId=RESOURCE,
               ScalableDimension="ecs:service:DesiredCount", PolicyName="cpu")
        lb = sb.api("elbv2", "describe_target_groups", TargetGroupArns=[tg])["TargetGroups"][0]["LoadBalancerArns"][0]
        label = lb.split(":loadbalancer/")[1] + "/" + tg.split(":")[-1]
        self.put_policy("requests", {"TargetValue": 100.0, "PredefinedMetricSpecification": {
            "PredefinedMetricType": "ALBRequestCountPerTarget", "ResourceLabel": label}})
        alarms = self.alarms()
        self.assertEqual((alarms["high"]["Threshold"], alarms["low"]["Threshold"]), (100.0, 90.0))
        self.assertEqual((alarms["high"]["Namespace"], alarms["high"]["MetricName"], alarms["high"]["Statistic"]),
                         ("AWS/ApplicationELB", "RequestCountPerTarget", "Sum"))
        self.assertEqual(alarms["high"]["Dimensions"], [{"Name": "TargetGroup", "Value": tg.split(":")[-1]}])


if __name__ == "__main__":
    import unittest

    unittest.main()
