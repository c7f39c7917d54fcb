"""ecsdrill's ECS API in-process: requests and answers as the ECS JSON protocol has
them (Provider.handle), over the simulation and a fake world. No server, no CLI."""

from __future__ import annotations

import unittest

from fakes import ACCOUNT, EXEC_ROLE, REGION, Kit, M
from ecsdrill_sandbox.ecs import shapes
from ecsdrill_sandbox.ecs.provider import EcsError, Provider


class Api:
    def __init__(self) -> None:
        self.k = Kit()
        self.p = Provider(self.k.store, self.k.sim, self.k.world)
        self.k.push("web", "v1")
        self.k.push("web", "v2")

    def __call__(self, op: str, **params):
        return self.p.handle(ACCOUNT, REGION, op, params)

    def error(self, op: str, **params) -> EcsError:
        try:
            self.p.handle(ACCOUNT, REGION, op, params)
        except EcsError as e:
            return e
        raise AssertionError(f"{op} succeeded")

    def register(self, tag: str = "v1", **extra) -> str:
        cd = {"name": "app", "image": self.k.uri("web", tag), "essential": True,
              "portMappings": [{"containerPort": 80}]}
        cd.update(extra.pop("container", {}))
        return self("RegisterTaskDefinition", family="web", requiresCompatibilities=["FARGATE"],
                    networkMode="awsvpc", cpu="256", memory="512", executionRoleArn=EXEC_ROLE,
                    containerDefinitions=[cd], **extra)["taskDefinition"]["taskDefinitionArn"]

    def service(self, td: str, desired: int = 2, **extra) -> dict:
        return self("CreateService", cluster="default", serviceName="web", taskDefinition=td, desiredCount=desired,
                    launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-a"]}},
                    **extra)["service"]


def members_only(shape, value, path="$"):
    """Every key written is a member of the output shape (recursively)."""
    if shape.type_name == "structure":
        assert isinstance(value, dict), path
        for key, v in value.items():
            assert key in shape.members, f"{path}.{key} is not a member of {shape.name}"
            members_only(shape.members[key], v, f"{path}.{key}")
    elif shape.type_name == "list":
        for i, v in enumerate(value):
            members_only(shape.member, v, f"{path}[{i}]")


class Shapes(unittest.TestCase):
    def test_answers_have_only_the_members_ecs_documents_and_epoch_timestamps(self):
        api = Api()
        td = api.register()
        api.service(td)
        api.k.advance(120)
        model = shapes.service_model()
        for op, params in (("DescribeServices", {"cluster": "default", "services": ["web"]}),
                           ("DescribeTaskDefinition", {"taskDefinition": "web"}),
                           ("DescribeClusters", {"clusters": ["default"], "include": ["TAGS"]})):
            out = api(op, **params)
            members_only(model.operation_model(op).output_shape, out)
        svc = api("DescribeServices", cluster="default", services=["web"])["services"][0]
        self.assertIsInstance(svc["createdAt"], float)
        self.assertIsInstance(svc["deployments"][0]["createdAt"], float)
        self.assertNotIn("tags", svc)  # only with include TAGS, as ECS
        self.assertFalse(any(k.startswith("_") for k in svc["deployments"][0]))
        task_arns = api("ListTasks", cluster="default", serviceName="web")["taskArns"]
        tasks = api("DescribeTasks", cluster="default", tasks=task_arns)["tasks"]
        members_only(model.operation_model("DescribeTasks").output_shape, {"tasks": tasks})
        self.assertEqual({t["lastStatus"] for t in tasks}, {"RUNNING"})
        self.assertNotIn("startedBy", api("RunTask", cluster="default", taskDefinition=td, launchType="FARGATE",
                                          networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-a"]}})
                         ["tasks"][0])


class Errors(unittest.TestCase):
    def test_the_codes_and_texts_ecs_gives(self):
        api = Api()
        self.assertEqual(api.error("DescribeServices", cluster="nope", services=["web"]).code,
                         "ClusterNotFoundException")
        e = api.error("DescribeTaskDefinition", taskDefinition="nope")
        self.assertEqual((e.code, e.message), ("ClientException", "Unable to describe task definition."))
        td = api.register()
        e = api.error("CreateService", cluster="default", serviceName="web", taskDefinition=td, desiredCount=1,
                      launchType="FARGATE")
        self.assertEqual((e.code, e.message), ("InvalidParameterException", M.NETWORK_CONFIG_REQUIRED))
        e = api.error("RegisterTaskDefinition", family="web", containerDefinitions=[
            {"name": "app", "image": "nginx", "memory": 128, "essential": False}])
        self.assertEqual((e.code, e.message), ("ClientException", M.NO_ESSENTIAL_CONTAINER))
        e = api.error("RunTask", cluster="default", taskDefinition=td, launchType="FARGATE", count=0,
                      networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-a"]}})
        self.assertEqual((e.code, e.message), ("InvalidParameterException", "count must be between 1 and 10."))
        e = api.error("ExecuteCommand", cluster="default", task="t", command="ls", interactive=True)
        self.assertEqual((e.code, e.message), ("NotImplemented", "ExecuteCommand is not available in the ecsdrill "
                                                                  "sandbox"))

    def test_a_failed_update_changes_nothing(self):
        api = Api()
        td = api.register()
        api.service(td)
        before = api("DescribeServices", cluster="default", services=["web"])["services"][0]
        e = api.error("UpdateService", cluster="default", service="web", desiredCount=5,
                      capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}])
        self.assertEqual(e.code, "InvalidParameterException")
        after = api("DescribeServices", cluster="default", services=["web"])["services"][0]
        self.assertEqual(after["desiredCount"], before["desiredCount"])
        self.assertEqual(after["launchType"], "FARGATE")


