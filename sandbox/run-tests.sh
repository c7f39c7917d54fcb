#!/usr/bin/env bash
# Run the sandbox's end-to-end tests against the real server and the real aws CLI.
# Usage: sandbox/run-tests.sh VENV [-j JOBS] [test_module ...]
#   VENV: a virtual environment made from sandbox/requirements.txt (it must have
#         bin/python with moto and bin/aws). Nothing is installed here.
# Prints the usual unittest output per module, then one line "N passed, N failed";
# exits 0 only if every test passed.
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 VENV [-j JOBS] [test_module ...]" >&2
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
