"""11. The real-time clock: what a learner's own waiting sees (one test, a few wall seconds; 15 more
if the waiter's first poll came before the tasks run)."""

from harness import REGISTRY, SandboxTest, setUpModule, tearDownModule  # noqa: F401


class RealTime(SandboxTest):
    def tearDown(self):
        self.sb.post("/_ecsdrill/clock", {"mode": "manual"})

    def test_wait_services_stable_returns_once_the_service_is_steady(self):
        sb = self.sb
        sb.exec_role()
        sb.cluster()
        sb.push("web", "v1", "healthy")
        td = sb.task_definition("web", f"{REGISTRY}/web:v1")
        # 1000 simulated seconds per wall second: the tasks start (within 58 s) in a twentieth of a
        # wall second, before the waiter's first poll (the aws CLI takes half a second to start)
        sb.post("/_ecsdrill/clock", {"mode": "realtime", "speed": 1000})
        sb.service("web", td, 2)
        sb.aws("ecs", "wait", "services-stable", "--cluster", "lab", "--services", "web")
        # what the waiter waits for: one deployment, running = desired (the rollout may still be
        # settling its health: the waiter does not look at rolloutState)
        d = self.describe("web")
        self.assertEqual((d["runningCount"], d["desiredCount"], len(d["deployments"])), (2, 2, 1))
        sb.post("/_ecsdrill/clock", {"mode": "manual"})
        sb.advance(60)
        self.assertEqual(self.describe("web")["deployments"][0]["rolloutState"], "COMPLETED")
