"""Server processes run with garbage collection tuned (``api.gc_tuning``): what they hold after start-up is
frozen and young collections wait longer. Checked in a process of its own, as it changes the whole process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from api.gc_tuning import THRESHOLDS

_PROBE = """
import gc, json
from api.app import create_app_from_env
before = gc.get_threshold()
create_app_from_env()
print(json.dumps({"before": before, "after": gc.get_threshold(), "frozen": gc.get_freeze_count()}))
"""


def test_the_server_factory_tunes_collection(tmp_path: Path) -> None:
    environment = {**os.environ, "HOTLINE_DATA_DIR": str(tmp_path / "var"), "HOTLINE_ENVIRONMENT": "development"}
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, env=environment, timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["before"] == [700, 10, 10]  # CPython's defaults until a server is built
    assert tuple(found["after"]) == THRESHOLDS
    assert found["frozen"] > 10_000  # the modules and objects of the built app, left out of collections
