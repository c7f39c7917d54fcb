"""Task sets and the EXTERNAL deployment controller in-process, through Provider.handle
(the ECS JSON API) over the simulation and a fake world: computed counts, stability,
the primary task set, scaling, deletion, errors, target registration, replacement."""

from __future__ import annotations

import pickle
import unittest

from fakes import M
from test_provider_api import Api, members_only
from ecsdrill_sandbox.ecs import shapes, task_sets

NET = {"awsvpcConfiguration": {"subnets": ["subnet-a", "subnet-b"]}}


class Ext:
    """An EXTERNAL service 'web' in the default cluster, with helpers for its task sets."""

    def __init__(self, desired: int = 3) -> None:
        self.api = Api()
        self.k = self.api.k
        self.td1 = self.api.register("v1")
        self.td2 = self.api.register("v2")
        self.svc = self.api("CreateService", cluster="default", serviceName="web", desiredCount=desired,
                            deploymentController={"type": "EXTERNAL"})["service"]

    def __call__(self, op: str, **params):
        return self.api(op, **params)

    def create(self, td: str | None = None, scale: float | None = 100.0, tg=None, **extra) -> dict:
        params = dict(cluster="default", service="web", taskDefinition=td or self.td1, launchType="FARGATE",
                      networkConfiguration=NET, **extra)
        if scale is not None:
            params["scale"] = {"value": scale, "unit": "PERCENT"}
        if tg is not None:
            params["loadBalancers"] = [{"targetGroupArn": tg.arn, "containerName": "app", "containerPort": 80}]
        return self.api("CreateTaskSet", **params)["taskSet"]

    def task_set(self, ts: dict, **params) -> dict:
        out = self.api("DescribeTaskSets", cluster="default", service="web", taskSets=[ts["taskSetArn"]], **params)
        return out["taskSets"][0]

    def service(self) -> dict:
        return self.api("DescribeServices", cluster="default", services=["web"])["services"][0]

    def tasks(self, ts: dict | None = None, desired: str = "RUNNING") -> list[dict]:
        params = {"startedBy": ts["id"]} if ts else {"serviceName": "web"}
        arns = self.api("ListTasks", cluster="default", desiredStatus=desired, **params)["taskArns"]
        return self.api("DescribeTasks", cluster="default", tasks=arns)["tasks"] if arns else []

    def until_steady(self, ts: dict, limit: float = 600) -> float:
        return self.k.until(lambda: self.task_set(ts)["stabilityStatus"] == "STEADY_STATE", limit)


class ExternalService(unittest.TestCase):
    def test_an_external_service_has_no_deployments_and_no_task_definition(self):
        ext = Ext()
        svc = ext.svc
        self.assertEqual(svc["deploymentController"], {"type": "EXTERNAL"})
        self.assertEqual(svc["deployments"], [])
        self.assertEqual(svc["taskSets"], [])
        self.assertNotIn("taskDefinition", svc)
        self.assertNotIn("launchType", svc)
        ext.k.advance(60)
        self.assertEqual(ext.tasks(), [])  # nothing runs without a task set
        self.assertEqual(ext("ListServiceDeployments", cluster="default", service="web")["serviceDeployments"], [])

    def test_create_service_refuses_what_belongs_to_task_sets(self):
        api = Api()
        td = api.register()
        e = api.error("CreateService", cluster="default", serviceName="web", taskDefinition=td, desiredCount=1,
                      deploymentController={"type": "EXTERNAL"})
        self.assertEqual((e.code, e.message), ("InvalidParameterException", "TaskDefinition must be blank."))
        e = api.error("CreateService", cluster="default", serviceName="web", desiredCount=1,
                      networkConfiguration=NET, deploymentController={"type": "EXTERNAL"})
        self.assertEqual((e.code, e.message), ("InvalidParameterException", "NetworkConfiguration must be blank."))
        e = api.error("CreateService", cluster="default", serviceName="web", desiredCount=1,
                      schedulingStrategy="DAEMON", deploymentController={"type": "EXTERNAL"})
        self.assertEqual(e.code, "InvalidParameterException")
        self.assertEqual(api("ListServices", cluster="default")["serviceArns"], [])

    def test_code_deploy_stays_refused_and_points_to_blue_green(self):
        api = Api()
        td = api.register()
        e = api.error("CreateService", cluster="default", serviceName="web", taskDefinition=td, desiredCount=1,
                      launchType="FARGATE", networkConfiguration=NET, deploymentController={"type": "CODE_DEPLOY"})
        self.assertEqual(e.code, "NotImplemented")
        self.assertIn("BLUE_GREEN", e.message)
        self.assertIn("not available in the ecsdrill sandbox", e.message)

    def test_update_service_changes_the_count_but_not_what_a_task_set_holds(self):
        ext = Ext()
        e = ext.api.error("UpdateService", cluster="default", service="web", taskDefinition=ext.td2)
        self.assertEqual(e.code, "InvalidParameterException")
        self.assertIn("EXTERNAL deployment controller", e.message)
        e = ext.api.error("UpdateService", cluster="default", service="web", forceNewDeployment=True)
        self.assertEqual(e.code, "InvalidParameterException")
        svc = ext("UpdateService", cluster="default", service="web", desiredCount=5,
                  healthCheckGracePeriodSeconds=30)["service"]
        self.assertEqual((svc["desiredCount"], svc["healthCheckGracePeriodSeconds"]), (5, 30))
        self.assertEqual(svc["deployments"], [])


