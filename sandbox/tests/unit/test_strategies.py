"""ECS-native blue/green, linear and canary deployments (ecs/strategies.py), in-process
through the ECS API (Provider.handle) over a fake world: stages in order, listener-rule
weights at each step, bake time, lifecycle hooks (PAUSE, declared Lambda outcomes,
time-outs), rollbacks (hook, StopServiceDeployment, alarm, a role that may not shift
traffic) and what describe-service-deployments shows at each point."""

from __future__ import annotations

import unittest

from fakes import ACCOUNT, REGION, M, Role
from test_provider_api import Api

ELB = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}"
PROD_RULE = f"{ELB}:listener-rule/app/lb/1/aaa/111"
TEST_RULE = f"{ELB}:listener-rule/app/lb/1/bbb/222"
INFRA_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecsInfrastructureRole"
ECS_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
ELB_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["elasticloadbalancing:ModifyRule", "elasticloadbalancing:ModifyListener",
                                   "elasticloadbalancing:Describe*"], "Resource": "*"}]}


class BlueGreen:
    """A service behind a blue and a green target group, a production and a test rule."""

    def __init__(self, strategy: str = "BLUE_GREEN", hooks: list | None = None, test_rule: bool = True,
                 role_documents: list | None = None, desired: int = 2, **conf) -> None:
        self.api = api = Api()
        k = self.k = api.k
        self.blue_tg = k.target_group("web-blue").arn
        self.green_tg = k.target_group("web-green").arn
        k.world.rules[PROD_RULE] = {self.blue_tg: 100, self.green_tg: 0}
        k.world.rules[TEST_RULE] = {self.blue_tg: 100, self.green_tg: 0}
        k.world.roles["ecsInfrastructureRole"] = Role(
            arn=INFRA_ROLE, name="ecsInfrastructureRole", trust_policy=ECS_TRUST,
            documents=[ELB_POLICY] if role_documents is None else role_documents)
        advanced = {"alternateTargetGroupArn": self.green_tg, "productionListenerRule": PROD_RULE,
                    "roleArn": INFRA_ROLE}
        if test_rule:
            advanced["testListenerRule"] = TEST_RULE
        configuration = {"strategy": strategy, "bakeTimeInMinutes": 5, **conf}
        if hooks:
            configuration["lifecycleHooks"] = hooks
        self.v1 = api.register("v1")
        api.service(self.v1, desired, loadBalancers=[{"targetGroupArn": self.blue_tg, "containerName": "app",
                                                      "containerPort": 80, "advancedConfiguration": advanced}],
                    deploymentConfiguration=configuration)
        self.svc = k.region.services["default:web"]
        k.until(lambda: k.steady(self.svc), 900)

    def deploy(self, tag: str = "v2") -> str:
        td = self.api.register(tag)
        self.api("UpdateService", cluster="default", service="web", taskDefinition=td)
        return self.latest_arn()

    def latest_arn(self) -> str:
        return self.api("ListServiceDeployments", cluster="default", service="web")["serviceDeployments"][0][
            "serviceDeploymentArn"]

    def describe(self, arn: str) -> dict:
        return self.api("DescribeServiceDeployments", serviceDeploymentArns=[arn])["serviceDeployments"][0]

    def stage(self, arn: str) -> str | None:
        return self.describe(arn).get("lifecycleStage")

    def prod(self) -> dict:
        return self.k.world.rules[PROD_RULE]

    def tasks_in(self, tg: str) -> set:
        return set(self.k.world.targets.get(tg, {}))

    def stages_until(self, arn: str, done, limit: float = 3600) -> list[str]:
        seen: list[str] = []
        waited = 0.0
        while not done():
            stage = self.stage(arn)
            if stage and (not seen or seen[-1] != stage):
                seen.append(stage)
            self.k.advance(1)
            waited += 1
            if waited > limit:
                raise AssertionError(f"not done within {limit} s; stages {seen}")
        stage = self.stage(arn)
        if stage and seen[-1:] != [stage]:
            seen.append(stage)
        return seen


def by_stage(detail: dict) -> list[str]:
    return [h["status"] for h in detail.get("lifecycleHookDetails", [])]


