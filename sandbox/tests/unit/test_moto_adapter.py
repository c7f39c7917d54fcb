"""Contract tests of moto_adapter against the pinned moto, in-process (no server, no
CLI): resources made through moto (boto3 under mock_aws) appear in MotoWorld's views,
and what the simulation writes through MotoWorld appears in moto's answers.

Needs the sandbox's venv (moto as pinned in sandbox/requirements.txt); skipped
elsewhere: ``target/tmp/sandbox-home/venv/bin/python -m unittest -v test_moto_adapter``.
"""

from __future__ import annotations

import json
import os
import re
import unittest

from fakes import SERVER

PIN = re.search(r"^moto==([\w.]+)", open(os.path.join(SERVER, "..", "requirements.txt")).read(), re.M).group(1)
try:
    import moto

    HAVE = moto.__version__ == PIN
except ImportError:  # pragma: no cover
    moto = None
    HAVE = False

ACCOUNT = "123456789012"
REGION = "us-east-1"
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


@unittest.skipUnless(HAVE, f"needs moto=={PIN} (run with the sandbox venv's python)")
class MotoWorldContract(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
        from ecsdrill_sandbox import moto_adapter
        from ecsdrill_sandbox.ecs.model import EcsStore
        from ecsdrill_sandbox.images import ImageRegistry

        class Sim:  # what install() needs of the simulation
            autoscaling = None
            store = EcsStore()

        cls.A = moto_adapter
        cls.sim = Sim()
        moto_adapter.install(cls.sim)
        cls.images = ImageRegistry()

    def setUp(self):
        import boto3

        self.mock = moto.mock_aws()
        self.mock.start()
        self.addCleanup(self.mock.stop)
        self.world = self.A.MotoWorld()
        self.c = lambda name: boto3.client(name, region_name=REGION)

    def test_pinned_version(self):
        self.assertEqual(self.A.MOTO_VERSION, PIN)

    def test_role_view_and_iam_evaluation(self):
        from ecsdrill_sandbox import iam_eval

        iam = self.c("iam")
        arn = iam.create_role(RoleName="exec", Path="/service/", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        iam.put_role_policy(RoleName="exec", PolicyName="inline", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "ecr:BatchGetImage", "Resource": "arn:aws:ecr:*:*:repository/secret"}]}))
        policy = iam.create_policy(PolicyName="logs", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}))
        iam.attach_role_policy(RoleName="exec", PolicyArn=policy["Policy"]["Arn"])
        role = self.world.role(ACCOUNT, arn)
        self.assertEqual((role.arn, role.name), (arn, "exec"))
        self.assertEqual(role.trust_policy, TRUST)
        self.assertEqual(len(role.documents), 2)
        self.assertEqual(self.world.role(ACCOUNT, "exec").arn, arn)
        self.assertIsNone(self.world.role(ACCOUNT, "nobody"))
        self.assertIsNone(self.world.role(ACCOUNT, None))
        self.assertTrue(iam_eval.trusts_ecs_tasks(role))
        self.assertTrue(iam_eval.is_allowed(role, "logs:CreateLogStream", "arn:aws:logs:x"))
        self.assertEqual(iam_eval.decision(role, "ecr:BatchGetImage", "arn:aws:ecr:us-east-1:1:repository/secret"),
                         "explicitDeny")
        self.assertEqual(iam_eval.decision(role, "ssm:GetParameters", "*"), "implicitDeny")
        # SimulatePrincipalPolicy (install) over the same evaluation
        result = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["logs:PutLogEvents", "s3:GetObject"])
        self.assertEqual([r["EvalDecision"] for r in result["EvaluationResults"]], ["allowed", "implicitDeny"])

    def test_subnet_eni_and_security_group(self):
        ec2 = self.c("ec2")
        subnet = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][0]
        view = self.world.subnet(ACCOUNT, REGION, subnet["SubnetId"])
        self.assertEqual((view.id, view.vpc_id, view.availability_zone, view.cidr_block),
                         (subnet["SubnetId"], subnet["VpcId"], subnet["AvailabilityZone"], subnet["CidrBlock"]))
        self.assertIsNone(self.world.subnet(ACCOUNT, REGION, "subnet-nope"))
        sg = self.world.default_security_group(ACCOUNT, REGION, subnet["SubnetId"])
        groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [subnet["VpcId"]]},
                                                       {"Name": "group-name", "Values": ["default"]}])
        self.assertEqual(sg, groups["SecurityGroups"][0]["GroupId"])
        ip = subnet["CidrBlock"].rsplit(".", 2)[0] + ".0.11"
        eni_id, mac = self.world.create_eni(ACCOUNT, REGION, subnet["SubnetId"], ip, [sg], "arn:aws:ecs:attachment/x")
        self.assertIn(ip, self.world.used_ips(ACCOUNT, REGION, subnet["SubnetId"]))
        [eni] = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"]
        self.assertEqual((eni["PrivateIpAddress"], eni["Status"], eni["MacAddress"]), (ip, "in-use", mac))
        self.assertTrue(eni["RequesterManaged"])
        self.world.delete_eni(ACCOUNT, REGION, eni_id)
        self.assertNotIn(ip, self.world.used_ips(ACCOUNT, REGION, subnet["SubnetId"]))

    def test_default_network_and_egress(self):
        net = self.A.create_default_network(ACCOUNT, REGION)
        public, private = net["public_subnets"][0], net["private_subnets"][0]
        egress = self.world.egress
        self.assertTrue(egress(ACCOUNT, REGION, public, True, "docker"))
        self.assertFalse(egress(ACCOUNT, REGION, public, False, "docker"))
        self.assertFalse(egress(ACCOUNT, REGION, private, False, "ecr"))
        ec2 = self.c("ec2")
        rt = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [private]}])
        rt_id = rt["RouteTables"][0]["RouteTableId"]
        for svc in ("ecr.api", "ecr.dkr", "ssm"):
            ec2.create_vpc_endpoint(VpcId=net["vpc_id"], ServiceName=f"com.amazonaws.{REGION}.{svc}",
                                    VpcEndpointType="Interface", SubnetIds=[private])
        self.assertTrue(egress(ACCOUNT, REGION, private, False, "ssm"))
        self.assertFalse(egress(ACCOUNT, REGION, private, False, "ecr"))  # layers need the S3 gateway
        ec2.create_vpc_endpoint(VpcId=net["vpc_id"], ServiceName=f"com.amazonaws.{REGION}.s3",
                                VpcEndpointType="Gateway", RouteTableIds=[rt_id])
        self.assertTrue(egress(ACCOUNT, REGION, private, False, "ecr"))
        self.assertFalse(egress(ACCOUNT, REGION, private, False, "secretsmanager"))

    def test_push_image_and_digests(self):
        from ecsdrill_sandbox.images import Behavior

        first = self.A.push_image(ACCOUNT, REGION, "web", "v1", Behavior(), self.images)
        self.assertTrue(first["pushed"])
        d1 = first["imageDigest"]
        self.assertEqual(self.world.image_digest(ACCOUNT, REGION, "web", tag="v1"), d1)
        again = self.A.push_image(ACCOUNT, REGION, "web", "v1", Behavior(), self.images)
        self.assertFalse(again["pushed"])
        second = self.A.push_image(ACCOUNT, REGION, "web", "v1", Behavior(kind="crash"), self.images)
        d2 = second["imageDigest"]
        self.assertEqual(second["previousDigest"], d1)
        self.assertEqual(self.world.image_digest(ACCOUNT, REGION, "web", tag="v1"), d2)
        # the image the tag left stays pullable by digest (put_image patch)
        self.assertEqual(self.world.image_digest(ACCOUNT, REGION, "web", digest=d1), d1)
        self.assertIsNone(self.world.image_digest(ACCOUNT, REGION, "web", digest="sha256:" + "0" * 64))
        self.assertIsNone(self.world.image_digest(ACCOUNT, REGION, "nope", tag="v1"))
        self.assertEqual(self.images.behavior_for(ACCOUNT, REGION, "web", d2).kind, "crash")
        images = self.c("ecr").describe_images(repositoryName="web")["imageDetails"]
        by_digest = {i["imageDigest"]: i for i in images}
        self.assertNotIn("imageTags", by_digest[d1])
        manifest = json.loads(self.c("ecr").batch_get_image(repositoryName="web", imageIds=[{"imageDigest": d2}])
                              ["images"][0]["imageManifest"])
        self.assertEqual(by_digest[d2]["imageSizeInBytes"], sum(layer["size"] for layer in manifest["layers"]))

    def test_parameters_and_secrets(self):
        self.c("ssm").put_parameter(Name="/app/db", Value="x", Type="String")
        exists = self.world.ssm_parameter_exists
        self.assertTrue(exists(ACCOUNT, REGION, "/app/db"))
        self.assertTrue(exists(ACCOUNT, REGION, "app/db"))
        self.assertFalse(exists(ACCOUNT, REGION, "/app/nope"))
        sm = self.c("secretsmanager")
        arn = sm.create_secret(Name="db", SecretString=json.dumps({"password": "p"}))["ARN"]
        secret = self.world.secret(ACCOUNT, REGION, arn)
        self.assertEqual((secret.arn, secret.deleted), (arn, False))
        self.assertEqual(json.loads(secret.secret_string), {"password": "p"})
        self.assertIsNone(self.world.secret(ACCOUNT, REGION, arn[:-7] + "zzzzzz"))
        sm.delete_secret(SecretId=arn, RecoveryWindowInDays=7)
        self.assertTrue(self.world.secret(ACCOUNT, REGION, arn).deleted)

    def test_logs(self):
        w = self.world
        self.assertFalse(w.log_group_exists(ACCOUNT, REGION, "/ecs/web"))
        w.create_log_group(ACCOUNT, REGION, "/ecs/web")
        self.assertTrue(w.log_group_exists(ACCOUNT, REGION, "/ecs/web"))
        w.create_log_stream(ACCOUNT, REGION, "/ecs/web", "ecs/app/1")
        w.create_log_stream(ACCOUNT, REGION, "/ecs/web", "ecs/app/1")  # idempotent
        w.put_log_events(ACCOUNT, REGION, "/ecs/web", "ecs/app/1", [{"timestamp": 1_700_000_000_000, "message": "hi"}])
        events = self.c("logs").get_log_events(logGroupName="/ecs/web", logStreamName="ecs/app/1")["events"]
        self.assertEqual([e["message"] for e in events], ["hi"])
        with self.assertRaises(KeyError):
            w.log_group_exists(ACCOUNT, "xx-nowhere-1", "/ecs/web")

    def _target_group(self):
        ec2, elb = self.c("ec2"), self.c("elbv2")
        subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][:2]
        lb = elb.create_load_balancer(Name="lb", Subnets=[s["SubnetId"] for s in subnets])["LoadBalancers"][0]
        tg = elb.create_target_group(Name="web", Protocol="HTTP", Port=80, VpcId=subnets[0]["VpcId"],
                                     TargetType="ip", Matcher={"HttpCode": "200-299"})["TargetGroups"][0]
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
        return elb, lb, tg

    def test_target_group_view(self):
        elb, lb, tg = self._target_group()
        elb.modify_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"], Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": "30"}])
        view = self.world.target_group(ACCOUNT, REGION, tg["TargetGroupArn"])
        self.assertEqual((view.name, view.port, view.protocol, view.target_type), ("web", 80, "HTTP", "ip"))
        self.assertEqual(view.load_balancer_arns, [lb["LoadBalancerArn"]])
        self.assertEqual((view.health_check_path, view.health_check_timeout_seconds), ("/", 5))  # tg_init patch
        self.assertEqual(view.matcher, "200-299")
        self.assertEqual(view.deregistration_delay_seconds, 30.0)
        self.assertEqual((view.healthy_threshold_count, view.unhealthy_threshold_count), (5, 2))
        self.assertIsNone(self.world.target_group(ACCOUNT, REGION, tg["TargetGroupArn"] + "x"))

    def test_a_target_group_follows_the_listener_that_forwards_to_it(self):
        elb, lb, tg1 = self._target_group()
        vpc = self.c("ec2").describe_vpcs()["Vpcs"][0]["VpcId"]
        tg2 = elb.create_target_group(Name="web2", Protocol="HTTP", Port=80, VpcId=vpc,
                                      TargetType="ip")["TargetGroups"][0]
        self.assertEqual(self.world.target_group(ACCOUNT, REGION, tg2["TargetGroupArn"]).load_balancer_arns, [])
        [listener] = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
        elb.modify_listener(ListenerArn=listener["ListenerArn"], DefaultActions=[
            {"Type": "forward", "TargetGroupArn": tg2["TargetGroupArn"]}])
        views = {arn: self.world.target_group(ACCOUNT, REGION, arn).load_balancer_arns
                 for arn in (tg1["TargetGroupArn"], tg2["TargetGroupArn"])}
        self.assertEqual(views, {tg1["TargetGroupArn"]: [], tg2["TargetGroupArn"]: [lb["LoadBalancerArn"]]})
        described = elb.describe_target_groups(TargetGroupArns=[tg1["TargetGroupArn"]])["TargetGroups"][0]
        self.assertEqual(described["LoadBalancerArns"], [])
        elb.delete_listener(ListenerArn=listener["ListenerArn"])
        self.assertEqual(self.world.target_group(ACCOUNT, REGION, tg2["TargetGroupArn"]).load_balancer_arns, [])

    def test_target_health_set_by_the_simulation(self):
        elb, _lb, tg = self._target_group()
        arn = tg["TargetGroupArn"]
        w = self.world

        def health():
            return {d["Target"]["Id"]: d["TargetHealth"]
                    for d in elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]}

        w.register_target(ACCOUNT, REGION, arn, "172.31.0.11", 80)
        w.set_target_health(ACCOUNT, REGION, arn, "172.31.0.11", "initial", "Elb.RegistrationInProgress",
                            "Target registration is in progress")
        self.assertEqual(health()["172.31.0.11"]["State"], "initial")
        w.set_target_health(ACCOUNT, REGION, arn, "172.31.0.11", "unhealthy", "Target.ResponseCodeMismatch",
                            "Health checks failed with these codes: [404]")
        self.assertEqual(health()["172.31.0.11"], {"State": "unhealthy", "Reason": "Target.ResponseCodeMismatch",
                                                   "Description": "Health checks failed with these codes: [404]"})
        w.set_target_health(ACCOUNT, REGION, arn, "172.31.0.11", "healthy")
        self.assertEqual(health()["172.31.0.11"]["State"], "healthy")
        w.deregister_target(ACCOUNT, REGION, arn, "172.31.0.11")
        self.assertNotIn("172.31.0.11", health())

    def test_application_auto_scaling(self):
        from ecsdrill_sandbox.ecs.model import Service

        aas, cw = self.c("application-autoscaling"), self.c("cloudwatch")
        resource = "service/default/web"
        with self.assertRaisesRegex(Exception, "ECS service doesn't exist: service/default/web"):
            aas.register_scalable_target(ServiceNamespace="ecs", ResourceId=resource,
                                         ScalableDimension="ecs:service:DesiredCount", MinCapacity=1, MaxCapacity=4)
        region = self.sim.store.region(ACCOUNT, REGION)
        region.services["default:web"] = Service(name="web", arn="arn:aws:ecs:::service/default/web",
                                                 cluster_name="default", cluster_arn="arn:aws:ecs:::cluster/default",
                                                 task_definition="arn:aws:ecs:::task-definition/web:1")
        self.addCleanup(self.sim.store.reset)
        aas.register_scalable_target(ServiceNamespace="ecs", ResourceId=resource,
                                     ScalableDimension="ecs:service:DesiredCount", MinCapacity=1, MaxCapacity=4)
        conf = {"TargetValue": 50.0, "PredefinedMetricSpecification": {
            "PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}
        for _ in range(2):  # put twice: the alarms are replaced, not added (put_scaling_policy patch)
            aas.put_scaling_policy(PolicyName="cpu", ServiceNamespace="ecs", ResourceId=resource,
                                   ScalableDimension="ecs:service:DesiredCount", PolicyType="TargetTrackingScaling",
                                   TargetTrackingScalingPolicyConfiguration=conf)
        [target] = [t for t in self.world.scalable_targets() if t.resource_id == resource]
        self.assertEqual((target.account, target.region, target.min_capacity, target.max_capacity),
                         (ACCOUNT, REGION, 1, 4))
        [policy] = self.world.scaling_policies(ACCOUNT, REGION)
        self.assertEqual((policy.name, policy.policy_type, policy.target_tracking["TargetValue"]),
                         ("cpu", "TargetTrackingScaling", 50.0))
        alarms = {a["AlarmName"]: a for a in cw.describe_alarms()["MetricAlarms"]}
        self.assertEqual(sorted(alarms), sorted(policy.alarm_names))
        high = next(n for n in policy.alarm_names if "-AlarmHigh-" in n)
        low = next(n for n in policy.alarm_names if "-AlarmLow-" in n)
        self.assertEqual((alarms[high]["Threshold"], alarms[low]["Threshold"]), (50.0, 45.0))  # ecs_alarms patch
        self.world.set_alarm_state(ACCOUNT, REGION, high, "ALARM")
        states = {a["AlarmName"]: a["StateValue"] for a in cw.describe_alarms()["MetricAlarms"]}
        self.assertEqual((states[high], states[low]), ("ALARM", "OK"))

    def test_scaling_activities_come_from_the_simulation(self):
        seen = []

        class Activities:
            def describe_activities(self, account, region, namespace, resource_id, dimension):
                seen.append((account, region, namespace, resource_id, dimension))
                return [{"ActivityId": "a1", "ServiceNamespace": "ecs", "ResourceId": "service/default/web",
                         "ScalableDimension": "ecs:service:DesiredCount", "Description": "d", "Cause": "c",
                         "StartTime": 1_700_000_000.0, "StatusCode": "Successful"}]

        self.sim.autoscaling = Activities()
        self.addCleanup(setattr, self.sim, "autoscaling", None)
        out = self.c("application-autoscaling").describe_scaling_activities(
            ServiceNamespace="ecs", ResourceId="service/default/web")["ScalingActivities"]
        self.assertEqual([a["ActivityId"] for a in out], ["a1"])
        self.assertEqual(seen, [(ACCOUNT, REGION, "ecs", "service/default/web", None)])

    def test_randomness_follows_the_seed(self):
        from moto.moto_api._internal import mock_random

        self.A.seed_random(42)
        a = [self.world.uuid4(), self.world.randint(10, 10**18)]
        self.A.seed_random(42)
        mock_random.random()  # moto drawing (a backend built on first use) moves nothing here
        self.assertEqual(a, [self.world.uuid4(), self.world.randint(10, 10**18)])
        self.assertRegex(a[0], r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

    def test_snapshot_and_restore(self):
        from ecsdrill_sandbox.images import Behavior

        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"  # as the server has it
        self.addCleanup(os.environ.pop, "MOTO_IAM_LOAD_MANAGED_POLICIES", None)

        elb, _lb, tg = self._target_group()
        arn = tg["TargetGroupArn"]
        self.world.register_target(ACCOUNT, REGION, arn, "172.31.0.11", 80)
        self.world.set_target_health(ACCOUNT, REGION, arn, "172.31.0.11", "healthy")
        self.c("ssm").put_parameter(Name="/app/db", Value="x", Type="String")
        self.c("iam").create_role(RoleName="exec", AssumeRolePolicyDocument=json.dumps(TRUST))
        managed = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
        self.c("iam").attach_role_policy(RoleName="exec", PolicyArn=managed)
        digest = self.A.push_image(ACCOUNT, REGION, "web", "v1", Behavior(), self.images)["imageDigest"]
        blob = self.A.backends_state()
        self.assertLess(len(blob), 5 * 2**20)  # AWS managed policies are saved by name, not in full
        expected = [self.world.uuid4(), self.world.randint(1, 10**9)]
        self.A.reset_moto()
        self.assertIsNone(self.world.role(ACCOUNT, "exec"))
        self.A.restore_backends(blob)
        self.assertEqual([self.world.uuid4(), self.world.randint(1, 10**9)], expected)  # the seeded random too
        self.assertEqual(self.world.role(ACCOUNT, "exec").name, "exec")
        iam = self.c("iam")
        attached = iam.list_attached_role_policies(RoleName="exec")["AttachedPolicies"]
        self.assertEqual([a["PolicyArn"] for a in attached], [managed])
        self.assertEqual(iam.get_policy(PolicyArn=managed)["Policy"]["AttachmentCount"], 1)
        self.assertEqual(len(iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]), 1)
        self.assertTrue(self.world.role(ACCOUNT, "exec").documents)  # the managed policy's document
        self.assertTrue(self.world.ssm_parameter_exists(ACCOUNT, REGION, "/app/db"))
        self.c("ssm").put_parameter(Name="/app/other", Value="y", Type="String")  # SSM's dicts still work
        self.assertEqual(self.world.image_digest(ACCOUNT, REGION, "web", tag="v1"), digest)
        health = elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
        self.assertEqual([(h["Target"]["Id"], h["TargetHealth"]["State"]) for h in health], [("172.31.0.11", "healthy")])

    def test_aws_managed_policies_as_moto_builds_them(self):
        # install() builds them from inputs parsed once; moto's own from_data is the reference
        from moto.iam import models as iam_models
        from moto.moto_api._internal import mock_random

        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"  # as the server has it
        self.addCleanup(os.environ.pop, "MOTO_IAM_LOAD_MANAGED_POLICIES", None)
        self.assertIs(iam_models.IAMBackend._init_aws_policies, self.A.init_aws_policies)
        mock_random.seed(3)
        ours = iam_models.IAMBackend(REGION, ACCOUNT).aws_managed_policies
        mock_random.seed(3)
        data = json.loads(iam_models.aws_managed_policies_data)
        theirs = [iam_models.AWSManagedPolicy.from_data(name, ACCOUNT, REGION, d) for name, d in data.items()]
        self.assertGreater(len(ours), 1000)

        def view(p):
            return (type(p), p.name, p.arn, p.id, p.path, p.default_version_id, p.create_date, p.update_date,
                    [(v.document, v.version_id, v.is_default) for v in p.versions])

        self.assertEqual([view(p) for p in ours], [view(p) for p in theirs])

        # each backend has its own objects: an attachment before a reset is gone after it
        managed = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
        iam = self.c("iam")
        iam.create_role(RoleName="exec", AssumeRolePolicyDocument=json.dumps(TRUST))
        iam.attach_role_policy(RoleName="exec", PolicyArn=managed)
        self.assertEqual(iam.get_policy(PolicyArn=managed)["Policy"]["AttachmentCount"], 1)
        self.A.reset_moto()
        self.assertEqual(iam.get_policy(PolicyArn=managed)["Policy"]["AttachmentCount"], 0)

    def test_reset(self):
        self.c("ssm").put_parameter(Name="/p", Value="x", Type="String")
        self.A.reset_moto()
        self.assertFalse(self.world.ssm_parameter_exists(ACCOUNT, REGION, "/p"))


if __name__ == "__main__":
    unittest.main()
