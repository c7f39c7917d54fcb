"""3. Task failures follow from the configuration."""

import json

from harness import ACCOUNT, REGISTRY, RUNNING_BY, SandboxTest, setUpModule, tearDownModule  # noqa: F401

INIT = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
FAILED_BY = RUNNING_BY + 3  # a task that fails its start checks is STOPPED 3 s later (DEPROVISIONING)
CRASHED_BY = RUNNING_BY + 3 + 5  # a crashing app exits 3 s after it starts, then STOPPING and DEPROVISIONING


class TaskFailures(SandboxTest):
    def run_task(self, td: str, cli: bool = False) -> str:
        """RunTask; with the real CLI as a lab runs it (cli=True), once in each test."""
        if cli:
            out = self.sb.aws("ecs", "run-task", "--cluster", "lab", "--task-definition", td, "--launch-type",
                              "FARGATE", "--network-configuration", self.sb.netconf())
        else:
            out = self.sb.api("ecs", "run_task", cluster="lab", taskDefinition=td, launchType="FARGATE",
                              networkConfiguration=self.sb.network_configuration())
        self.assertEqual(out["failures"], [])
        return out["tasks"][0]["taskArn"]

    def task(self, arn: str, cli: bool = False) -> dict:
        if cli:
            return self.sb.aws("ecs", "describe-tasks", "--cluster", "lab", "--tasks", arn)["tasks"][0]
        return self.sb.describe_tasks([arn])[0]

    def stopped_after(self, arn: str, seconds: int, cli: bool = False) -> dict:
        self.sb.advance(seconds)
        t = self.task(arn, cli)
        self.assertEqual(t["lastStatus"], "STOPPED", t)
        return t

    def setUp(self):
        super().setUp()
        self.sb.cluster()

    def test_missing_image_cannot_pull(self):
        sb = self.sb
        sb.exec_role()
        sb.push("web", "v1")
        for image in (f"{REGISTRY}/web:v9", f"{REGISTRY}/no-such-repo:v1"):
            arn = self.run_task(sb.task_definition("pull", image), cli=True)
            t = self.stopped_after(arn, FAILED_BY, cli=True)
            expected = ("CannotPullContainerError: pull image manifest has been retried 5 time(s): "
                        f"failed to resolve ref {image}: {image}: not found")
            self.assertEqual(t["stoppedReason"], expected)
            self.assertEqual(t["stopCode"], "TaskFailedToStart")
            self.assertEqual(t["containers"][0]["reason"], expected)
            self.assertNotIn("startedAt", t)
            self.assertIn("pullStartedAt", t)
        # pushing the missing tag fixes new tasks
        sb.push("web", "v9")
        arn = self.run_task("pull:1")
        sb.advance(RUNNING_BY)
        self.assertEqual(self.task(arn)["lastStatus"], "RUNNING")

    def test_execution_role_without_ecr_permission(self):
        sb = self.sb
        sb.push("web", "v1")
        image = f"{REGISTRY}/web:v1"
        # no policy at all: the registry auth token cannot be fetched
        role = sb.exec_role("noEcrRole", managed=False)
        t = self.stopped_after(self.run_task(sb.task_definition("a", image, role=role), cli=True), FAILED_BY, cli=True)
        self.assertTrue(t["stoppedReason"].startswith(INIT + "unable to retrieve ecr registry auth: "), t["stoppedReason"])
        self.assertIn(f"User: arn:aws:sts::{ACCOUNT}:assumed-role/noEcrRole/", t["stoppedReason"])
        self.assertIn("is not authorized to perform: ecr:GetAuthorizationToken on resource: *", t["stoppedReason"])
        self.assertEqual(t["stopCode"], "TaskFailedToStart")
        # a token but no pull permission: the registry refuses the manifest
        role = sb.exec_role("tokenOnlyRole", managed=False, inline={"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}]})
        t = self.stopped_after(self.run_task(sb.task_definition("b", image, role=role)), FAILED_BY)
        self.assertEqual(t["stoppedReason"],
                         "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve "
                         f"ref {image}: pulling from host {REGISTRY} failed with status code [manifests v1]: 403 Forbidden")
        # an explicit Deny wins over the managed policy
        role = sb.exec_role("denyRole", managed=True, inline={"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "ecr:BatchGetImage", "Resource": "*"}]})
        t = self.stopped_after(self.run_task(sb.task_definition("c", image, role=role)), FAILED_BY)
        self.assertTrue(t["stoppedReason"].startswith("CannotPullContainerError:"), t["stoppedReason"])
        # AmazonECSTaskExecutionRolePolicy is enough
        role = sb.exec_role("goodRole", managed=True)
        arn = self.run_task(sb.task_definition("d", image, role=role))
        sb.advance(RUNNING_BY)
        self.assertEqual(self.task(arn)["lastStatus"], "RUNNING")
        # a role ECS cannot assume is refused by RunTask
        sb.api("iam", "create_role", RoleName="notForEcs", AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}))
        td = sb.task_definition("e", image, role=f"arn:aws:iam::{ACCOUNT}:role/notForEcs")
        err = sb.aws_error("ecs", "run-task", "--cluster", "lab", "--task-definition", td, "--launch-type", "FARGATE",
                           "--network-configuration", sb.netconf())
        self.assertIn("ECS was unable to assume the role 'arn:aws:iam::123456789012:role/notForEcs'", err)

    def test_explicit_deny_says_so(self):
        sb = self.sb
        sb.push("web", "v1")
        image = f"{REGISTRY}/web:v1"
        role = sb.exec_role("denyToken", managed=True, inline={"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}]})
        t = self.stopped_after(self.run_task(sb.task_definition("a", image, role=role), cli=True), FAILED_BY, cli=True)
        self.assertTrue(t["stoppedReason"].startswith(INIT + "unable to retrieve ecr registry auth: "), t["stoppedReason"])
        self.assertTrue(t["stoppedReason"].endswith(
            "is not authorized to perform: ecr:GetAuthorizationToken on resource: * "
            "with an explicit deny in an identity-based policy"), t["stoppedReason"])
        sb.api("ssm", "put_parameter", Name="/app/token", Type="SecureString", Value="x")
        role = sb.exec_role("denySsm", managed=True, inline={"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": "*"},
            {"Effect": "Deny", "Action": "ssm:GetParameters", "Resource": "*"}]})
        t = self.stopped_after(self.run_task(sb.task_definition("b", image, role=role, container={
            "secrets": [{"name": "T", "valueFrom": "/app/token"}]})), FAILED_BY)
        self.assertIn(f"is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:us-east-1:{ACCOUNT}:"
                      "parameter/app/token with an explicit deny in an identity-based policy", t["stoppedReason"])
        self.assertNotIn("because no identity-based policy allows", t["stoppedReason"])

    def test_secrets(self):
        sb = self.sb
        sb.push("web", "v1")
        image = f"{REGISTRY}/web:v1"
        role = sb.exec_role("secretsRole", managed=True, inline={"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["ssm:GetParameters", "secretsmanager:GetSecretValue"], "Resource": [
                f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app/*",
                f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:app/*"]}]})
        sb.aws("ssm", "put-parameter", "--name", "/app/db_password", "--type", "SecureString", "--value", "s3cr3t")
        sb.api("ssm", "put_parameter", Name="/other/token", Type="SecureString", Value="x")
        secret = sb.api("secretsmanager", "create_secret", Name="app/db",
                        SecretString=json.dumps({"username": "admin", "password": "pw"}))["ARN"]

        def td(family, secrets):
            return sb.task_definition(family, image, role=role, container={"secrets": secrets})

        param = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app/db_password"
        # all present and readable: the task runs
        arn = self.run_task(td("ok", [{"name": "DB_PASSWORD", "valueFrom": param},
                                      {"name": "DB_USER", "valueFrom": f"{secret}:username::"}]), cli=True)
        self.sb.advance(RUNNING_BY)
        self.assertEqual(self.task(arn, cli=True)["lastStatus"], "RUNNING")
        # a parameter that does not exist
        t = self.stopped_after(self.run_task(td("missing-param", [
            {"name": "X", "valueFrom": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app/nope"}])), FAILED_BY)
        self.assertEqual(t["stoppedReason"], INIT + "unable to retrieve secrets from ssm: service call has been "
                         "retried 1 time(s): invalid ssm parameters: /app/nope")
        self.assertEqual(t["stopCode"], "TaskFailedToStart")
        # a parameter the execution role may not read
        t = self.stopped_after(self.run_task(td("denied-param", [{"name": "T", "valueFrom": "/other/token"}])),
                               FAILED_BY)
        self.assertTrue(t["stoppedReason"].startswith(INIT + "unable to retrieve secrets from ssm: "), t["stoppedReason"])
        self.assertIn("api error AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/secretsRole/",
                      t["stoppedReason"])
        self.assertIn(f"is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:us-east-1:{ACCOUNT}:"
                      "parameter/other/token because no identity-based policy allows the ssm:GetParameters action",
                      t["stoppedReason"])
        # a secret that does not exist
        gone = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:app/gone-AbCdEf"
        t = self.stopped_after(self.run_task(td("missing-secret", [{"name": "G", "valueFrom": gone}])), FAILED_BY)
        self.assertTrue(t["stoppedReason"].startswith(INIT + "unable to retrieve secret from asm: "), t["stoppedReason"])
        self.assertIn(f"failed to fetch secret {gone} from secrets manager", t["stoppedReason"])
        self.assertIn("ResourceNotFoundException: Secrets Manager can't find the specified secret.", t["stoppedReason"])
        # a secret the role may not read
        other = sb.api("secretsmanager", "create_secret", Name="other/key", SecretString="k")["ARN"]
        t = self.stopped_after(self.run_task(td("denied-secret", [{"name": "K", "valueFrom": other}])), FAILED_BY)
        self.assertIn("is not authorized to perform: secretsmanager:GetSecretValue on resource: " + other,
                      t["stoppedReason"])

    def test_out_of_memory(self):
        sb = self.sb
        sb.exec_role()
        sb.push("hog", "v1", "oom")
        sb.push("big", "v1", "healthy", memory_mib=700)
        for image in (f"{REGISTRY}/hog:v1", f"{REGISTRY}/big:v1"):
            arn = self.run_task(sb.task_definition("mem", image, memory="512"), cli=image.endswith("hog:v1"))
            # RUNNING for 12 s until the kernel kills it
            sb.until(lambda: self.task(arn)["lastStatus"] == "RUNNING", RUNNING_BY)
            t = self.stopped_after(arn, 12 + 5, cli=image.endswith("hog:v1"))
            c = t["containers"][0]
            self.assertEqual((c["exitCode"], c["reason"]), (137, "OutOfMemoryError: Container killed due to memory usage"))
            self.assertEqual((t["stoppedReason"], t["stopCode"]), ("Essential container in task exited",
                                                                     "EssentialContainerExited"))
        # enough memory: the same big image runs
        arn = self.run_task(sb.task_definition("mem2", f"{REGISTRY}/big:v1", cpu="256", memory="1024"))
        sb.advance(60)
        self.assertEqual(self.task(arn)["lastStatus"], "RUNNING")
        # a container hard limit below what the app needs
        arn = self.run_task(sb.task_definition("mem3", f"{REGISTRY}/big:v1", memory="2048",
                                               container={"memory": 256}))
        t = self.stopped_after(arn, RUNNING_BY + 12 + 5)
        self.assertEqual(t["containers"][0]["exitCode"], 137)

    def test_crash(self):
        sb = self.sb
        sb.exec_role()
        sb.push("web", "broken", "crash")
        arn = self.run_task(sb.task_definition("crash", f"{REGISTRY}/web:broken"), cli=True)
        t = self.stopped_after(arn, CRASHED_BY, cli=True)
        self.assertIn("startedAt", t)
        self.assertEqual((t["stoppedReason"], t["stopCode"]), ("Essential container in task exited",
                                                                 "EssentialContainerExited"))
        c = t["containers"][0]
        self.assertEqual(c["exitCode"], 1)
        self.assertNotIn("reason", c)
        # a standalone task is not replaced
        self.assertEqual(sb.task_arns(), [])

    def test_awslogs(self):
        sb = self.sb
        sb.exec_role()
        sb.push("web", "broken", "crash")
        logcfg = {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web", "awslogs-region": "us-east-1",
                                                      "awslogs-stream-prefix": "web"}}
        td = sb.task_definition("logs", f"{REGISTRY}/web:broken", container={"logConfiguration": logcfg})
        # the log group does not exist
        t = self.stopped_after(self.run_task(td, cli=True), FAILED_BY, cli=True)
        self.assertEqual(t["stoppedReason"], "ResourceInitializationError: failed to validate logger args: create "
                         "stream has been retried 1 times: failed to create Cloudwatch log stream: "
                         "ResourceNotFoundException: The specified log group does not exist. : exit status 1")
        # awslogs-create-group needs logs:CreateLogGroup, which AmazonECSTaskExecutionRolePolicy does not give
        create = {"logDriver": "awslogs", "options": dict(logcfg["options"], **{"awslogs-create-group": "true"})}
        td2 = sb.task_definition("logs2", f"{REGISTRY}/web:broken", container={"logConfiguration": create})
        t = self.stopped_after(self.run_task(td2), FAILED_BY)
        self.assertIn("failed to create Cloudwatch log group: AccessDeniedException:", t["stoppedReason"])
        self.assertIn("logs:CreateLogGroup", t["stoppedReason"])
        # with the group: the app's last words are in the log
        sb.api("logs", "create_log_group", logGroupName="/ecs/web")
        arn = self.run_task(td)
        task_id = arn.split("/")[-1]
        t = self.stopped_after(arn, CRASHED_BY)
        self.assertEqual(t["stoppedReason"], "Essential container in task exited")
        streams = sb.api("logs", "describe_log_streams", logGroupName="/ecs/web")["logStreams"]
        self.assertEqual([s["logStreamName"] for s in streams], [f"web/app/{task_id}"])
        events = sb.aws("logs", "get-log-events", "--log-group-name", "/ecs/web", "--log-stream-name",
                        f"web/app/{task_id}")["events"]
        self.assertEqual(events[-1]["message"], "[fatal] exiting with status 1")

    def test_network_checks(self):
        sb = self.sb
        sb.exec_role()
        sb.push("web", "v1")
        st = sb.post("/_ecsdrill/settings", {"network_checks": True})
        self.assertEqual(st["settings"], {"network_checks": True})
        td = sb.task_definition("net", f"{REGISTRY}/web:v1")
        net = sb.network()

        def run(subnets, public, cli=False):
            conf = {"awsvpcConfiguration": {"subnets": subnets, "assignPublicIp": "ENABLED" if public else "DISABLED"}}
            if not cli:
                return sb.api("ecs", "run_task", cluster="lab", taskDefinition=td, launchType="FARGATE",
                              networkConfiguration=conf)["tasks"][0]["taskArn"]
            return sb.aws("ecs", "run-task", "--cluster", "lab", "--task-definition", td, "--launch-type", "FARGATE",
                          "--network-configuration", json.dumps(conf))["tasks"][0]["taskArn"]

        # public subnet with a public IP: fine
        ok = run(net["public_subnets"], True)
        # public subnet without a public IP, private subnet without NAT: no route to ECR
        no_ip = run(net["public_subnets"], False)
        private = run(net["private_subnets"], False, cli=True)
        sb.advance(RUNNING_BY)
        self.assertEqual(self.task(ok)["lastStatus"], "RUNNING")
        for arn in (no_ip, private):
            t = self.task(arn)
            self.assertTrue(t["stoppedReason"].startswith(
                "ResourceInitializationError: unable to pull secrets or registry auth: The task cannot pull registry "
                "auth from Amazon ECR: There is a connection issue between the task and Amazon ECR. Check your task "
                "network configuration. operation error ECR: GetAuthorizationToken, "), t)
            self.assertTrue(t["stoppedReason"].endswith(
                "Post \"https://api.ecr.us-east-1.amazonaws.com/\": dial tcp 52.46.145.142:443: i/o timeout"), t)
        # a public image from a private subnet
        td2 = sb.task_definition("hub", "nginx:1.27")
        conf = {"awsvpcConfiguration": {"subnets": net["private_subnets"]}}
        arn = sb.api("ecs", "run_task", cluster="lab", taskDefinition=td2, launchType="FARGATE",
                     networkConfiguration=conf)["tasks"][0]["taskArn"]
        t = self.stopped_after(arn, FAILED_BY)
        self.assertTrue(t["stoppedReason"].startswith(
            "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
            "docker.io/library/nginx:1.27: failed to do request: Head "
            "\"https://registry-1.docker.io/v2/library/nginx/manifests/1.27\""), t["stoppedReason"])
        # VPC endpoints for ECR (+ the S3 gateway endpoint) make the private subnet work
        rt = [r for r in sb.api("ec2", "describe_route_tables")["RouteTables"]
              if any(a.get("SubnetId") == net["private_subnets"][0] for a in r.get("Associations", []))][0]
        for svc in ("ecr.api", "ecr.dkr"):
            sb.api("ec2", "create_vpc_endpoint", VpcId=net["vpc_id"], VpcEndpointType="Interface",
                   ServiceName=f"com.amazonaws.us-east-1.{svc}", SubnetIds=net["private_subnets"])
        sb.api("ec2", "create_vpc_endpoint", VpcId=net["vpc_id"], ServiceName="com.amazonaws.us-east-1.s3",
               RouteTableIds=[rt["RouteTableId"]])
        arn = run(net["private_subnets"], False)
        sb.advance(RUNNING_BY)
        self.assertEqual(self.task(arn)["lastStatus"], "RUNNING")
        sb.post("/_ecsdrill/settings", {"network_checks": False})


if __name__ == "__main__":
    import unittest

    unittest.main()