class ServiceTasks(unittest.TestCase):
    def tasks(self, api, service="web") -> list[dict]:
        arns = api("ListTasks", cluster="default", serviceName=service)["taskArns"]
        return api("DescribeTasks", cluster="default", tasks=arns, include=["TAGS"])["tasks"]

    def test_service_tasks_have_group_service_name_and_started_by_the_deployment(self):
        api = Api()
        api.service(api.register(), desired=2)
        dep = api("DescribeServices", cluster="default", services=["web"])["services"][0]["deployments"][0]["id"]
        self.assertTrue(dep.startswith("ecs-svc/"))
        tasks = self.tasks(api)
        self.assertEqual(len(tasks), 2)
        self.assertEqual({(t["group"], t["startedBy"]) for t in tasks}, {("service:web", dep)})
        api("UpdateService", cluster="default", service="web", taskDefinition=api.register("v2"))
        api.k.advance(120)
        new = api("DescribeServices", cluster="default", services=["web"])["services"][0]["deployments"][0]["id"]
        self.assertNotEqual(new, dep)
        self.assertEqual({(t["group"], t["startedBy"]) for t in self.tasks(api)}, {("service:web", new)})

    def test_propagate_tags_copies_the_service_or_task_definition_tags_to_tasks(self):
        api = Api()
        td = api.register(tags=[{"key": "from", "value": "task-definition"}])
        svc_tags = [{"key": "from", "value": "service"}, {"key": "team", "value": "web"}]
        for name, mode, expected in (("none", None, []), ("by-service", "SERVICE", svc_tags),
                                     ("by-td", "TASK_DEFINITION", [{"key": "from", "value": "task-definition"}])):
            extra = {"propagateTags": mode} if mode else {}
            api("CreateService", cluster="default", serviceName=name, taskDefinition=td, desiredCount=1,
                launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-a"]}},
                tags=svc_tags, **extra)
            [task] = self.tasks(api, name)
            self.assertEqual(task.get("tags", []), expected, name)

    def test_ec2_without_container_instances_cannot_place_a_task(self):
        api = Api()
        td = api("RegisterTaskDefinition", family="ec2", requiresCompatibilities=["EC2"], networkMode="awsvpc",
                 cpu="256", memory="512", executionRoleArn=EXEC_ROLE, containerDefinitions=[
                     {"name": "app", "image": api.k.uri("web", "v1"), "essential": True}])["taskDefinition"]
        api("CreateService", cluster="default", serviceName="ec2", taskDefinition=td["taskDefinitionArn"],
            desiredCount=2, launchType="EC2",
            networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-a"]}})
        api.k.advance(300)
        svc = api("DescribeServices", cluster="default", services=["ec2"])["services"][0]
        self.assertEqual([e["message"] for e in svc["events"]], [M.NO_CONTAINER_INSTANCES.format(svc="ec2")])
        self.assertEqual((svc["runningCount"], svc["pendingCount"]), (0, 0))
        self.assertEqual(api("ListTasks", cluster="default")["taskArns"], [])
        e = api.error("RunTask", cluster="default", taskDefinition=td["taskDefinitionArn"], launchType="EC2",
                      networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-a"]}})
        self.assertEqual((e.code, e.message), ("InvalidParameterException", M.NO_CONTAINER_INSTANCES_RUN))


class TaskDefinitions(unittest.TestCase):
    def test_revisions_count_on_past_deleted_ones(self):
        api = Api()
        td1 = api.register()
        api("DeregisterTaskDefinition", taskDefinition=td1)
        out = api("DeleteTaskDefinitions", taskDefinitions=[td1])
        self.assertEqual(out["taskDefinitions"][0]["status"], "DELETE_IN_PROGRESS")
        self.assertEqual(api.error("DescribeTaskDefinition", taskDefinition=td1).message,
                         "Unable to describe task definition.")  # nothing used it: gone at once
        self.assertTrue(api.register().endswith(":2"))
        self.assertEqual(api("ListTaskDefinitionFamilies")["families"], ["web"])
        again = api("DeleteTaskDefinitions", taskDefinitions=[td1])
        self.assertEqual(again["failures"][0]["reason"], "The specified task definition does not exist. Specify a "
                                                         "valid account, family, revision and try again.")

    def test_an_active_revision_cannot_be_deleted(self):
        api = Api()
        td = api.register()
        out = api("DeleteTaskDefinitions", taskDefinitions=[td])
        self.assertEqual(out["taskDefinitions"], [])
        self.assertIn("still in ACTIVE status", out["failures"][0]["reason"])


class ServiceDeployments(unittest.TestCase):
    def test_deployments_and_revisions(self):
        api = Api()
        td1 = api.register()
        shop = api.k.world.create_http_namespace(ACCOUNT, REGION, "shop").arn  # kept as the namespace's ARN
        api.service(td1, serviceConnectConfiguration={"enabled": True, "namespace": "shop"})
        api.k.advance(120)
        td2 = api.register("v2")
        api("UpdateService", cluster="default", service="web", taskDefinition=td2)
        listed = api("ListServiceDeployments", cluster="default", service="web")["serviceDeployments"]
        self.assertEqual([d["status"] for d in listed], ["IN_PROGRESS", "SUCCESSFUL"])
        detail = api("DescribeServiceDeployments",
                     serviceDeploymentArns=[listed[0]["serviceDeploymentArn"]])["serviceDeployments"][0]
        self.assertEqual([r["arn"] for r in detail["sourceServiceRevisions"]],
                         [listed[1]["targetServiceRevisionArn"]])
        api.k.advance(300)
        listed = api("ListServiceDeployments", cluster="default", service="web")["serviceDeployments"]
        self.assertEqual([d["status"] for d in listed], ["SUCCESSFUL", "SUCCESSFUL"])
        revisions = api("DescribeServiceRevisions",
                        serviceRevisionArns=[d["targetServiceRevisionArn"] for d in listed])["serviceRevisions"]
        self.assertEqual([r["taskDefinition"] for r in revisions], [td2, td1])
        self.assertEqual(revisions[1]["serviceConnectConfiguration"], {"enabled": True, "namespace": shop})
        svc = api("DescribeServices", cluster="default", services=["web"])["services"][0]
        self.assertEqual(svc["deployments"][0]["serviceConnectConfiguration"]["namespace"], shop)

    def test_a_deployment_replaced_before_it_finished_is_stopped(self):
        api = Api()
        td1 = api.register()
        api.service(td1)
        api("UpdateService", cluster="default", service="web", forceNewDeployment=True)
        listed = api("ListServiceDeployments", cluster="default", service="web")["serviceDeployments"]
        self.assertEqual([d["status"] for d in listed], ["IN_PROGRESS", "STOPPED"])


if __name__ == "__main__":
    unittest.main()