class ComputedCount(unittest.TestCase):
    def test_a_task_set_is_active_and_runs_ceil_of_desired_times_scale(self):
        ext = Ext(desired=3)
        ts = ext.create(scale=50)  # 3 x 50 % = 1.5, rounded up
        self.assertEqual(ts["status"], "ACTIVE")
        self.assertTrue(ts["id"].startswith("ecs-svc/"))
        self.assertEqual(ts["taskSetArn"], f"arn:aws:ecs:us-east-1:123456789012:task-set/default/web/{ts['id']}")
        self.assertEqual(ts["computedDesiredCount"], 2)
        self.assertEqual(ts["scale"], {"value": 50.0, "unit": "PERCENT"})
        self.assertEqual(ts["stabilityStatus"], "STABILIZING")
        self.assertNotIn("startedBy", ts)  # not used for an external deployment
        ext.until_steady(ts)
        tasks = ext.tasks(ts)
        self.assertEqual(len(tasks), 2)
        self.assertEqual({(t["lastStatus"], t["startedBy"], t["group"]) for t in tasks},
                         {("RUNNING", ts["id"], "service:web")})
        self.assertEqual({t["taskDefinitionArn"] for t in tasks}, {ext.td1})
        now = ext.task_set(ts)
        self.assertEqual((now["runningCount"], now["pendingCount"]), (2, 0))
        self.assertGreater(now["stabilityStatusAt"], ts["stabilityStatusAt"])
        self.assertEqual(ext.service()["runningCount"], 2)

    def test_no_scale_means_zero_percent(self):
        ext = Ext(desired=2)
        ts = ext.create(scale=None)
        self.assertEqual((ts["scale"]["value"], ts["computedDesiredCount"]), (0.0, 0))
        ext.k.advance(60)
        self.assertEqual(ext.tasks(ts), [])
        self.assertEqual(ext.task_set(ts)["stabilityStatus"], "STEADY_STATE")

    def test_scale_and_desired_count_changes_rescale_the_task_set(self):
        ext = Ext(desired=2)
        ts = ext.create(scale=50)
        ext.until_steady(ts)
        self.assertEqual(len(ext.tasks(ts)), 1)
        out = ext("UpdateTaskSet", cluster="default", service="web", taskSet=ts["id"],
                  scale={"value": 100, "unit": "PERCENT"})["taskSet"]
        self.assertEqual((out["computedDesiredCount"], out["stabilityStatus"]), (2, "STABILIZING"))
        ext.until_steady(ts)
        self.assertEqual(len(ext.tasks(ts)), 2)
        ext("UpdateService", cluster="default", service="web", desiredCount=4)
        self.assertEqual(ext.task_set(ts)["computedDesiredCount"], 4)
        ext.until_steady(ts)
        self.assertEqual(len(ext.tasks(ts)), 4)
        ext("UpdateTaskSet", cluster="default", service="web", taskSet=ts["taskSetArn"],
            scale={"value": 25, "unit": "PERCENT"})
        ext.until_steady(ts)
        self.assertEqual(len(ext.tasks(ts)), 1)
        stopped = ext.tasks(ts, desired="STOPPED")
        self.assertEqual(len(stopped), 3)
        self.assertEqual({t["stoppedReason"] for t in stopped}, {M.SCALING_ACTIVITY.format(dep=ts["id"])})

    def test_a_stopped_task_is_replaced_by_a_task_of_its_task_set(self):
        ext = Ext(desired=2)
        ts = ext.create(scale=100)
        ext.until_steady(ts)
        victim = ext.tasks(ts)[0]["taskArn"]
        ext("StopTask", cluster="default", task=victim, reason="chaos")
        ext.k.advance(1)  # the scheduler's next step
        self.assertEqual(ext.task_set(ts)["stabilityStatus"], "STABILIZING")
        ext.until_steady(ts)
        tasks = ext.tasks(ts)
        self.assertEqual(len(tasks), 2)
        self.assertNotIn(victim, {t["taskArn"] for t in tasks})
        self.assertEqual({t["startedBy"] for t in tasks}, {ts["id"]})