class BlueGreenDeployment(unittest.TestCase):
    def test_stages_in_order_traffic_moves_once_and_blue_bakes_then_goes(self):
        bg = BlueGreen()
        blue_ips = bg.tasks_in(bg.blue_tg)
        self.assertEqual(len(blue_ips), 2)
        self.assertEqual(bg.prod(), {bg.blue_tg: 100, bg.green_tg: 0})
        arn = bg.deploy()
        states = []

        def done():
            d = bg.describe(arn)
            if d.get("lifecycleStage") == "BAKE_TIME" and not states:
                states.append((dict(bg.prod()), dict(bg.k.world.rules[TEST_RULE]), bg.k.clock.now()))
            return d["status"] == "SUCCESSFUL"

        seen = bg.stages_until(arn, done)
        self.assertEqual(seen, ["SCALE_UP", "BAKE_TIME", "CLEAN_UP"])  # the stages that take time
        dep_id = bg.svc.deployments[0]["id"]
        stages = [m.split("entered lifecycle stage ")[1].rstrip(".") for m in bg.k.messages(bg.svc)
                  if f"(deployment {dep_id}) entered lifecycle stage" in m]
        self.assertEqual(stages, ["PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
                                  "POST_TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT",
                                  "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"])
        prod_at_bake, test_at_bake, bake_started = states[0]
        self.assertEqual(prod_at_bake, {bg.blue_tg: 0, bg.green_tg: 100})
        self.assertEqual(test_at_bake, {bg.blue_tg: 0, bg.green_tg: 100})
        # green registered in the alternate group; blue drained out of its own after the bake
        self.assertEqual(len(bg.tasks_in(bg.green_tg)), 2)
        self.assertEqual(bg.tasks_in(bg.blue_tg), set())
        # blue kept running through the bake time (5 minutes)
        stops = [t.stopping_at for t in bg.k.tasks(bg.svc) if t.task_definition_arn.endswith(":1")]
        self.assertTrue(all(s is not None and (s - bake_started).total_seconds() >= 300 for s in stops), stops)
        d = bg.describe(arn)
        self.assertEqual(d["targetServiceRevision"]["requestedProductionTrafficWeight"], 100.0)
        self.assertEqual(d["sourceServiceRevisions"][0]["requestedProductionTrafficWeight"], 0.0)
        self.assertIn(M.DEPLOYMENT_COMPLETED.format(svc="web", dep=bg.svc.deployments[0]["id"]),
                      bg.k.messages(bg.svc))

    def test_the_next_deployment_goes_back_to_the_first_target_group(self):
        bg = BlueGreen()
        first = bg.deploy("v2")
        bg.k.until(lambda: bg.describe(first)["status"] == "SUCCESSFUL", 3600)
        second = bg.deploy("v1")
        bg.k.until(lambda: bg.describe(second)["status"] == "SUCCESSFUL", 3600)
        self.assertEqual(bg.prod(), {bg.blue_tg: 100, bg.green_tg: 0})
        self.assertEqual(len(bg.tasks_in(bg.blue_tg)), 2)
        self.assertEqual(bg.tasks_in(bg.green_tg), set())

    def test_without_a_test_rule_only_production_moves(self):
        bg = BlueGreen(test_rule=False)
        arn = bg.deploy()
        bg.k.until(lambda: bg.describe(arn)["status"] == "SUCCESSFUL", 3600)
        self.assertEqual(bg.k.world.rules[TEST_RULE], {bg.blue_tg: 100, bg.green_tg: 0})

    def test_the_breaker_does_not_judge_a_blue_green_deployment(self):
        bg = BlueGreen(deploymentCircuitBreaker={"enable": True, "rollback": True})
        bg.k.push("web", "v3", "crash")
        arn = bg.deploy("v3")
        bg.k.advance(900)
        d = bg.describe(arn)
        self.assertEqual((d["status"], d["lifecycleStage"]), ("IN_PROGRESS", "SCALE_UP"))
        self.assertEqual(bg.prod(), {bg.blue_tg: 100, bg.green_tg: 0})  # blue serves all along
        self.assertEqual(len(bg.tasks_in(bg.blue_tg)), 2)
        # stopping it by hand rolls it back
        bg.api("StopServiceDeployment", serviceDeploymentArn=arn, stopType="ROLLBACK")
        bg.k.until(lambda: bg.describe(arn)["status"] == "ROLLBACK_SUCCESSFUL", 900)
        self.assertIn("StopServiceDeployment", bg.describe(arn)["rollback"]["reason"])


