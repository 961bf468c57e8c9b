"""``hotline-verify``: exit codes (0 verified, 1 failed, 2 usage or unreadable input), the
``OK:``/``FAIL: V<n>`` lines with their evidence, key sources (flag, file, environment) and
origin checks, through ``main(argv)`` and once through the installed executable.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from ledger.cli import write_proof
from ledger.config import DataDir
from ledger.demo import demo_requests
from tests.conftest import ORIGIN
from verifier.checkpoint import open_checkpoint
from verifier.cli import main
from verifier.note import NoteSigner, parse_vkey


@dataclass(frozen=True)
class Evidence:
    """What an auditor receives: an entry, its tlog-proof, the signed checkpoint and the operator's vkey."""

    entry: Path
    proof: Path
    note: Path
    vkey: str
    vkey_file: Path
    secret_key_file: Path
    tree_size: int
    root_hex: str
    directory: Path


@pytest.fixture(scope="module")
def evidence(tmp_path_factory: pytest.TempPathFactory) -> Evidence:
    directory = tmp_path_factory.mktemp("verify-cli")
    data = DataDir(directory / "data")
    data.init(ORIGIN)
    ledger = data.open_ledger()
    ledger.append(list(demo_requests(2, seed=3)))
    entry, proof = write_proof(ledger, 4, directory / "proofs")
    stored = ledger.latest_checkpoint()
    assert stored is not None
    note = directory / "checkpoint.note"
    note.write_text(stored.note)
    vkey_file = data.keys / "operator.vkey"
    checkpoint = open_checkpoint(stored.note, [parse_vkey(vkey_file.read_text().strip())])
    ledger.store.close()
    return Evidence(
        entry=entry,
        proof=proof,
        note=note,
        vkey=vkey_file.read_text().strip(),
        vkey_file=vkey_file,
        secret_key_file=data.keys / "operator.key",
        tree_size=checkpoint.tree_size,
        root_hex=checkpoint.root_hash.hex(),
        directory=directory,
    )