class Stability(unittest.TestCase):
    def test_steady_only_once_the_load_balancer_says_healthy(self):
        ext = Ext(desired=1)
        tg = ext.k.target_group()
        ts = ext.create(scale=100, tg=tg)
        running_at = ext.k.until(lambda: ext.task_set(ts)["runningCount"] == 1)
        self.assertEqual(ext.task_set(ts)["stabilityStatus"], "STABILIZING")  # target not healthy yet
        steady_at = ext.until_steady(ts)
        self.assertGreater(steady_at, running_at)
        ip = ext.tasks(ts)[0]["attachments"][0]["details"]
        ip = next(d["value"] for d in ip if d["name"] == "privateIPv4Address")
        self.assertEqual(ext.k.world.health[(tg.arn, ip)][0], "healthy")
        self.assertIn(M.STEADY.format(svc="web"), [e["message"] for e in ext.service()["events"]])


class Primary(unittest.TestCase):
    def test_the_service_shows_its_primary_task_set(self):
        ext = Ext(desired=2)
        blue = ext.create(td=ext.td1, scale=100)
        green = ext.create(td=ext.td2, scale=100)
        out = ext("UpdateServicePrimaryTaskSet", cluster="default", service="web",
                  primaryTaskSet=blue["taskSetArn"])["taskSet"]
        self.assertEqual(out["status"], "PRIMARY")
        svc = ext.service()
        self.assertEqual((svc["taskDefinition"], svc["launchType"]), (ext.td1, "FARGATE"))
        self.assertEqual(svc["networkConfiguration"], blue["networkConfiguration"])
        ext("UpdateServicePrimaryTaskSet", cluster="default", service="web", primaryTaskSet=green["id"])
        statuses = {t["id"]: t["status"] for t in ext.service()["taskSets"]}
        self.assertEqual(statuses, {blue["id"]: "ACTIVE", green["id"]: "PRIMARY"})
        self.assertEqual(ext.service()["taskDefinition"], ext.td2)
        ext.until_steady(green)
        ext.until_steady(blue)
        self.assertEqual(len(ext.tasks()), 4)  # both task sets at 100 % of 2


class Delete(unittest.TestCase):
    def test_a_scaled_task_set_needs_force_then_drains_and_goes(self):
        ext = Ext(desired=2)
        tg = ext.k.target_group(deregistration_delay_seconds=20)
        ts = ext.create(scale=100, tg=tg)
        ext.until_steady(ts)
        e = ext.api.error("DeleteTaskSet", cluster="default", service="web", taskSet=ts["id"])
        self.assertEqual((e.code, e.message), ("InvalidParameterException", task_sets.DELETE_SCALED))
        out = ext("DeleteTaskSet", cluster="default", service="web", taskSet=ts["id"], force=True)["taskSet"]
        self.assertEqual((out["status"], out["computedDesiredCount"]), ("DRAINING", 0))
        draining = [s for s, *_ in ext.k.world.health.values()]
        self.assertEqual(draining, ["draining", "draining"])
        self.assertEqual({t["lastStatus"] for t in ext.tasks(ts, desired="STOPPED")}, {"DEACTIVATING"})
        ext.k.until(lambda: not ext("DescribeTaskSets", cluster="default", service="web")["taskSets"], 120)
        self.assertEqual(ext.k.world.targets.get(tg.arn), {})
        out = ext("DescribeTaskSets", cluster="default", service="web", taskSets=[ts["taskSetArn"]])
        self.assertEqual(out["failures"], [{"arn": ts["taskSetArn"], "reason": "MISSING"}])

    def test_a_task_set_scaled_to_zero_deletes_without_force(self):
        ext = Ext(desired=2)
        ts = ext.create(scale=0)
        out = ext("DeleteTaskSet", cluster="default", service="web", taskSet=ts["taskSetArn"])["taskSet"]
        self.assertEqual(out["status"], "DRAINING")
        ext.k.advance(1)
        self.assertEqual(ext.service()["taskSets"], [])


