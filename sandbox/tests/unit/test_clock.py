"""The simulation clock (ecsdrill_sandbox.clock) against a fake wall clock: manual
time moves only by advance, realtime time follows wall time times the speed in
whole steps. (test_0_control checks end to end that the server's clock moves.)"""

import unittest
from unittest import mock

import fakes  # noqa: F401 - puts the server package on sys.path
from ecsdrill_sandbox import clock as clock_module
from ecsdrill_sandbox.clock import Clock


class FakeWall:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class ClockModes(unittest.TestCase):
    def setUp(self):
        self.wall = FakeWall()
        patcher = mock.patch.object(clock_module.time, "monotonic", self.wall)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.steps = []

    def step(self, dt):
        self.steps.append(dt)

    def test_manual_time_moves_only_by_advance(self):
        c = Clock("manual")
        self.wall.now += 3600
        c.catch_up(self.step)
        self.assertEqual((c.elapsed, self.steps), (0.0, []))
        c.advance(90, self.step)
        self.assertEqual(c.elapsed, 90)
        self.assertEqual(self.steps, [1.0] * 90)  # one simulation step per simulated second
        with self.assertRaises(ValueError):
            c.advance(-1, self.step)

    def test_realtime_follows_wall_time_times_the_speed_in_whole_steps(self):
        c = Clock("realtime", 50)
        self.wall.now += 1.0
        c.catch_up(self.step)
        self.assertEqual(c.elapsed, 50)
        self.wall.now += 0.012  # 0.6 simulated seconds: kept for next time
        c.catch_up(self.step)
        self.assertEqual(c.elapsed, 50)
        self.wall.now += 0.012
        c.catch_up(self.step)
        self.assertEqual(c.elapsed, 51)
        self.assertTrue(all(dt == 1.0 for dt in self.steps))

    def test_switching_to_manual_stops_time_and_back_starts_from_then(self):
        c = Clock("realtime", 1)
        self.wall.now += 10
        c.set_mode("manual")
        c.catch_up(self.step)
        self.assertEqual(c.elapsed, 0)
        self.wall.now += 100
        c.catch_up(self.step)
        c.set_mode("realtime", 2)
        self.wall.now += 5
        c.catch_up(self.step)
        self.assertEqual(c.elapsed, 10)
        self.assertEqual(c.status(), {"mode": "realtime", "speed": 2.0})

    def test_bad_settings_are_refused(self):
        c = Clock("manual")
        for mode, speed in (("fast", None), (None, 0), (None, 1001)):
            with self.assertRaises(ValueError):
                c.set_mode(mode, speed)
        with self.assertRaises(ValueError):
            Clock("fast")


if __name__ == "__main__":
    unittest.main()
