"""Run the sandbox's Python test suites, in two phases, and print their counts.

1. in-process: the unit tests in unit/ (the simulation core against a fake world,
   the provider, the clock, and the moto adapter's contract tests against the
   pinned moto), one ``python -m unittest discover -s unit -v`` process;
2. end-to-end: each test_*.py module in its own process (each starts its own
   sandbox server and drives it with the real ``aws`` CLI), two at a time.

Each phase ends with a line such as ``in-process: 60 passed, 0 failed, 0 skipped (3 s)``;
the last line is the total, ``N passed, N failed``. Exits 0 only if nothing failed.
Run it with the sandbox venv's python (run-tests.sh does): under it the moto
adapter's contract tests must run, so skipping them fails the run.

Usage: run.py [-j JOBS] [--unit-only | --e2e-only] [MODULE ...] (naming modules runs
only those end-to-end modules).
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

HERE = os.path.dirname(os.path.abspath(__file__))
# "test_x (module.Class.test_x) ... ok", or with the docstring's first line on a second line
RESULT = re.compile(r"^(test\w+) \(([\w.]+)\)(?:\n[^\n]*?)? \.\.\. "
                    r"(ok|FAIL|ERROR|skipped[^\n]*|expected failure|unexpected success)$", re.M)
CALLS = re.compile(r"^ECSDRILL_CALLS cli=(\d+) api=(\d+) server_cpu=([\d.]+)$", re.M)
ADAPTER_MODULE = "test_moto_adapter"
# end-to-end modules that spend their time waiting for the realtime clock (aws ecs wait), not computing
WAITS_ON_WALL_CLOCK = ("test_11_realtime",)


class Tally:
    def __init__(self) -> None:
        self.passed = self.failed = self.skipped = 0
        self.skipped_names: list[str] = []

    def add(self, output: str, code: int) -> None:
        bad = 0
        for m in RESULT.finditer(output):
            outcome = m.group(3)
            if outcome in ("ok", "expected failure"):
                self.passed += 1
            elif outcome.startswith("skipped"):
                self.skipped += 1
                self.skipped_names.append(f"{m.group(2)}")
            else:
                bad += 1
        if code != 0 and bad == 0:
            bad = 1  # failed outside any test (import error, server did not start)
        self.failed += bad

    def line(self, phase: str, seconds: float, extra: str = "") -> str:
        return (f"{phase}: {self.passed} passed, {self.failed} failed, {self.skipped} skipped "
                f"({seconds:.0f} s{extra})")


def run(cmd: list[str], timeout: float) -> tuple[int, str, float, float]:
    """Run cmd in HERE: its exit code, its output (stderr then stdout, as unittest writes
    its report to stderr), wall seconds, and CPU seconds of it and the processes it waited
    for (the server, the aws CLI)."""
    t0 = time.monotonic()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, cwd=HERE, stdout=out, stderr=err, text=True)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        output = err.read() + out.read()
    return proc.returncode, output, time.monotonic() - t0, usage.ru_utime + usage.ru_stime


def run_unit() -> tuple[Tally, float, float]:
    code, output, seconds, cpu = run([sys.executable, "-m", "unittest", "discover", "-s", "unit", "-t", "unit", "-v"],
                                     900)
    print("===== in-process (unit/) =====")
    print(output.rstrip())
    tally = Tally()
    tally.add(output, code)
    adapter_skips = [n for n in tally.skipped_names if n.split(".")[0] == ADAPTER_MODULE]
    if adapter_skips:
        # run.py runs with the sandbox venv's python, which has the pinned moto: a skip here
        # means the pin and the venv disagree, and the adapter would go untested
        print(f"in-process: the moto adapter's contract tests were skipped ({len(adapter_skips)}) with "
              f"{sys.executable}; they must run under the sandbox venv (is moto the pinned version?)")
        tally.failed += 1
    return tally, seconds, cpu


def run_module(module: str) -> tuple[str, int, str, float, float]:
    code, output, seconds, cpu = run([sys.executable, "-m", "unittest", "-v", module], 1800)
    return module, code, output, seconds, cpu


def run_e2e(modules: list[str], jobs: int) -> tuple[Tally, float, str]:
    t0 = time.monotonic()
    tally = Tally()
    cli = api = 0
    cpu = server = 0.0
    # modules that mostly wait on the wall clock first (they leave the CPU to the others), then
    # the biggest (file size for their length), so that the workers end together; each module's
    # report is printed as it ends
    order = sorted(modules, key=lambda m: (m not in WAITS_ON_WALL_CLOCK,
                                           -os.path.getsize(os.path.join(HERE, m + ".py"))))
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for future in as_completed([pool.submit(run_module, m) for m in order]):
            module, code, output, seconds, module_cpu = future.result()
            calls = [(int(m.group(1)), int(m.group(2)), float(m.group(3))) for m in CALLS.finditer(output)]
            cli += sum(c[0] for c in calls)
            api += sum(c[1] for c in calls)
            server += sum(c[2] for c in calls)
            cpu += module_cpu
            print(f"===== {module} ({seconds:.0f} s, {module_cpu:.0f} s CPU; aws CLI calls: "
                  f"{sum(c[0] for c in calls)}) =====")
            print(output.rstrip(), flush=True)
            tally.add(output, code)
    detail = (f"{len(modules)} modules, {cpu:.0f} s CPU of which server {server:.0f} s; "
              f"{cli} aws CLI calls, {api} botocore calls")
    return tally, time.monotonic() - t0, detail


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("-j", "--jobs", type=int, default=min(2, os.cpu_count() or 1))
    only = p.add_mutually_exclusive_group()
    only.add_argument("--unit-only", action="store_true", help="only the in-process phase")
    only.add_argument("--e2e-only", action="store_true", help="only the end-to-end phase")
    p.add_argument("modules", nargs="*", help="end-to-end modules (test_1_services ...); implies --e2e-only")
    args = p.parse_args()
    t0 = time.monotonic()
    lines = []
    total = Tally()
    if not args.e2e_only and not args.modules:
        unit, seconds, cpu = run_unit()
        lines.append(unit.line("in-process", seconds, f", {cpu:.0f} s CPU"))
        print(lines[-1], flush=True)
        for name in ("passed", "failed", "skipped"):
            setattr(total, name, getattr(total, name) + getattr(unit, name))
    if not args.unit_only:
        modules = args.modules or sorted(os.path.basename(f)[:-3] for f in glob.glob(os.path.join(HERE, "test_*.py")))
        e2e, seconds, detail = run_e2e(modules, args.jobs)
        lines.append(e2e.line("end-to-end", seconds, f"; {detail}"))
        for name in ("passed", "failed", "skipped"):
            setattr(total, name, getattr(total, name) + getattr(e2e, name))
    print("=====")
    for line in lines:
        print(line)
    print(f"sandbox tests took {time.monotonic() - t0:.0f}s")
    line = f"{total.passed} passed, {total.failed} failed"
    if total.skipped:
        line += f", {total.skipped} skipped"
    print(line)
    return 0 if total.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
