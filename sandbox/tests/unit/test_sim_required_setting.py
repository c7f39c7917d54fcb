"""A crash image requires one setting (APP_MODE unless the push names another): it exits,
saying so in its log, unless its container sets it; with the setting in ``environment``
(a non-empty value) or ``secrets`` it runs as a healthy app. The name is part of the
image, so another name is another digest, and the default keeps the old digests."""

from __future__ import annotations

import hashlib
import unittest

from fakes import ACCOUNT, REGION, Kit, M
from ecsdrill_sandbox.images import Behavior, build_manifest

GROUP = "/ecs/orders"
PARAM = "/drill/orders/db-url"


def digest(behavior: Behavior) -> str:
    return "sha256:" + hashlib.sha256(build_manifest("orders", "v2", behavior).encode()).hexdigest()


class RequiredSetting(unittest.TestCase):
    def setUp(self):
        self.k = Kit()
        self.k.push("orders", "v2", "crash", exit_code=78, requires="ORDERS_DB_URL")
        self.k.push("orders", "v1", "crash")  # the default: requires APP_MODE
        self.k.world.parameters.add((ACCOUNT, REGION, PARAM))

    def td(self, tag: str = "v2", *, environment: list | None = None, secrets: list | None = None):
        td = self.k.task_definition("orders", self.k.uri("orders", tag), log_group=GROUP)
        container = td.container_definitions[0]
        if environment is not None:
            container["environment"] = environment
        if secrets is not None:
            container["secrets"] = secrets
        return td

    def run_task(self, td):
        task = self.k.run_task(td, public_ip=True)
        self.k.until(lambda: task.last_status == "RUNNING" or task.desired_status == "STOPPED", 60)
        self.assertEqual(task.last_status, "RUNNING", task.stopped_reason)
        return task

    def log(self, task) -> list[str]:
        return [e["message"] for e in self.k.world.logs[(ACCOUNT, REGION, GROUP)][f"ecs/app/{task.id}"]]

    def assertCrashes(self, td, name: str, code: int):
        t = self.run_task(td)
        self.k.until(lambda: t.desired_status == "STOPPED", 60)
        self.assertEqual((t.stopped_reason, t.stop_code), (M.ESSENTIAL_EXITED, M.STOP_ESSENTIAL))
        self.assertEqual(t.containers[0]["exitCode"], code)
        self.assertEqual(self.log(t), ["[info] starting app", f"[fatal] required setting {name} is not set",
                                       f"[fatal] exiting with status {code}"])

    def assertRuns(self, td, name: str):
        t = self.run_task(td)
        self.k.advance(300)
        self.assertEqual((t.last_status, t.desired_status), ("RUNNING", "RUNNING"))
        self.assertNotIn("exitCode", t.containers[0])
        self.assertEqual(self.log(t), ["[info] starting app", f"[info] required setting {name} is set",
                                       "[info] listening on 0.0.0.0:80"])

    def test_without_the_setting_it_crashes_and_its_log_names_the_setting(self):
        self.assertCrashes(self.td(), "ORDERS_DB_URL", 78)

    def test_another_setting_an_empty_value_or_a_near_name_is_not_the_setting(self):
        for env in ([{"name": "APP_MODE", "value": "production"}],
                    [{"name": "ORDERS_DB_URL", "value": ""}],
                    [{"name": "ORDER_DB_URL", "value": "postgres://db.internal/orders"}]):
            with self.subTest(env=env):
                self.assertCrashes(self.td(environment=env), "ORDERS_DB_URL", 78)

    def test_with_the_setting_in_environment_it_runs_healthy(self):
        self.assertRuns(self.td(environment=[{"name": "LOG_LEVEL", "value": "info"},
                                             {"name": "ORDERS_DB_URL", "value": "postgres://db.internal/orders"}]),
                        "ORDERS_DB_URL")

    def test_with_the_setting_in_secrets_it_runs_healthy(self):
        self.assertRuns(self.td(secrets=[{"name": "ORDERS_DB_URL", "valueFrom": PARAM}]), "ORDERS_DB_URL")

    def test_the_default_image_requires_app_mode(self):
        self.assertCrashes(self.td("v1"), "APP_MODE", 1)
        self.assertRuns(self.td("v1", environment=[{"name": "APP_MODE", "value": "production"}]), "APP_MODE")

    def test_a_service_of_the_configured_image_settles_with_every_task_running(self):
        k = self.k
        svc = k.service("orders", self.td(environment=[{"name": "ORDERS_DB_URL", "value": "postgres://db/orders"}]),
                        2)
        k.until(lambda: k.steady(svc), 300)
        k.advance(300)
        self.assertEqual(len([t for t in k.live(svc) if t.last_status == "RUNNING"]), 2)
        self.assertEqual(len(k.tasks(svc)), 2, "no task stopped")

    def test_the_required_name_is_part_of_the_image(self):
        plain = Behavior(kind="crash", exit_code=3)
        named = Behavior(kind="crash", exit_code=3, requires="ORDERS_DB_URL")
        other = Behavior(kind="crash", exit_code=3, requires="PAYMENT_API_KEY")
        self.assertEqual(len({digest(plain), digest(named), digest(other)}), 3)
        self.assertEqual(digest(named), digest(Behavior(kind="crash", exit_code=3, requires="ORDERS_DB_URL")))
        # the default is not written, so images pushed before the name existed keep their digests
        self.assertEqual(digest(Behavior(kind="crash", requires="APP_MODE")), digest(Behavior(kind="crash")))
        self.assertNotIn("requires", plain.to_json())
        self.assertEqual(named.to_json()["requires"], "ORDERS_DB_URL")


if __name__ == "__main__":
    unittest.main()
