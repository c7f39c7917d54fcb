"""The simulation clock.

Simulated time starts at the wall-clock time the server (or the last reset)
started, truncated to the second, and only moves forward. In ``manual`` mode it
moves only through ``advance``; in ``realtime`` mode it follows wall time times
``speed`` (``catch_up``, called before each request and by a background ticker).
Every move is cut into steps of at most ``STEP`` simulated seconds and the
simulation runs once per step, so the outcome depends only on the simulated
times at which requests arrive, never on how fast the machine is.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Callable

STEP = 1.0  # simulated seconds per simulation step
# in realtime mode a long pause (laptop asleep) is replayed with coarser steps
MAX_CATCH_UP_STEPS = 3600


class Clock:
    def __init__(self, mode: str = "realtime", speed: float = 1.0) -> None:
        if mode not in ("realtime", "manual"):
            raise ValueError("clock mode must be realtime or manual")
        self.mode = mode
        self.speed = float(speed)
        self.reset_epoch()

    def reset_epoch(self) -> None:
        self.epoch = datetime.now(timezone.utc).replace(microsecond=0)
        self.elapsed = 0.0  # simulated seconds since epoch
        self._wall_mark = time.monotonic()

    def now(self) -> datetime:
        return self.epoch + timedelta(seconds=self.elapsed)

    def set_mode(self, mode: str | None = None, speed: float | None = None) -> None:
        if mode is not None:
            if mode not in ("realtime", "manual"):
                raise ValueError("mode must be 'realtime' or 'manual'")
            self.mode = mode
        if speed is not None:
            speed = float(speed)
            if not (0 < speed <= 1000):
                raise ValueError("speed must be > 0 and <= 1000")
            self.speed = speed
        self._wall_mark = time.monotonic()

    def advance(self, seconds: float, step: Callable[[float], None]) -> None:
        """Move simulated time forward by ``seconds``, calling ``step(dt)`` after
        each step with the clock already moved."""
        if seconds < 0:
            raise ValueError("cannot advance by a negative amount")
        remaining = float(seconds)
        n_steps = remaining / STEP
        size = STEP if n_steps <= MAX_CATCH_UP_STEPS or self.mode == "manual" else remaining / MAX_CATCH_UP_STEPS
        while remaining > 1e-9:
            dt = min(size, remaining)
            self.elapsed += dt
            remaining -= dt
            step(dt)

    def catch_up(self, step: Callable[[float], None]) -> None:
        if self.mode != "realtime":
            self._wall_mark = time.monotonic()
            return
        now = time.monotonic()
        wall = now - self._wall_mark
        sim = wall * self.speed
        # only whole steps, keep the remainder for next time
        whole = int(sim / STEP) * STEP
        if whole <= 0:
            return
        self._wall_mark += whole / self.speed
        self.advance(whole, step)

    def status(self) -> dict:
        return {"mode": self.mode, "speed": self.speed}
