"""Why a task fails to start or stops, in-process: the start checks (their order,
the IAM, secrets and log texts), out-of-memory and exit codes, and images from
other registries. Every stoppedReason is the exact text built from messages.py;
only the request id, a random uuid, is matched as a pattern."""

from __future__ import annotations

import json
import re
import unittest

from fakes import ACCOUNT, ECS_TRUST, REGION, Kit, M, Role, Secret

RID = "\x00RID\x00"  # the request id in a message: any uuid
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
IMPLICIT = "because no identity-based policy allows the {} action"
EXPLICIT = "with an explicit deny in an identity-based policy"
ROLE = "execRole"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
PARAM = "/app/db_password"
PARAM_ARN = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/app/db_password"
SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:app/db-AbCdEf"


def allow(*actions: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}


def deny(*actions: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": list(actions), "Resource": "*"}]}


class Case(unittest.TestCase):
    """A kit with an execution role whose policies each test chooses."""

    def setUp(self):
        self.k = Kit()
        self.k.world.roles[ROLE] = Role(arn=ROLE_ARN, name=ROLE, trust_policy=ECS_TRUST, documents=[])

    def policies(self, *documents: dict) -> None:
        self.k.world.roles[ROLE].documents = list(documents)

    def td(self, image: str | None = None, *, secrets: list | None = None, log_group: str | None = None,
           create_group: bool = True, memory: str = "512", role: str | None = ROLE_ARN):
        td = self.k.task_definition(image=image, execution_role=role, memory=memory, log_group=log_group)
        container = td.container_definitions[0]
        if secrets:
            container["secrets"] = secrets
        if log_group and not create_group:
            del container["logConfiguration"]["options"]["awslogs-create-group"]
        return td

    def run_task(self, td):
        k = self.k
        task = k.run_task(td, public_ip=True)
        return task

    def outcome(self, td, limit: float = 60):
        """Run one task until it is RUNNING or told to stop; the task."""
        task = self.run_task(td)
        self.k.until(lambda: task.last_status == "RUNNING" or task.desired_status == "STOPPED", limit)
        return task

    def principal(self, task) -> str:
        return f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/{task.id}"

    def assertFailedToStart(self, task, expected: str, container_reason: str | None = None):
        self.assertEqual(task.desired_status, "STOPPED")
        self.assertIsNone(task.started_at)
        pattern = re.escape(expected).replace(re.escape(RID), UUID)
        self.assertRegex(task.stopped_reason, "^" + pattern + "$")
        self.assertEqual(task.stop_code, M.STOP_FAILED_TO_START)
        self.assertEqual(task.containers[0].get("reason"), container_reason)


class StartOrder(Case):
    def test_egress_then_registry_auth_then_secrets_then_pull_then_logs(self):
        """One task definition, several things wrong; each fix uncovers the next check."""
        k = self.k
        k.sim.network_checks = True
        k.world.no_egress.add(("subnet-a", "ecr"))
        image = k.uri("web", "v1")
        td = self.td(image, secrets=[{"name": "DB", "valueFrom": PARAM}], log_group="/ecs/web", create_group=False)

        # no route to ECR, a role with no permissions, no parameter, no image, no log group
        t = self.outcome(td)
        self.assertFailedToStart(t, M.ECR_AUTH_TIMEOUT.format(region=REGION, ip="52.46.145.142"))

        k.world.no_egress.clear()
        t = self.outcome(td)
        self.assertFailedToStart(t, M.ECR_AUTH_DENIED.format(
            rid=RID, principal=self.principal(t), action="ecr:GetAuthorizationToken", resource="*",
            why=IMPLICIT.format("ecr:GetAuthorizationToken")))

        self.policies(allow("ecr:GetAuthorizationToken"))
        t = self.outcome(td)
        self.assertFailedToStart(t, M.SSM_DENIED.format(
            rid=RID, principal=self.principal(t), action="ssm:GetParameters", resource=PARAM_ARN,
            why=IMPLICIT.format("ssm:GetParameters")))

        self.policies(allow("ecr:GetAuthorizationToken", "ssm:GetParameters"))
        t = self.outcome(td)
        self.assertFailedToStart(t, M.SSM_INVALID.format(names=PARAM))

        k.world.parameters.add((ACCOUNT, REGION, PARAM))
        t = self.outcome(td)
        forbidden = M.PULL_FORBIDDEN.format(image=image, host=image.split("/")[0], ref="v1")
        self.assertFailedToStart(t, forbidden, forbidden)

        self.policies(allow("ecr:*", "ssm:GetParameters"))
        t = self.outcome(td)
        self.assertFailedToStart(t, M.PULL_NOT_FOUND.format(image=image), M.PULL_NOT_FOUND.format(image=image))

        k.push("web", "v1")
        t = self.outcome(td)
        self.assertFailedToStart(t, M.LOG_GROUP_MISSING)

        k.world.create_log_group(ACCOUNT, REGION, "/ecs/web")
        t = self.outcome(td)
        self.assertFailedToStart(t, M.LOG_DENIED.format(
            what="stream", principal=self.principal(t), action="logs:CreateLogStream",
            resource=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/web:log-stream:ecs/app/{t.id}",
            why=IMPLICIT.format("logs:CreateLogStream"), rid=RID))

        self.policies(allow("ecr:*", "ssm:GetParameters", "logs:CreateLogStream"))
        t = self.outcome(td)
        self.assertEqual(t.last_status, "RUNNING")
        self.assertIn(f"ecs/app/{t.id}", k.world.logs[(ACCOUNT, REGION, "/ecs/web")])


class Secrets(Case):
    def setUp(self):
        super().setUp()
        self.k.push("web", "v1")
        self.policies(allow("ecr:*", "ssm:GetParameters", "secretsmanager:GetSecretValue"))
        self.k.world.parameters.add((ACCOUNT, REGION, PARAM))
        self.k.world.secrets[SECRET] = Secret(SECRET, False, json.dumps({"username": "admin", "password": "pw"}))

    def test_present_and_readable_secrets_let_the_task_run(self):
        t = self.outcome(self.td(secrets=[{"name": "A", "valueFrom": PARAM}, {"name": "B", "valueFrom": PARAM_ARN},
                                          {"name": "C", "valueFrom": SECRET},
                                          {"name": "D", "valueFrom": SECRET + ":username::"}]))
        self.assertEqual(t.last_status, "RUNNING")

    def test_ssm_parameter_missing(self):
        t = self.outcome(self.td(secrets=[{"name": "X", "valueFrom": "/app/nope"}]))
        self.assertFailedToStart(t, M.SSM_INVALID.format(names="/app/nope"))
        # by ARN the message names the parameter, as in the e2e capture
        t = self.outcome(self.td(secrets=[{"name": "X", "valueFrom": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/app/nope"}]))
        self.assertFailedToStart(t, M.SSM_INVALID.format(names="/app/nope"))

    def test_ssm_parameter_not_readable(self):
        self.policies(allow("ecr:*", "secretsmanager:GetSecretValue"))
        t = self.outcome(self.td(secrets=[{"name": "X", "valueFrom": PARAM}]))
        self.assertFailedToStart(t, M.SSM_DENIED.format(
            rid=RID, principal=self.principal(t), action="ssm:GetParameters", resource=PARAM_ARN,
            why=IMPLICIT.format("ssm:GetParameters")))

    def test_secrets_manager_secret_missing(self):
        gone = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:app/gone-AbCdEf"
        t = self.outcome(self.td(secrets=[{"name": "G", "valueFrom": gone}]))
        self.assertFailedToStart(t, M.ASM_NOT_FOUND.format(rid=RID, secret=gone))
        # a deleted secret is missing too
        self.k.world.secrets[SECRET].deleted = True
        t = self.outcome(self.td(secrets=[{"name": "G", "valueFrom": SECRET}]))
        self.assertFailedToStart(t, M.ASM_NOT_FOUND.format(rid=RID, secret=SECRET))

    def test_secrets_manager_json_key_missing(self):
        t = self.outcome(self.td(secrets=[{"name": "P", "valueFrom": SECRET + ":token::"}]))
        self.assertFailedToStart(t, M.ASM_NO_JSON_KEY.format(key="token"))

    def test_secrets_manager_secret_not_readable(self):
        self.policies(allow("ecr:*", "ssm:GetParameters"))
        t = self.outcome(self.td(secrets=[{"name": "P", "valueFrom": SECRET + ":password::"}]))
        self.assertFailedToStart(t, M.ASM_DENIED.format(
            rid=RID, principal=self.principal(t), action="secretsmanager:GetSecretValue", resource=SECRET,
            secret=SECRET, why=IMPLICIT.format("secretsmanager:GetSecretValue")))


class NoNetworkPath(Case):
    """Network checks on: a task with no route to what it needs stops with the texts ECS has
    written since 2024, the cause first ("There is a connection issue between the task and
    ...") and the SDK's error after it."""

    def setUp(self):
        super().setUp()
        self.policies(allow("*"))
        self.k.sim.network_checks = True

    def test_systems_manager_and_secrets_manager_out_of_reach(self):
        k = self.k
        k.world.no_egress = {("subnet-a", "ssm")}
        t = self.outcome(self.td(secrets=[{"name": "X", "valueFrom": PARAM}]))
        self.assertFailedToStart(t, M.SSM_TIMEOUT)
        self.assertIn("There is a connection issue between the task and AWS Systems Manager Parameter Store. "
                      "Check your task network configuration.", t.stopped_reason)
        k.world.no_egress = {("subnet-a", "secretsmanager")}
        t = self.outcome(self.td(secrets=[{"name": "G", "valueFrom": SECRET + ":password::"}]))
        self.assertFailedToStart(t, M.ASM_TIMEOUT.format(secret=SECRET))
        self.assertIn("There is a connection issue between the task and AWS Secrets Manager. Check your task "
                      f"network configuration. failed to fetch secret {SECRET} from secrets manager", t.stopped_reason)

    def test_docker_hub_out_of_reach(self):
        self.k.world.no_egress = {("subnet-a", "docker")}
        t = self.outcome(self.td("nginx:1.27"))
        reason = M.PULL_TIMEOUT.format(image="docker.io/library/nginx:1.27", host="registry-1.docker.io",
                                       path="library/nginx", ref="1.27", ip="54.236.113.205")
        self.assertFailedToStart(t, reason, reason)


class ExplicitDeny(Case):
    def test_an_explicit_deny_says_so_instead_of_no_policy_allows(self):
        self.k.push("web", "v1")
        self.policies(allow("*"), deny("ecr:GetAuthorizationToken"))
        t = self.outcome(self.td())
        self.assertFailedToStart(t, M.ECR_AUTH_DENIED.format(
            rid=RID, principal=self.principal(t), action="ecr:GetAuthorizationToken", resource="*", why=EXPLICIT))
        self.k.world.parameters.add((ACCOUNT, REGION, PARAM))
        self.policies(allow("*"), deny("ssm:GetParameters"))
        t = self.outcome(self.td(secrets=[{"name": "X", "valueFrom": PARAM}]))
        self.assertFailedToStart(t, M.SSM_DENIED.format(
            rid=RID, principal=self.principal(t), action="ssm:GetParameters", resource=PARAM_ARN, why=EXPLICIT))


class AwsLogs(Case):
    def setUp(self):
        super().setUp()
        self.k.push("web", "v1")

    def test_log_group_missing_without_create_group(self):
        self.policies(allow("*"))
        t = self.outcome(self.td(log_group="/ecs/web", create_group=False))
        self.assertFailedToStart(t, M.LOG_GROUP_MISSING)
        self.assertNotIn((ACCOUNT, REGION, "/ecs/web"), self.k.world.logs)

    def test_create_group_needs_logs_create_log_group(self):
        self.policies(allow("ecr:*", "logs:CreateLogStream"))
        t = self.outcome(self.td(log_group="/ecs/web"))
        group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/web"
        self.assertFailedToStart(t, M.LOG_DENIED.format(
            what="group", principal=self.principal(t), action="logs:CreateLogGroup", resource=group + ":log-stream:",
            why=IMPLICIT.format("logs:CreateLogGroup"), rid=RID))
        self.assertNotIn((ACCOUNT, REGION, "/ecs/web"), self.k.world.logs)

    def test_create_log_stream_denied(self):
        self.k.world.create_log_group(ACCOUNT, REGION, "/ecs/web")
        self.policies(allow("*"), deny("logs:CreateLogStream"))
        t = self.outcome(self.td(log_group="/ecs/web"))
        self.assertFailedToStart(t, M.LOG_DENIED.format(
            what="stream", principal=self.principal(t), action="logs:CreateLogStream",
            resource=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/web:log-stream:ecs/app/{t.id}",
            why=EXPLICIT, rid=RID))
        self.assertEqual(self.k.world.logs[(ACCOUNT, REGION, "/ecs/web")], {})


class Exits(Case):
    def setUp(self):
        super().setUp()
        self.policies(allow("*"))

    def stopped(self, image: str, memory: str = "512"):
        t = self.outcome(self.td(image, memory=memory))
        self.assertEqual(t.last_status, "RUNNING")
        self.k.until(lambda: t.desired_status == "STOPPED", 60)
        self.assertIsNotNone(t.started_at)
        return t

    def test_an_oom_image_is_killed_with_exit_code_137(self):
        self.k.push("hog", "v1", "oom")
        t = self.stopped(self.k.uri("hog", "v1"))
        self.assertEqual((t.stopped_reason, t.stop_code), (M.ESSENTIAL_EXITED, M.STOP_ESSENTIAL))
        self.assertEqual((t.containers[0]["exitCode"], t.containers[0]["reason"]), (137, M.OOM_CONTAINER_REASON))

    def test_memory_below_what_the_app_needs_is_an_oom_kill(self):
        k = self.k
        k.push("big", "v1", "healthy", memory_mib=700)
        t = self.stopped(k.uri("big", "v1"), memory="512")
        self.assertEqual((t.stopped_reason, t.stop_code), (M.ESSENTIAL_EXITED, M.STOP_ESSENTIAL))
        self.assertEqual((t.containers[0]["exitCode"], t.containers[0]["reason"]), (137, M.OOM_CONTAINER_REASON))
        # with enough memory the same image keeps running
        t = self.outcome(self.td(k.uri("big", "v1"), memory="1024"))
        k.advance(120)
        self.assertEqual((t.last_status, t.desired_status), ("RUNNING", "RUNNING"))

    def test_a_crash_exits_with_the_code_of_the_image(self):
        k = self.k
        k.push("crash", "v1", "crash")
        k.push("crash", "v3", "crash", exit_code=3)
        for tag, code in (("v1", 1), ("v3", 3)):
            t = self.stopped(k.uri("crash", tag))
            self.assertEqual((t.stopped_reason, t.stop_code), (M.ESSENTIAL_EXITED, M.STOP_ESSENTIAL))
            self.assertEqual(t.containers[0]["exitCode"], code)
            self.assertNotIn("reason", t.containers[0])


class OtherRegistries(Case):
    def test_images_from_other_registries_are_reachable_and_healthy(self):
        """No ECR permission at all, nothing pushed: Docker Hub and public.ecr.aws images run and
        pass load balancer health checks."""
        k = self.k
        tg = k.target_group(health_check_path="/health")  # a no-health app would fail it
        for name, image in (("hub", "nginx:1.27"), ("public", "public.ecr.aws/nginx/nginx:latest")):
            td = self.td(image)
            svc = k.service(name, td, 1, tg=tg)
            [task] = k.tasks(svc)
            # healthy at the second check after start: no slow start (90 s)
            k.until(lambda: k.world.health.get((tg.arn, task._ip), (None,))[0] == "healthy", 60)
            self.assertEqual(task.last_status, "RUNNING")
            self.assertNotIn("imageDigest", task.containers[0])
            k.until(lambda: k.steady(svc), 120)
        k.advance(120)
        self.assertEqual([t.desired_status for t in k.tasks()], ["RUNNING", "RUNNING"])


if __name__ == "__main__":
    unittest.main()