class TargetRegistration(unittest.TestCase):
    def test_each_task_set_registers_in_its_own_target_group(self):
        ext = Ext(desired=2)
        blue_tg, green_tg = ext.k.target_group("blue"), ext.k.target_group("green")
        blue = ext.create(td=ext.td1, scale=100, tg=blue_tg)
        ext("UpdateServicePrimaryTaskSet", cluster="default", service="web", primaryTaskSet=blue["id"])
        green = ext.create(td=ext.td2, scale=50, tg=green_tg)
        ext.until_steady(blue)
        ext.until_steady(green)

        def ips(ts):
            return {d["value"] for t in ext.tasks(ts) for d in t["attachments"][0]["details"]
                    if d["name"] == "privateIPv4Address"}
        self.assertEqual(set(ext.k.world.targets[blue_tg.arn]), ips(blue))
        self.assertEqual(set(ext.k.world.targets[green_tg.arn]), ips(green))
        self.assertEqual(len(ips(green)), 1)
        # the service shows the primary's load balancer only
        self.assertEqual([lb["targetGroupArn"] for lb in ext.service()["loadBalancers"]], [blue_tg.arn])
        events = [e["message"] for e in ext.service()["events"]]
        self.assertIn(M.REGISTERED_TARGETS.format(svc="web", n=1, tg=green_tg.arn), events)

    def test_a_task_set_with_a_load_balancer_registers_without_a_primary(self):
        ext = Ext(desired=1)
        tg = ext.k.target_group()
        ts = ext.create(scale=100, tg=tg)
        ext.until_steady(ts)
        self.assertEqual(len(ext.k.world.targets[tg.arn]), 1)
        self.assertEqual(ext.service()["loadBalancers"], [])  # no primary: the service shows none

    def test_an_unhealthy_task_is_replaced(self):
        ext = Ext(desired=1)
        ext.k.push("web", "v3", "no-health")
        td = ext.api.register("v3")
        tg = ext.k.target_group(health_check_path="/health")
        ts = ext.create(td=td, scale=100, tg=tg)
        ext.k.until(lambda: len(ext.tasks(ts, desired="STOPPED")) >= 1, 600)
        stopped = ext.tasks(ts, desired="STOPPED")[0]
        self.assertEqual(stopped["stoppedReason"], M.ELB_HEALTH.format(tg=tg.arn))
        self.assertNotIn(stopped["taskArn"], {t["taskArn"] for t in ext.tasks(ts)})
        self.assertGreaterEqual(len(ext.tasks(ts)), 1)  # its replacement, started before it stopped
        self.assertEqual(ext.task_set(ts)["stabilityStatus"], "STABILIZING")
        events = [e["message"] for e in ext.service()["events"]]
        self.assertTrue(any(M.REPLACED_UNHEALTHY.format(n=1) in m for m in events))