@pytest.fixture(autouse=True)
def _no_environment_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOTLINE_VERIFY_KEY", raising=False)
    monkeypatch.delenv("HOTLINE_VERIFY_ORIGIN", raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    """Run ``hotline-verify`` in process; return the exit code, stdout and stderr."""
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def other_vkey() -> str:
    return NoteSigner.generate(ORIGIN).vkey


def prove(evidence: Evidence, *extra: str | Path, entry: Path | None = None) -> list[str | Path]:
    return ["proof", entry or evidence.entry, "--proof", evidence.proof, *extra]


def one_line(text: str) -> str:
    assert text.endswith("\n") and text.count("\n") == 1, text
    return text[:-1]


# --- verified -----------------------------------------------------------------------------------


def test_a_valid_proof_prints_ok_and_exits_0(evidence: Evidence, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, *prove(evidence, "--key", evidence.vkey_file))
    assert (code, err) == (0, "")
    assert one_line(out) == (
        f"OK: {evidence.entry} is in {ORIGIN} under the signed checkpoint of size {evidence.tree_size} "
        f"(root {evidence.root_hex})"
    )


def test_the_key_can_be_given_inline_and_the_origin_checked(
    evidence: Evidence, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, *prove(evidence, "--key", evidence.vkey, "--origin", ORIGIN))
    assert code == 0 and out.startswith("OK: ")


def test_a_signed_checkpoint_prints_ok_and_exits_0(evidence: Evidence, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "checkpoint", evidence.note, "--key", evidence.vkey_file, "--origin", ORIGIN)
    assert (code, err) == (0, "")
    assert one_line(out) == (
        f"OK: checkpoint of {ORIGIN} at size {evidence.tree_size} (root {evidence.root_hex}) is signed by a trusted key"
    )


def test_a_key_file_of_several_vkeys_is_searched_for_the_signer(
    evidence: Evidence, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    keys = tmp_path / "trusted.vkeys"
    keys.write_text(f"{other_vkey()}\n{evidence.vkey}\n\n{NoteSigner.generate('witness.example/w1').vkey}\n")
    code, out, _ = run(capsys, *prove(evidence, "--key", keys))
    assert code == 0 and out.startswith("OK: ")
    code, out, _ = run(capsys, "checkpoint", evidence.note, "--key", other_vkey(), "--key", keys)
    assert code == 0 and out.startswith("OK: ")


def test_the_environment_supplies_the_default_key(
    evidence: Evidence, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_VERIFY_KEY", evidence.vkey)
    code, out, _ = run(capsys, *prove(evidence))
    assert code == 0 and out.startswith("OK: ")
    monkeypatch.setenv("HOTLINE_VERIFY_KEY", str(evidence.vkey_file))
    code, out, _ = run(capsys, "checkpoint", evidence.note)
    assert code == 0 and out.startswith("OK: ")


def test_a_key_flag_overrides_the_environment(
    evidence: Evidence, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_VERIFY_KEY", other_vkey())
    assert run(capsys, *prove(evidence))[0] == 1
    assert run(capsys, *prove(evidence, "--key", evidence.vkey))[0] == 0


# --- failed: exit 1 with the step and its evidence ---------------------------------------------


def test_a_tampered_entry_fails_v3_with_both_roots(
    evidence: Evidence, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    tampered = tmp_path / "entry.json"
    tampered.write_bytes(evidence.entry.read_bytes().replace(b'"seq":', b'"seq": ', 1))
    code, out, err = run(capsys, *prove(evidence, "--key", evidence.vkey, entry=tampered))
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert lines[0].startswith("FAIL: V3 inclusion proof for index 4 leads to another root")
    assert f"  expected_root: {evidence.root_hex}" in lines
    calculated = [line for line in lines if line.startswith("  calculated_root: ")]
    assert len(calculated) == 1 and calculated[0].split(": ")[1] not in {evidence.root_hex, ""}


def test_another_entry_with_the_proof_fails_v3(evidence: Evidence, capsys: pytest.CaptureFixture[str]) -> None:
    other = evidence.directory / "data" / "ledger.json"
    code, out, _ = run(capsys, *prove(evidence, "--key", evidence.vkey, entry=other))
    assert code == 1 and out.startswith("FAIL: V3 ")


def test_a_tampered_proof_fails(evidence: Evidence, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    proof = tmp_path / "entry.tlog-proof"
    proof.write_text(evidence.proof.read_text().replace("index 4\n", "index 5\n"))
    code, out, _ = run(capsys, "proof", evidence.entry, "--proof", proof, "--key", evidence.vkey)
    assert code == 1 and out.startswith("FAIL: V3 ")
    proof.write_text(evidence.proof.read_text().replace("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2"))
    code, out, _ = run(capsys, "proof", evidence.entry, "--proof", proof, "--key", evidence.vkey)
    assert code == 1 and out.startswith("FAIL: V1 proof must start with")
    assert "  field: header" in out.splitlines()


def test_the_wrong_key_fails_v4(evidence: Evidence, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, *prove(evidence, "--key", other_vkey()))
    assert (code, err) == (1, "")
    assert out.startswith("FAIL: V4 note has no signature from a known key\n")
    code, out, _ = run(capsys, "checkpoint", evidence.note, "--key", other_vkey())
    assert code == 1 and out.startswith("FAIL: V4 ")


def test_an_edited_checkpoint_fails_v4(evidence: Evidence, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    note = tmp_path / "edited.note"
    note.write_text(evidence.note.read_text().replace(f"\n{evidence.tree_size}\n", f"\n{evidence.tree_size + 1}\n"))
    code, out, _ = run(capsys, "checkpoint", note, "--key", evidence.vkey)
    assert code == 1 and out.startswith("FAIL: V4 invalid signature for key ")


def test_an_origin_mismatch_fails_with_both_origins(
    evidence: Evidence, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(capsys, *prove(evidence, "--key", evidence.vkey, "--origin", "12345.ningbo.gov.cn/ledger/v1"))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("FAIL: V1 checkpoint origin ")
    assert "  expected_origin: 12345.ningbo.gov.cn/ledger/v1" in lines
    assert f"  actual_origin: {ORIGIN}" in lines
    monkeypatch.setenv("HOTLINE_VERIFY_ORIGIN", "12345.ningbo.gov.cn/ledger/v1")
    assert run(capsys, "checkpoint", evidence.note, "--key", evidence.vkey)[0] == 1


# --- usage or unreadable input: exit 2, one line on stderr --------------------------------------


@pytest.mark.parametrize("missing", ["entry", "proof", "note", "key"])
def test_a_missing_file_exits_2_naming_it(
    evidence: Evidence, capsys: pytest.CaptureFixture[str], tmp_path: Path, missing: str
) -> None:
    absent = tmp_path / f"no-such-{missing}"
    commands: dict[str, list[str | Path]] = {
        "entry": prove(evidence, "--key", evidence.vkey, entry=absent),
        "proof": ["proof", evidence.entry, "--proof", absent, "--key", evidence.vkey],
        "note": ["checkpoint", absent, "--key", evidence.vkey],
        "key": prove(evidence, "--key", absent),
    }
    code, out, err = run(capsys, *commands[missing])
    assert (code, out) == (2, "")
    assert one_line(err) == f"hotline-verify: cannot read {absent}: No such file or directory"


def test_a_proof_that_is_not_utf8_exits_2(
    evidence: Evidence, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    proof = tmp_path / "binary.tlog-proof"
    proof.write_bytes(b"\xff\xfe" + evidence.proof.read_bytes())
    code, out, err = run(capsys, "proof", evidence.entry, "--proof", proof, "--key", evidence.vkey)
    assert (code, out) == (2, "")
    assert one_line(err) == f"hotline-verify: {proof} is not UTF-8 text"


@pytest.mark.parametrize(
    "bad",
    [
        "example.com+0c51ad3f+AAAA",
        f"{ORIGIN}+ABCDEF12+ARYUlBXZYmzrF407ggGWS58LSJYUNA1dddpH47L0F4GS",
        f"{ORIGIN}+00000000+ARYUlBXZYmzrF407ggGWS58LSJYUNA1dddpH47L0F4GS",
    ],
    ids=["short-key", "uppercase-key-id", "key-id-mismatch"],
)
def test_a_bad_vkey_exits_2(evidence: Evidence, capsys: pytest.CaptureFixture[str], bad: str) -> None:
    code, out, err = run(capsys, *prove(evidence, "--key", bad))
    assert (code, out) == (2, "")
    assert one_line(err).startswith("hotline-verify: not a verifier key (")


def test_a_key_file_with_a_bad_line_exits_2(
    evidence: Evidence, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    keys.write_text(f"{evidence.vkey}\nnot-a-key\n")
    code, _, err = run(capsys, *prove(evidence, "--key", keys))
    assert code == 2 and one_line(err).startswith("hotline-verify: not a verifier key")


def test_a_secret_key_given_as_key_exits_2_without_echoing_it(
    evidence: Evidence, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, *prove(evidence, "--key", evidence.secret_key_file))
    assert (code, out) == (2, "")
    # PRIVATE+KEY+<name>+<hash>+<key data>: the key data is base64, which may hold "+" itself.
    secret = evidence.secret_key_file.read_text().strip().split("+", 4)[4]
    # The encoded seed's first characters are fixed by the type byte (0x01); eight after them are
    # random, so a match by chance elsewhere in the message is out of the question.
    assert secret[2:10] not in err, err


def test_no_key_at_all_exits_2(evidence: Evidence, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, *prove(evidence))
    assert (code, out) == (2, "")
    assert one_line(err).startswith("hotline-verify: no trusted key")
    assert "HOTLINE_VERIFY_KEY" in err


def test_an_empty_key_file_exits_2(evidence: Evidence, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    keys = tmp_path / "empty.vkeys"
    keys.write_text("\n")
    code, _, err = run(capsys, *prove(evidence, "--key", keys))
    assert code == 2 and one_line(err).startswith("hotline-verify: no trusted key")


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["proof"],
        ["proof", "entry.json"],
        ["checkpoint"],
        ["checkpoint", "a.note", "--unknown"],
    ],
    ids=["nothing", "unknown-subcommand", "proof-without-entry", "proof-without-proof", "no-note", "unknown-flag"],
)
def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert "usage: hotline-verify" in err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "checkpoint" in out and "proof" in out


# --- the installed executable -------------------------------------------------------------------


def installed_hotline_verify() -> Path:
    """The console script of this environment (next to its interpreter)."""
    script = Path(sys.executable).with_name("hotline-verify")
    assert script.is_file(), f"{script} is not installed: pip install -e '.[dev]'"
    return script


def test_the_installed_executable_verifies_and_fails_with_exit_codes(evidence: Evidence, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_VERIFY_")}
    command = [str(installed_hotline_verify()), "proof", str(evidence.entry), "--proof", str(evidence.proof)]
    ok = subprocess.run([*command, "--key", str(evidence.vkey_file)], capture_output=True, text=True, env=env)
    assert (ok.returncode, ok.stderr) == (0, "")
    assert ok.stdout.startswith(f"OK: {evidence.entry} is in {ORIGIN}")
    failed = subprocess.run([*command, "--key", other_vkey()], capture_output=True, text=True, env=env)
    assert failed.returncode == 1 and failed.stdout.startswith("FAIL: V4 ")
    usage = subprocess.run(command, capture_output=True, text=True, env=env)
    assert usage.returncode == 2 and usage.stderr.startswith("hotline-verify: no trusted key")
