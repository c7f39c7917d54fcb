"""ecsdrill's local ECS sandbox: moto plus an ECS scheduler simulation.

Run it with ``python -m ecsdrill_sandbox --port 0 [--clock manual]`` (with
``sandbox/server`` on ``PYTHONPATH``). See ``sandbox/README.md``.
"""

__version__ = "0.1.0"

ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
