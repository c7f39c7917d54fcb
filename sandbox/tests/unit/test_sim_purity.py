"""The simulation core does not use moto; only moto_adapter (and the server's
bootstrap) import it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unittest

from fakes import SERVER

PACKAGE = os.path.join(SERVER, "ecsdrill_sandbox")
MAY_IMPORT_MOTO = {"moto_adapter.py", "server.py", "__main__.py"}
IMPORT_MOTO = re.compile(r"^\s*(import moto\b|from moto\b)", re.MULTILINE)

# an import of moto anywhere below here fails
BLOCK_MOTO = r"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "moto" or name.startswith("moto."):
            raise ImportError("moto imported by the simulation core: " + name)
        return None
sys.meta_path.insert(0, Block())
"""


class NoMoto(unittest.TestCase):
    def test_only_the_adapter_and_the_bootstrap_import_moto(self):
        offenders = []
        for root, _dirs, files in os.walk(PACKAGE):
            for name in files:
                if not name.endswith(".py"):
                    continue
                path = os.path.join(root, name)
                rel = os.path.relpath(path, PACKAGE)
                with open(path, encoding="utf-8") as f:
                    if IMPORT_MOTO.search(f.read()) and rel not in MAY_IMPORT_MOTO:
                        offenders.append(rel)
        self.assertEqual(offenders, [], "only moto_adapter.py, server.py and __main__.py may import moto")

    def test_the_core_runs_a_scenario_with_moto_blocked(self):
        here = os.path.dirname(os.path.abspath(__file__))
        code = BLOCK_MOTO + r"""
sys.path.insert(0, %r)
import fakes
import ecsdrill_sandbox.ecs.sim, ecsdrill_sandbox.ecs.model, ecsdrill_sandbox.ecs.world
import ecsdrill_sandbox.ecs.autoscaling, ecsdrill_sandbox.iam_eval, ecsdrill_sandbox.iam_sim
import ecsdrill_sandbox.images, ecsdrill_sandbox.network, ecsdrill_sandbox.messages, ecsdrill_sandbox.clock
k = fakes.Kit()
k.push("web", "v1")
svc = k.service("web", k.task_definition(), 2, tg=k.target_group())
k.until(lambda: k.steady(svc), 600)
assert not [m for m in sys.modules if m == "moto" or m.startswith("moto.")]
print("ok")
""" % here
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=here, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), "ok")


if __name__ == "__main__":
    unittest.main()
