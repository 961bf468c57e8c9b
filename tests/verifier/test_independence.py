"""The verifier installs and runs without the server extras (issue 5, build 3; DESIGN §2).

A separate virtual environment (one per test session) gets ``pip install <checkout>`` with the base
dependencies only, from the configured package index and pip's cache. There, the server stack must not be
importable at all, and ``hotline-verify`` must verify evidence that the main environment produced: a ticket's
bundle (``--offline``: every step but the chain's) and a signed checkpoint. CI runs the whole suite, this
test included (``slow``: it builds a virtual environment).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from ledger.bundles import ticket_bundle
from tests.evidence.conftest import AnchoredLog, anchored, clock, deployment, dev_chain, make_worker  # noqa: F401

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
#: What the verifier must run without: the server extra (and the producer's chain writer).
SERVER_STACK = ("sqlalchemy", "fastapi", "web3", "starlette", "uvicorn", "alembic", "psycopg")
#: The source a ``pip install <checkout>`` needs.
SOURCE = ("pyproject.toml", "README.md", "verifier", "ledger", "api")


@pytest.fixture(scope="session")
def verifier_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment holding this checkout installed with its base dependencies only."""
    root = tmp_path_factory.mktemp("independent")
    checkout = root / "checkout"
    for name in SOURCE:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, checkout / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            checkout.mkdir(exist_ok=True)
            shutil.copy2(source, checkout / name)
    environment = root / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    command = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(checkout)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return environment


def run(environment: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(environment / "bin" / command[0]), *command[1:]], capture_output=True, text=True, timeout=120
    )


def test_the_server_stack_is_not_installed_beside_the_verifier(verifier_venv: Path) -> None:
    probe = (
        "import importlib.util, json, sys; "
        f"print(json.dumps([m for m in {list(SERVER_STACK)!r} if importlib.util.find_spec(m)]))"
    )
    found = run(verifier_venv, "python", "-c", probe)
    assert found.returncode == 0 and found.stdout.strip() == "[]", found.stdout + found.stderr
    # The verifier itself (and every module the CLI loads) imports there.
    imported = run(verifier_venv, "python", "-c", "import verifier.cli, verifier.audit_cli, verifier.sources.chain")
    assert imported.returncode == 0, imported.stderr
    assert sys.prefix not in run(verifier_venv, "python", "-c", "import verifier; print(verifier.__file__)").stdout


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("dev_chain", ["eth-tester"], indirect=True)
def test_hotline_verify_checks_the_main_environments_evidence_there(
    verifier_venv: Path,
    anchored: AnchoredLog,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    bundle, trust, note = tmp_path / "ticket.json", tmp_path / "trust.json", tmp_path / "checkpoint.txt"
    bundle.write_bytes(ticket_bundle(anchored.ledger, anchored.tickets[0]).bundle.encode())
    trust.write_bytes(anchored.trust.encode())
    checkpoint = anchored.ledger.latest_checkpoint()
    assert checkpoint is not None
    note.write_text(checkpoint.note)
    state = ["--state-dir", str(tmp_path / "state")]

    offline = run(verifier_venv, "hotline-verify", "bundle", str(bundle), "--trust", str(trust), "--offline", *state)
    # Offline, the chain's steps cannot run: INCOMPLETE (exit 3), with every other step passed.
    assert offline.returncode == 3, offline.stdout + offline.stderr
    assert offline.stdout.startswith("INCOMPLETE:") and "V5, V6, V10 not run: offline" in offline.stdout
    assert "failed" not in offline.stdout and "Traceback" not in offline.stderr

    vkey = anchored.ledger.signer.vkey
    checked = run(
        verifier_venv, "hotline-verify", "checkpoint", str(note), "--key", vkey, "--origin", anchored.trust.origin
    )
    assert checked.returncode == 0 and checked.stdout.startswith("OK:"), checked.stdout + checked.stderr
    forged = tmp_path / "forged.txt"
    forged.write_text(checkpoint.note.replace("\n", "\n\n", 1))
    refused = run(verifier_venv, "hotline-verify", "checkpoint", str(forged), "--key", vkey)
    assert refused.returncode in (1, 2) and "Traceback" not in refused.stderr, refused.stdout + refused.stderr
