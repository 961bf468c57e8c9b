"""``scripts/compile_contracts.py --check`` names every difference between the committed artifact and a build."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ledger.anchoring.contract import ARTIFACT_PATH, load_artifact

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "compile_contracts.py"


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("compile_contracts", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def committed() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(ARTIFACT_PATH.read_text(encoding="utf-8"))
    return loaded


def test_the_committed_artifact_is_what_the_helper_loads(committed: dict[str, Any]) -> None:
    artifact = load_artifact()
    assert artifact.bytecode.hex() == committed["bytecode"].removeprefix("0x")
    assert artifact.compiler_version == committed["compiler"]["version"] == "0.8.37+commit.f401782d"
    assert committed["settings"]["evmVersion"] == "paris"
    assert committed["settings"]["optimizer"] == {"enabled": True, "runs": 200}
    assert "contracts/CheckpointAnchor.sol" in committed["sources"]
    assert any(name.endswith("@openzeppelin/contracts/access/AccessControl.sol") for name in committed["sources"])
    # paris bytecode: no PUSH0 (0x5f) or MCOPY (0x5e) can run on a pre-Shanghai chain; checked by running it
    # on anvil --hardfork paris in the other tests.
    assert {e["name"] for e in committed["abi"] if e["type"] == "error"} >= {
        "UnknownLog", "NotAnchorer", "SizeNotIncreasing", "InconsistentCheckpoint", "LogAlreadyRegistered",
        "ProofTooLong",
    }  # fmt: skip


def test_differences_name_each_changed_field(script: ModuleType, committed: dict[str, Any]) -> None:
    assert script.differences(committed, copy.deepcopy(committed)) == []
    stale = copy.deepcopy(committed)
    stale["deployedBytecode"] = stale["deployedBytecode"][:-2]
    stale["sources"]["contracts/CheckpointAnchor.sol"] = "0" * 64
    del stale["sources"][next(name for name in stale["sources"] if "Context.sol" in name)]
    stale["settings"]["evmVersion"] = "cancun"
    problems = script.differences(stale, committed)
    assert len(problems) == 4, problems
    assert any(p.startswith("deployedBytecode:") for p in problems)
    assert any(p.startswith("sources: contracts/CheckpointAnchor.sol has sha256") for p in problems)
    assert any("Context.sol is compiled but missing" in p for p in problems)
    assert any(p.startswith("settings:") for p in problems)


def test_check_fails_on_a_stale_artifact(
    script: ModuleType, committed: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    if script._native_solc() is None and not script.SOLCJS.is_file():
        reason = "no solc 0.8.37: run `npm ci --no-audit --no-fund`"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    stale = copy.deepcopy(committed)
    stale["abi"] = stale["abi"][1:]
    path = tmp_path / "CheckpointAnchor.json"
    path.write_text(script.render(stale), encoding="utf-8")
    monkeypatch.setattr(script, "ARTIFACT", path)
    assert script.main(["--check"]) == 1
    assert "abi: compiled" in capsys.readouterr().err
