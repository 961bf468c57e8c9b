"""The page's JavaScript verifier (api/page/static/*.js) against ../shared/vectors, in Node's test runner.

Node 20 has WebCrypto (SHA-256 and Ed25519), the same primitives the page uses in the browser. The Node
tests (tests/page/js/*.test.mjs) read the vectors in place and count what they checked; this runs them.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.vectors import vectors_dir

JS_TESTS = Path(__file__).parent / "js"


def test_node_runs_the_vector_tests() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed for the page's JavaScript tests (it also builds the contracts)")
    assert vectors_dir().is_dir()
    tests = sorted(str(p) for p in JS_TESTS.glob("*.test.mjs"))
    assert len(tests) >= 2
    done = subprocess.run([node, "--test", *tests], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "# fail 0" in done.stdout and "# pass " in done.stdout, done.stdout
