#!/usr/bin/env bash
# Run the sandbox's Python tests: first the in-process unit tests (tests/unit: the
# simulation core, the provider, the clock, the moto adapter's contract tests), then
# the end-to-end modules (tests/test_*.py) against the real server and the real aws CLI.
# Usage: sandbox/run-tests.sh VENV [-j JOBS] [--unit-only | --e2e-only] [test_module ...]
#   VENV: a virtual environment made from sandbox/requirements.txt (it must have
#         bin/python with moto and bin/aws). Nothing is installed here.
# Prints the usual unittest output, one summary line per phase ("in-process: ...",
# "end-to-end: ..."), then the total "N passed, N failed"; exits 0 only if every
# test passed (and the adapter's contract tests ran rather than skipped).
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 VENV [-j JOBS] [--unit-only | --e2e-only] [test_module ...]" >&2
  exit 2
fi
VENV=$(cd "$1" && pwd)
shift
HERE=$(cd "$(dirname "$0")" && pwd)
for tool in python aws; do
  if [ ! -x "$VENV/bin/$tool" ]; then
    echo "$0: $VENV/bin/$tool not found; create the venv from sandbox/requirements.txt first" >&2
    exit 2
  fi
done
export ECSDRILL_SANDBOX_VENV="$VENV"
exec "$VENV/bin/python" "$HERE/tests/run.py" "$@"