class Errors(unittest.TestCase):
    def test_task_sets_need_an_external_service(self):
        api = Api()
        td = api.register()
        api.service(td, desired=1)
        e = api.error("CreateTaskSet", cluster="default", service="web", taskDefinition=td, launchType="FARGATE",
                      networkConfiguration=NET)
        self.assertEqual((e.code, e.message), ("InvalidParameterException", task_sets.NOT_EXTERNAL))
        e = api.error("DescribeTaskSets", cluster="default", service="web")
        self.assertEqual(e.code, "InvalidParameterException")
        self.assertEqual(api.error("CreateTaskSet", cluster="default", service="nope", taskDefinition=td).code,
                         "ServiceNotFoundException")

    def test_unknown_task_sets_bad_scales_and_the_limit(self):
        ext = Ext(desired=1)
        for op, extra in (("UpdateTaskSet", {"scale": {"value": 10, "unit": "PERCENT"}}),
                          ("DeleteTaskSet", {}), ("UpdateServicePrimaryTaskSet", {})):
            key = "primaryTaskSet" if op == "UpdateServicePrimaryTaskSet" else "taskSet"
            e = ext.api.error(op, cluster="default", service="web", **{key: "ecs-svc/1"}, **extra)
            self.assertEqual((e.code, e.message), ("TaskSetNotFoundException", task_sets.NOT_FOUND), op)
        e = ext.api.error("CreateTaskSet", cluster="default", service="web", taskDefinition=ext.td1,
                          launchType="FARGATE", networkConfiguration=NET, scale={"value": 150, "unit": "PERCENT"})
        self.assertEqual(e.code, "InvalidParameterException")
        e = ext.api.error("CreateTaskSet", cluster="default", service="web", taskDefinition=ext.td1,
                          launchType="FARGATE")
        self.assertEqual((e.code, e.message), ("InvalidParameterException", M.NETWORK_CONFIG_REQUIRED))
        for _ in range(task_sets.MAX_TASK_SETS):
            ext.create(scale=0)
        e = ext.api.error("CreateTaskSet", cluster="default", service="web", taskDefinition=ext.td1,
                          launchType="FARGATE", networkConfiguration=NET)
        self.assertEqual(e.message, task_sets.TOO_MANY.format(n=5))
        out = ext("DescribeTaskSets", cluster="default", service="web", taskSets=["ecs-svc/1"])
        self.assertEqual(out["failures"][0]["reason"], "MISSING")

    def test_a_client_token_makes_create_idempotent(self):
        ext = Ext(desired=1)
        a = ext.create(scale=0, clientToken="t-1")
        b = ext.create(scale=0, clientToken="t-1")
        self.assertEqual(a["id"], b["id"])
        self.assertEqual(len(ext.service()["taskSets"]), 1)


class Shapes(unittest.TestCase):
    def test_answers_have_the_documented_members_and_tags_only_when_asked(self):
        ext = Ext(desired=1)
        ts = ext.create(scale=100, tags=[{"key": "team", "value": "web"}], externalId="deploy-7")
        self.assertEqual(ts["tags"], [{"key": "team", "value": "web"}])
        self.assertEqual(ts["externalId"], "deploy-7")
        ext.until_steady(ts)
        model = shapes.service_model()
        for op, params in (("DescribeTaskSets", {"cluster": "default", "service": "web", "include": ["TAGS"]}),
                           ("DescribeServices", {"cluster": "default", "services": ["web"]})):
            members_only(model.operation_model(op).output_shape, ext(op, **params))
        self.assertNotIn("tags", ext.task_set(ts))
        self.assertEqual(ext.task_set(ts, include=["TAGS"])["tags"], [{"key": "team", "value": "web"}])
        listed = ext.service()["taskSets"][0]
        self.assertNotIn("tags", listed)
        self.assertFalse(any(k.startswith("_") for k in listed))
        self.assertIsInstance(listed["createdAt"], float)


class Snapshot(unittest.TestCase):
    def test_task_sets_survive_a_pickled_store(self):
        ext = Ext(desired=2)
        ts = ext.create(scale=100)
        ext.k.advance(10)
        store = pickle.loads(pickle.dumps(ext.k.store))
        ext.k.store.regions = store.regions
        ext.k.sim.store.regions = store.regions
        ext.until_steady(ts)
        self.assertEqual(len(ext.tasks(ts)), 2)
        self.assertIsInstance(store.regions[("123456789012", "us-east-1")].services["default:web"].task_sets[0], dict)


class DeleteService(unittest.TestCase):
    def test_a_deleted_external_service_drains_its_task_sets_and_goes_inactive(self):
        ext = Ext(desired=1)
        ts = ext.create(scale=100)
        ext.until_steady(ts)
        e = ext.api.error("DeleteService", cluster="default", service="web")
        self.assertEqual(e.code, "InvalidParameterException")
        ext("DeleteService", cluster="default", service="web", force=True)
        ext.k.until(lambda: ext.service()["status"] == "INACTIVE", 120)
        self.assertEqual(ext.service()["taskSets"], [])
        self.assertEqual(ext.tasks(), [])


if __name__ == "__main__":
    unittest.main()