class Rollbacks(unittest.TestCase):
    def test_a_rollback_in_the_bake_time_puts_traffic_back_and_keeps_blue_running(self):
        bg = BlueGreen()
        blue_tasks = {t.task_arn for t in bg.k.live(bg.svc)}
        arn = bg.deploy()
        bg.k.until(lambda: bg.stage(arn) == "BAKE_TIME", 900)
        self.assertEqual(bg.prod()[bg.green_tg], 100)
        bg.api("StopServiceDeployment", serviceDeploymentArn=arn)
        self.assertEqual(bg.prod(), {bg.blue_tg: 100, bg.green_tg: 0})
        self.assertEqual(bg.k.world.rules[TEST_RULE], {bg.blue_tg: 100, bg.green_tg: 0})
        bg.k.until(lambda: bg.describe(arn)["status"] == "ROLLBACK_SUCCESSFUL", 900)
        self.assertEqual({t.task_arn for t in bg.k.live(bg.svc)}, blue_tasks)  # never restarted
        self.assertEqual(bg.tasks_in(bg.green_tg), set())
        self.assertTrue(bg.svc.task_definition.endswith("web:1"))

    def test_an_alarm_in_alarm_during_the_deployment_rolls_it_back(self):
        bg = BlueGreen(alarms={"alarmNames": ["web-5xx"], "enable": True, "rollback": True})
        bg.k.world.alarm_states["web-5xx"] = "OK"
        arn = bg.deploy()
        bg.k.until(lambda: bg.stage(arn) == "BAKE_TIME", 900)
        bg.k.advance(30)
        self.assertEqual(bg.describe(arn)["status"], "IN_PROGRESS")
        bg.k.world.alarm_states["web-5xx"] = "ALARM"
        bg.k.until(lambda: bg.describe(arn)["status"] == "ROLLBACK_SUCCESSFUL", 900)
        self.assertIn("web-5xx", bg.describe(arn)["rollback"]["reason"])
        self.assertEqual(bg.prod(), {bg.blue_tg: 100, bg.green_tg: 0})

    def test_a_role_that_may_not_modify_rules_rolls_back_at_the_first_shift(self):
        bg = BlueGreen(role_documents=[{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "elasticloadbalancing:Describe*", "Resource": "*"}]}])
        arn = bg.deploy()
        bg.k.until(lambda: bg.describe(arn)["status"] == "ROLLBACK_SUCCESSFUL", 900)
        self.assertTrue(any("elasticloadbalancing:ModifyRule" in m and "ecsInfrastructureRole" in m
                            for m in bg.k.messages(bg.svc)))
        self.assertEqual(bg.prod(), {bg.blue_tg: 100, bg.green_tg: 0})

    def test_a_rule_that_lacks_the_alternate_target_group_rolls_back_at_once(self):
        bg = BlueGreen(test_rule=False)
        bg.k.world.rules[PROD_RULE] = {bg.blue_tg: 100}  # green on no rule
        arn = bg.deploy()
        bg.k.advance(1)
        d = bg.describe(arn)
        self.assertEqual(d["statusReason"], M.ROLLOUT_INVALID_NETWORKING)
        bg.k.until(lambda: bg.describe(arn)["status"] == "ROLLBACK_SUCCESSFUL", 300)
        self.assertEqual(bg.tasks_in(bg.green_tg), set())

    def test_stop_refuses_a_deployment_that_is_over(self):
        bg = BlueGreen()
        arn = bg.deploy()
        bg.k.until(lambda: bg.describe(arn)["status"] == "SUCCESSFUL", 3600)
        self.assertEqual(bg.api.error("StopServiceDeployment", serviceDeploymentArn=arn).code, "ConflictException")
        self.assertEqual(bg.api.error("StopServiceDeployment", serviceDeploymentArn=arn + "x").code,
                         "ServiceDeploymentNotFoundException")


