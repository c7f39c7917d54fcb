"""12. ECS-native blue/green and canary deployments through the real `aws` CLI: the
listener rules' weights as `elbv2 describe-rules` shows them at each stage, a PAUSE
hook found with `describe-service-deployments` and continued with
`continue-service-deployment`, and a rollback in the bake time with
`stop-service-deployment`. The stage machine itself is proven in-process
(unit/test_strategies.py)."""

import json

from harness import ACCOUNT, REGISTRY, SandboxTest, setUpModule, tearDownModule  # noqa: F401

INFRA_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
INFRA_POLICY = "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"


class Strategies(SandboxTest):
    def setUp(self):
        super().setUp()
        sb = self.sb
        sb.exec_role()
        sb.cluster()
        sb.push("web", "v1")
        sb.push("web", "v2")
        net = sb.network()
        lb = sb.api("elbv2", "create_load_balancer", Name="shop", Subnets=net["public_subnets"],
                    SecurityGroups=[net["default_security_group"]])["LoadBalancers"][0]
        self.blue, self.green = (
            sb.api("elbv2", "create_target_group", Name=f"shop-{c}", Protocol="HTTP", Port=80, VpcId=net["vpc_id"],
                   TargetType="ip", HealthCheckIntervalSeconds=10)["TargetGroups"][0]["TargetGroupArn"]
            for c in ("blue", "green"))
        for tg in (self.blue, self.green):
            sb.api("elbv2", "modify_target_group_attributes", TargetGroupArn=tg,
                   Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "5"}])
        forward = [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
            {"TargetGroupArn": self.blue, "Weight": 100}, {"TargetGroupArn": self.green, "Weight": 0}]}}]
        self.rules = {}
        for port in (80, 8080):
            listener = sb.api("elbv2", "create_listener", LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP",
                              Port=port, DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {
                                  "StatusCode": "404"}}])["Listeners"][0]
            self.rules[port] = sb.api("elbv2", "create_rule", ListenerArn=listener["ListenerArn"], Priority=1,
                                      Conditions=[{"Field": "path-pattern", "Values": ["/*"]}],
                                      Actions=forward)["Rules"][0]["RuleArn"]
        sb.api("iam", "create_role", RoleName="ecsInfrastructureRoleForLoadBalancers",
               AssumeRolePolicyDocument=INFRA_TRUST)
        sb.api("iam", "attach_role_policy", RoleName="ecsInfrastructureRoleForLoadBalancers", PolicyArn=INFRA_POLICY)
        self.role = f"arn:aws:iam::{ACCOUNT}:role/ecsInfrastructureRoleForLoadBalancers"

    def lb_arg(self) -> str:
        return json.dumps([{"targetGroupArn": self.blue, "containerName": "app", "containerPort": 80,
                            "advancedConfiguration": {"alternateTargetGroupArn": self.green,
                                                      "productionListenerRule": self.rules[80],
                                                      "testListenerRule": self.rules[8080],
                                                      "roleArn": self.role}}])

    def weights(self, port: int = 80, cli: bool = False) -> dict:
        """The production (80) or test (8080) rule's weights (polls go through botocore)."""
        if cli:
            rule = self.sb.aws("elbv2", "describe-rules", "--rule-arns", self.rules[port])["Rules"][0]
        else:
            rule = self.sb.api("elbv2", "describe_rules", RuleArns=[self.rules[port]])["Rules"][0]
        groups = rule["Actions"][0]["ForwardConfig"]["TargetGroups"]
        return {("blue" if g["TargetGroupArn"] == self.blue else "green"): g["Weight"] for g in groups}

    def deployment(self, cli: bool = False) -> dict:
        if not cli:
            arn = self.sb.api("ecs", "list_service_deployments", cluster="lab", service="web")[
                "serviceDeployments"][0]["serviceDeploymentArn"]
            return self.sb.api("ecs", "describe_service_deployments", serviceDeploymentArns=[arn])[
                "serviceDeployments"][0]
        arn = self.sb.aws("ecs", "list-service-deployments", "--cluster", "lab", "--service", "web")[
            "serviceDeployments"][0]["serviceDeploymentArn"]
        return self.sb.aws("ecs", "describe-service-deployments", "--service-deployment-arns", arn)[
            "serviceDeployments"][0]

    def until(self, predicate, limit: int = 900, step: int = 5):
        for _ in range(limit // step):
            if predicate():
                return
            self.sb.advance(step)
        self.fail("not reached")

    def create(self, configuration: dict) -> None:
        td = self.sb.task_definition("web", f"{REGISTRY}/web:v1")
        self.sb.service("web", td, 2, extra=["--load-balancers", self.lb_arg(),
                                              "--deployment-configuration", json.dumps(configuration)])
        self.until(lambda: self.describe("web")["deployments"][0]["rolloutState"] == "COMPLETED")

    def deploy_v2(self) -> None:
        td = self.sb.task_definition("web", f"{REGISTRY}/web:v2")
        self.sb.aws("ecs", "update-service", "--cluster", "lab", "--service", "web", "--task-definition", td)

    def test_blue_green_with_a_pause_hook_then_a_rollback_in_the_bake_time(self):
        sb = self.sb
        self.create({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 10, "lifecycleHooks": [
            {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}]})
        self.assertEqual(self.weights(), {"blue": 100, "green": 0})
        self.deploy_v2()
        self.until(lambda: self.deployment().get("lifecycleStage") == "POST_TEST_TRAFFIC_SHIFT")
        d = self.deployment(cli=True)
        [hook] = d["lifecycleHookDetails"]
        self.assertEqual((hook["targetType"], hook["status"]), ("PAUSE", "AWAITING_ACTION"))
        self.assertEqual(self.weights(8080, cli=True), {"blue": 0, "green": 100})  # test traffic on green
        self.assertEqual(self.weights(80), {"blue": 100, "green": 0})  # production still on blue
        self.assertEqual(len(sb.target_health(self.green)), 2)
        sb.aws("ecs", "continue-service-deployment", "--service-deployment-arn", d["serviceDeploymentArn"],
               "--hook-id", hook["hookId"], "--action", "CONTINUE")
        sb.advance(1)
        d = self.deployment(cli=True)
        self.assertEqual(d["lifecycleStage"], "BAKE_TIME")
        self.assertEqual(self.weights(80, cli=True), {"blue": 0, "green": 100})
        self.assertEqual(d["targetServiceRevision"]["requestedProductionTrafficWeight"], 100.0)
        sb.advance(120)
        sb.aws("ecs", "stop-service-deployment", "--service-deployment-arn", d["serviceDeploymentArn"],
               "--stop-type", "ROLLBACK")
        self.assertEqual(self.weights(80), {"blue": 100, "green": 0})
        self.until(lambda: self.deployment()["status"] == "ROLLBACK_SUCCESSFUL")
        self.assertEqual(len(sb.target_health(self.blue)), 2)
        self.assertTrue(self.describe("web")["taskDefinition"].endswith("web:1"))
        events = self.events("web", cli=True)
        self.assertTrue(any("entered lifecycle stage BAKE_TIME" in e for e in events))
        self.assertTrue(any("rolling back to deployment" in e for e in events))

    def test_canary_moves_the_production_weights_in_two_steps(self):
        self.create({"strategy": "CANARY", "bakeTimeInMinutes": 1,
                     "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 2}})
        self.deploy_v2()
        self.until(lambda: self.weights() == {"blue": 90, "green": 10})
        self.assertEqual(self.deployment()["lifecycleStage"], "PRODUCTION_TRAFFIC_SHIFT")
        self.sb.advance(60)
        self.assertEqual(self.weights(), {"blue": 90, "green": 10})
        self.until(lambda: self.weights() == {"blue": 0, "green": 100}, 120, 5)
        self.until(lambda: self.deployment()["status"] == "SUCCESSFUL")
        self.assertEqual(self.sb.target_health(self.blue), [])

    def test_linear_with_a_pause_before_each_step_rolled_back_at_the_second(self):
        sb = self.sb
        self.create({"strategy": "LINEAR", "bakeTimeInMinutes": 1,
                     "linearConfiguration": {"stepPercent": 50.0, "stepBakeTimeInMinutes": 1},
                     "lifecycleHooks": [{"targetType": "PAUSE",
                                         "lifecycleStages": ["PRE_PRODUCTION_TRAFFIC_SHIFT"]}]})
        self.deploy_v2()

        def waiting():
            hooks = self.deployment().get("lifecycleHookDetails", [])
            return [h for h in hooks if h["status"] == "AWAITING_ACTION"]

        self.until(lambda: waiting())
        arn = self.deployment()["serviceDeploymentArn"]
        self.assertEqual(self.weights(), {"blue": 100, "green": 0})
        sb.aws("ecs", "continue-service-deployment", "--service-deployment-arn", arn,
               "--hook-id", waiting()[0]["hookId"])
        sb.advance(1)
        self.assertEqual(self.weights(80, cli=True), {"blue": 50, "green": 50})
        self.until(lambda: waiting())  # the next step waits again, after the step bake
        sb.aws("ecs", "continue-service-deployment", "--service-deployment-arn", arn,
               "--hook-id", waiting()[0]["hookId"], "--action", "ROLLBACK")
        self.assertEqual(self.weights(), {"blue": 100, "green": 0})
        self.until(lambda: self.deployment()["status"] == "ROLLBACK_SUCCESSFUL")
        d = self.deployment(cli=True)
        self.assertEqual([h["status"] for h in d["lifecycleHookDetails"]], ["SUCCEEDED", "FAILED"])
        # the stages, in the order the service's events name them
        dep = [e for e in self.events("web") if "entered lifecycle stage" in e]
        stages = [e.rsplit(" ", 1)[1].rstrip(".") for e in reversed(dep)]
        self.assertEqual(stages, ["PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
                                  "POST_TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT"])

    def test_what_the_cli_says_about_a_hook_configuration_ecs_refuses(self):
        td = self.sb.task_definition("web", f"{REGISTRY}/web:v1")
        err = self.sb.aws_error("ecs", "create-service", "--cluster", "lab", "--service-name", "web",
                                "--task-definition", td, "--desired-count", "1", "--launch-type", "FARGATE",
                                "--network-configuration", self.sb.netconf(), "--load-balancers", self.lb_arg(),
                                "--deployment-configuration", json.dumps({
                                    "strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5, "lifecycleHooks": [
                                        {"targetType": "PAUSE", "lifecycleStages": ["PRODUCTION_TRAFFIC_SHIFT"]}]}))
        self.assertIn("InvalidParameterException", err)
        self.assertIn("PAUSE hooks cannot be configured at the PRODUCTION_TRAFFIC_SHIFT stage", err)
