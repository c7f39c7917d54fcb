"""Run the sandbox's end-to-end tests: each test module in its own process
(each starts its own sandbox server), two at a time, then one summary line
``N passed, N failed``. Usage: run.py [-j JOBS] [MODULE ...]."""

from __future__ import annotations

import argparse
import glob
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
RESULT = re.compile(r"^(test\w+) \(([\w.]+)\)(?:\n.*?)? \.\.\. (ok|FAIL|ERROR|skipped.*|expected failure|unexpected success)$",
                    re.M | re.S)


def run_module(module: str) -> tuple[str, int, str, float]:
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "unittest", "-v", module], cwd=HERE,
                          capture_output=True, text=True, timeout=1800)
    return module, proc.returncode, proc.stderr + proc.stdout, time.monotonic() - t0


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("-j", "--jobs", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("modules", nargs="*")
    args = p.parse_args()
    modules = args.modules or sorted(os.path.basename(f)[:-3] for f in glob.glob(os.path.join(HERE, "test_*.py")))
    passed = failed = skipped = 0
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for module, code, output, seconds in pool.map(run_module, modules):
            print(f"===== {module} ({seconds:.0f}s) =====")
            print(output.rstrip())
            outcomes = [m.group(3) for m in RESULT.finditer(output)]
            ok = sum(1 for o in outcomes if o in ("ok", "expected failure"))
            skip = sum(1 for o in outcomes if o.startswith("skipped"))
            bad = sum(1 for o in outcomes if o in ("FAIL", "ERROR", "unexpected success"))
            if code != 0 and bad == 0:
                bad = 1  # the module failed outside any test (import error, server did not start)
            passed += ok
            failed += bad
            skipped += skip
    print(f"sandbox tests took {time.monotonic() - t0:.0f}s")
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