class Hooks(unittest.TestCase):
    def pause(self, stage: str, **timeout) -> dict:
        hook = {"targetType": "PAUSE", "lifecycleStages": [stage]}
        if timeout:
            hook["timeoutConfiguration"] = timeout
        return hook

    def test_a_pause_hook_waits_until_continued(self):
        bg = BlueGreen(hooks=[self.pause("POST_SCALE_UP")])
        arn = bg.deploy()
        bg.k.until(lambda: bg.stage(arn) == "POST_SCALE_UP", 900)
        bg.k.advance(3600)
        d = bg.describe(arn)
        self.assertEqual((d["lifecycleStage"], by_stage(d)), ("POST_SCALE_UP", ["AWAITING_ACTION"]))
        self.assertEqual(bg.prod(), {bg.blue_tg: 100, bg.green_tg: 0})
        hook = d["lifecycleHookDetails"][0]
        self.assertEqual((hook["targetType"], hook["timeoutAction"]), ("PAUSE", "ROLLBACK"))
        self.assertTrue(any("awaits ContinueServiceDeployment" in m for m in bg.k.messages(bg.svc)))
        bg.api("ContinueServiceDeployment", serviceDeploymentArn=arn, hookId=hook["hookId"], action="CONTINUE")
        bg.k.until(lambda: bg.describe(arn)["status"] == "SUCCESSFUL", 3600)
        self.assertEqual(by_stage(bg.describe(arn)), ["SUCCEEDED"])

    def test_a_pause_hook_told_to_roll_back_rolls_back(self):
        bg = BlueGreen(hooks=[self.pause("POST_TEST_TRAFFIC_SHIFT")])
        arn = bg.deploy()
        bg.k.until(lambda: bg.stage(arn) == "POST_TEST_TRAFFIC_SHIFT", 900)
        self.assertEqual(bg.k.world.rules[TEST_RULE][bg.green_tg], 100)  # test traffic reached green
        hook = bg.describe(arn)["lifecycleHookDetails"][0]["hookId"]
        self.assertEqual(bg.api.error("ContinueServiceDeployment", serviceDeploymentArn=arn, hookId="nope").code,
                         "InvalidParameterException")
        bg.api("ContinueServiceDeployment", serviceDeploymentArn=arn, hookId=hook, action="ROLLBACK")
        bg.k.until(lambda: bg.describe(arn)["status"] == "ROLLBACK_SUCCESSFUL", 900)
        self.assertEqual(bg.k.world.rules[TEST_RULE], {bg.blue_tg: 100, bg.green_tg: 0})

    def test_a_hook_nobody_answers_times_out_with_its_action(self):
        bg = BlueGreen(hooks=[self.pause("PRE_SCALE_UP", timeoutInMinutes=10)])
        arn = bg.deploy()
        bg.k.advance(9 * 60)
        self.assertEqual(bg.describe(arn)["status"], "IN_PROGRESS")
        bg.k.until(lambda: bg.describe(arn)["status"] == "ROLLBACK_SUCCESSFUL", 600)
        self.assertEqual(by_stage(bg.describe(arn)), ["TIMED_OUT"])
        bg2 = BlueGreen(hooks=[self.pause("PRE_SCALE_UP", timeoutInMinutes=1, action="CONTINUE")])
        arn2 = bg2.deploy()
        bg2.k.until(lambda: bg2.describe(arn2)["status"] == "SUCCESSFUL", 3600)

    def test_lambda_hooks_take_their_declared_outcome_and_say_they_did_not_run(self):
        fn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:smoke-test"
        hook = {"targetType": "AWS_LAMBDA", "hookTargetArn": fn, "roleArn": INFRA_ROLE,
                "lifecycleStages": ["TEST_TRAFFIC_SHIFT"], "hookDetails": {"ecsdrillOutcome": "FAILED"}}
        bg = BlueGreen(hooks=[hook])
        arn = bg.deploy()
        bg.k.until(lambda: bg.describe(arn)["status"] == "ROLLBACK_SUCCESSFUL", 900)
        self.assertTrue(any("do not run in the ecsdrill sandbox" in m and "smoke-test" in m
                            for m in bg.k.messages(bg.svc)))
        self.assertEqual(by_stage(bg.describe(arn)), ["FAILED"])
        hook["hookDetails"] = {}
        ok = BlueGreen(hooks=[hook])
        arn = ok.deploy()
        ok.k.until(lambda: ok.describe(arn)["status"] == "SUCCESSFUL", 3600)


class Canary(unittest.TestCase):
    def weights_over_time(self, bg: BlueGreen, arn: str) -> list[tuple[float, int]]:
        """(minutes since the first shift, green's weight) at each change."""
        seen: list[tuple[float, int]] = []
        start = None
        while bg.describe(arn)["status"] == "IN_PROGRESS":
            w = bg.prod()[bg.green_tg]
            if w and (not seen or seen[-1][1] != w):
                start = start or bg.k.clock.now()
                seen.append(((bg.k.clock.now() - start).total_seconds() / 60, w))
            bg.k.advance(5)
        return seen

    def test_canary_shifts_its_percent_then_the_rest_after_its_bake(self):
        bg = BlueGreen("CANARY", canaryConfiguration={"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 3})
        arn = bg.deploy()
        seen = self.weights_over_time(bg, arn)
        self.assertEqual([w for _, w in seen], [10, 100])
        self.assertAlmostEqual(seen[1][0], 3.0, delta=0.2)
        self.assertEqual(bg.describe(arn)["status"], "SUCCESSFUL")

    def test_linear_moves_step_by_step(self):
        bg = BlueGreen("LINEAR", linearConfiguration={"stepPercent": 25.0, "stepBakeTimeInMinutes": 2})
        arn = bg.deploy()
        seen = self.weights_over_time(bg, arn)
        self.assertEqual([w for _, w in seen], [25, 50, 75, 100])
        self.assertEqual([round(t) for t, _ in seen], [0, 2, 4, 6])

    def test_a_pause_before_each_production_step(self):
        hook = {"targetType": "PAUSE", "lifecycleStages": ["PRE_PRODUCTION_TRAFFIC_SHIFT"]}
        bg = BlueGreen("CANARY", hooks=[hook], canaryConfiguration={"canaryPercent": 20.0,
                                                                    "canaryBakeTimeInMinutes": 1})
        arn = bg.deploy()
        for expected in (20, 100):
            bg.k.until(lambda: "AWAITING_ACTION" in by_stage(bg.describe(arn)), 900)
            d = bg.describe(arn)
            self.assertEqual(d["lifecycleStage"], "PRODUCTION_TRAFFIC_SHIFT")
            waiting = [h for h in d["lifecycleHookDetails"] if h["status"] == "AWAITING_ACTION"][0]
            bg.api("ContinueServiceDeployment", serviceDeploymentArn=arn, hookId=waiting["hookId"])
            bg.k.advance(1)
            self.assertEqual(bg.prod()[bg.green_tg], expected)
            self.assertEqual(bg.describe(arn)["targetServiceRevision"]["requestedProductionTrafficWeight"],
                             float(expected))
        bg.k.until(lambda: bg.describe(arn)["status"] == "SUCCESSFUL", 3600)


class Validation(unittest.TestCase):
    def refused(self, **kw) -> str:
        try:
            BlueGreen(**kw)
        except Exception as e:  # EcsError from CreateService
            return str(e)
        raise AssertionError("CreateService accepted it")

    def test_configurations_ecs_refuses(self):
        self.assertIn("PAUSE hooks cannot", self.refused(
            hooks=[{"targetType": "PAUSE", "lifecycleStages": ["PRODUCTION_TRAFFIC_SHIFT"]}]))
        self.assertIn("hookTargetArn", self.refused(hooks=[{"lifecycleStages": ["PRE_SCALE_UP"]}]))
        self.assertIn("stepPercent", self.refused(strategy="LINEAR", linearConfiguration={"stepPercent": 2.0}))
        self.assertIn("canaryConfiguration is only valid", self.refused(
            canaryConfiguration={"canaryPercent": 5.0}))
        self.assertIn("cannot assume the infrastructure role", self._untrusted())

    def _untrusted(self) -> str:
        api = Api()
        k = api.k
        blue, green = k.target_group("b").arn, k.target_group("g").arn
        k.world.rules[PROD_RULE] = {blue: 100}
        k.world.roles["r"] = Role(arn=INFRA_ROLE, name="r", trust_policy={"Statement": []}, documents=[ELB_POLICY])
        err = api.error("CreateService", cluster="default", serviceName="web", taskDefinition=api.register(),
                        desiredCount=1, launchType="FARGATE",
                        networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-a"]}},
                        loadBalancers=[{"targetGroupArn": blue, "containerName": "app", "containerPort": 80,
                                        "advancedConfiguration": {"alternateTargetGroupArn": green,
                                                                  "productionListenerRule": PROD_RULE,
                                                                  "roleArn": INFRA_ROLE}}],
                        deploymentConfiguration={"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1})
        return err.message

    def test_blue_green_needs_a_bake_time_and_the_advanced_configuration(self):
        api = Api()
        tg = api.k.target_group("b").arn
        base = dict(cluster="default", serviceName="web", taskDefinition=api.register(), desiredCount=1,
                    launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-a"]}})
        self.assertIn("bakeTimeInMinutes", api.error("CreateService", **base,
                                                     deploymentConfiguration={"strategy": "BLUE_GREEN"}).message)
        err = api.error("CreateService", **base, deploymentConfiguration={"strategy": "BLUE_GREEN",
                                                                            "bakeTimeInMinutes": 1},
                        loadBalancers=[{"targetGroupArn": tg, "containerName": "app", "containerPort": 80}])
        self.assertIn("advancedConfiguration.alternateTargetGroupArn", err.message)


if __name__ == "__main__":
    unittest.main()
