"""``hotline-ledger``: the data directory ``init`` lays out, ``status``, ``demo``, ``checkpoint``,
``history`` and ``prove`` — each output checked by ``hotline-verify`` — and the refusals: one
line ``hotline-ledger: <code>: <reason>`` with exit 1, usage errors with exit 2.
"""

from __future__ import annotations

import json
import shlex
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from ledger.cli import main
from ledger.config import DEFAULT_ORIGIN
from ledger.demo import demo_requests
from verifier.checkpoint import open_checkpoint
from verifier.cli import main as verify_main
from verifier.merkle import leaf_hash
from verifier.note import parse_vkey

TICKETS = 20
STATUS_FIELDS = {"origin", "tree_size", "root", "checkpoint_size", "anchored_size", "verifier_key", "policies"}


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    """Run ``hotline-ledger`` in process; return the exit code, stdout and stderr."""
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def refusal(err: str, code: str) -> str:
    """The reason of a one-line refusal ``hotline-ledger: <code>: <reason>``."""
    assert err.endswith("\n") and err.count("\n") == 1, err
    prefix = f"hotline-ledger: {code}: "
    assert err.startswith(prefix), err
    return err[len(prefix) : -1]


def status(capsys: pytest.CaptureFixture[str], data: Path) -> dict[str, Any]:
    code, out, err = run(capsys, "status", "--data", data)
    assert (code, err) == (0, "")
    parsed: dict[str, Any] = json.loads(out)
    return parsed


def installed(name: str) -> Path:
    """A console script of this environment (next to its interpreter)."""
    script = Path(sys.executable).with_name(name)
    assert script.is_file(), f"{script} is not installed: pip install -e '.[dev]'"
    return script


def suggested_command(out: str) -> list[str]:
    """The one ``hotline-verify proof …`` command that ``out`` suggests, as argv."""
    lines = [
        line[line.index("hotline-verify proof ") :] for line in out.splitlines() if "hotline-verify proof " in line
    ]
    assert len(lines) == 1, out
    argv = shlex.split(lines[0])
    assert len(argv) == 7 and argv[3] == "--proof" and argv[5] == "--key", argv
    return argv


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- init and status ---------------------------------------------------------------------------


def test_init_lays_out_the_data_directory_and_prints_the_vkey(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    code, out, err = run(capsys, "init", "--data", data)
    assert (code, err) == (0, "")
    settings = json.loads((data / "ledger.json").read_text())
    assert settings == {"origin": DEFAULT_ORIGIN, "database": f"sqlite:///{(data / 'ledger.db').resolve()}"}
    assert mode(data / "keys") == 0o700
    assert mode(data / "keys" / "operator.key") == 0o600
    assert mode(data / "keys" / "payload.key") == 0o600
    assert (data / "keys" / "operator.key").read_text().startswith(f"PRIVATE+KEY+{DEFAULT_ORIGIN}+")
    vkey = (data / "keys" / "operator.vkey").read_text().strip()
    assert parse_vkey(vkey).name == DEFAULT_ORIGIN
    assert out.splitlines() == [
        f"log {DEFAULT_ORIGIN} in {settings['database']}: 1 entries",
        f"operator verifier key: {vkey}",
    ]
    assert "PRIVATE" not in out


def test_init_twice_keeps_everything(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    assert run(capsys, "init", "--data", data)[0] == 0
    files = ["ledger.json", "keys/operator.key", "keys/operator.vkey", "keys/payload.key"]
    before = {name: (data / name).read_bytes() for name in files}
    first = status(capsys, data)
    code, out, err = run(capsys, "init", "--data", data, "--origin", DEFAULT_ORIGIN)
    assert (code, err) == (0, "")
    assert out.splitlines()[1] == f"operator verifier key: {first['verifier_key']}"
    assert {name: (data / name).read_bytes() for name in files} == before
    assert status(capsys, data) == first


def test_init_with_another_origin_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    assert run(capsys, "init", "--data", data)[0] == 0
    settings = (data / "ledger.json").read_bytes()
    code, out, err = run(capsys, "init", "--data", data, "--origin", "12345.ningbo.gov.cn/ledger/v1")
    assert (code, out) == (1, "")
    assert f"already holds the log {DEFAULT_ORIGIN}" in refusal(err, "log_state")
    assert (data / "ledger.json").read_bytes() == settings


def test_init_with_an_invalid_origin_is_refused_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    code, _, err = run(capsys, "init", "--data", data, "--origin", "has a space")
    assert code == 1
    assert "origin 'has a space'" in refusal(err, "log_state")
    assert not data.exists()


def test_status_reports_the_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    assert run(capsys, "init", "--data", data)[0] == 0
    report = status(capsys, data)
    assert set(report) == STATUS_FIELDS
    assert report["origin"] == DEFAULT_ORIGIN
    assert report["tree_size"] == 1  # The workflow policy is the first entry.
    assert len(bytes.fromhex(report["root"])) == 32
    assert report["checkpoint_size"] is None
    assert report["verifier_key"] == (data / "keys" / "operator.vkey").read_text().strip()
    assert [policy.split("@")[0] for policy in report["policies"]] == ["cn-baseline"]


def test_the_data_directory_defaults_to_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "env-data"))
    assert run(capsys, "init")[0] == 0
    assert (tmp_path / "env-data" / "ledger.json").is_file()
    code, out, _ = run(capsys, "status")
    assert code == 0 and json.loads(out)["origin"] == DEFAULT_ORIGIN


# --- demo, and what it leaves for the other commands -------------------------------------------


@dataclass(frozen=True)
class Demo:
    data: Path
    out: str
    appended: int


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """One ``demo --tickets 20`` run, shared by the tests that only read its directory."""
    data = tmp_path_factory.mktemp("ledger-cli") / "data"
    out = StringIO()
    with redirect_stdout(out):
        assert main(["demo", "--data", str(data), "--tickets", str(TICKETS)]) == 0
    first = out.getvalue().splitlines()[0]
    assert first.startswith("appended ") and first.endswith(f" transitions of {TICKETS} tickets (0 already in the log)")
    return Demo(data, out.getvalue(), int(first.split()[1]))


def test_demo_appends_publishes_and_proves_one_ticket(demo: Demo, capsys: pytest.CaptureFixture[str]) -> None:
    expected = list(demo_requests(TICKETS))
    assert demo.appended == len(expected)
    report = status(capsys, demo.data)
    assert report["tree_size"] == report["checkpoint_size"] == 1 + len(expected)
    vkey = parse_vkey(report["verifier_key"])
    note = demo.out.split("signed checkpoint", 1)[1].split("\n\n", 1)[1].split("\nticket ", 1)[0]
    checkpoint = open_checkpoint(note, [vkey], origin=DEFAULT_ORIGIN)
    assert (checkpoint.tree_size, checkpoint.root_hash.hex()) == (report["tree_size"], report["root"])
    # Every step of the first ticket is proved under DIR/demo.
    ticket = expected[0].ticket
    steps = [r for r in expected if r.ticket == ticket]
    assert f"ticket {ticket}, every step proved against that checkpoint:" in demo.out
    assert demo.out.count("inclusion verified") == len(steps)
    proofs = sorted((demo.data / "demo").glob("entry-*.tlog-proof"))
    assert len(proofs) == len(steps) == len(list((demo.data / "demo").glob("entry-*.json")))
    for proof in proofs:
        entry = proof.with_suffix(".json")
        assert json.loads(entry.read_bytes())["ticket"] == ticket
        assert verify_main(["proof", str(entry), "--proof", str(proof), "--key", report["verifier_key"]]) == 0


def test_the_command_demo_suggests_verifies(demo: Demo) -> None:
    argv = suggested_command(demo.out)
    assert Path(argv[2]).parent == demo.data / "demo"
    assert argv[6] == str(demo.data / "keys" / "operator.vkey")
    result = subprocess.run([str(installed("hotline-verify")), *argv[1:]], capture_output=True, text=True)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith(f"OK: {argv[2]} is in {DEFAULT_ORIGIN} under the signed checkpoint")


def test_demo_again_appends_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    code, out, _ = run(capsys, "demo", "--data", data, "--tickets", "3")
    assert code == 0
    appended = int(out.split()[1])
    before = status(capsys, data)
    code, out, err = run(capsys, "demo", "--data", data, "--tickets", "3")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == f"appended 0 transitions of 3 tickets ({appended} already in the log)"
    assert status(capsys, data) == before


@pytest.mark.parametrize("tickets", ["0", "-3"])
def test_demo_without_tickets_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tickets: str
) -> None:
    code, _, err = run(capsys, "demo", "--data", tmp_path / "data", "--tickets", tickets)
    assert code == 2 and "--tickets" in err


def test_checkpoint_prints_a_note_hotline_verify_accepts(
    demo: Demo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "checkpoint", "--data", demo.data)
    assert (code, err) == (0, "")
    note = tmp_path / "checkpoint.note"
    note.write_text(out)
    vkey_file = demo.data / "keys" / "operator.vkey"
    argv = ["checkpoint", str(note), "--key", str(vkey_file), "--origin", DEFAULT_ORIGIN]
    assert verify_main(argv) == 0
    assert capsys.readouterr().out.startswith(f"OK: checkpoint of {DEFAULT_ORIGIN} at size {1 + demo.appended} ")
    assert verify_main(["checkpoint", str(note), "--key", str(vkey_file), "--origin", "other.example/log"]) == 1


def history(capsys: pytest.CaptureFixture[str], data: Path, ticket: str) -> list[dict[str, Any]]:
    code, out, err = run(capsys, "history", "--data", data, ticket)
    assert (code, err) == (0, "")
    return [json.loads(line) for line in out.splitlines()]


def test_history_prints_the_ticket_chain(demo: Demo, capsys: pytest.CaptureFixture[str]) -> None:
    ticket = next(iter(demo_requests(TICKETS))).ticket
    lines = history(capsys, demo.data, ticket)
    assert len(lines) >= 3
    assert all(set(line) == {"index", "entry"} for line in lines)
    indexes = [line["index"] for line in lines]
    assert indexes == sorted(set(indexes))
    entries = [line["entry"] for line in lines]
    assert [entry["seq"] for entry in entries] == list(range(1, len(entries) + 1))
    assert {entry["ticket"] for entry in entries} == {ticket}
    assert entries[0]["prev"] is None
    # Each ``prev`` is the leaf hash of the ticket's previous entry, as the demo wrote it.
    demo_entries = {int(p.stem.split("-")[1]): p.read_bytes() for p in (demo.data / "demo").glob("entry-*.json")}
    for previous, entry in zip(indexes, entries[1:], strict=False):
        assert entry["prev"] == leaf_hash(demo_entries[previous]).hex()


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def test_history_holds_no_personal_data(demo: Demo, capsys: pytest.CaptureFixture[str]) -> None:
    requests = list(demo_requests(TICKETS))
    secrets = {text for request in requests if request.payload for text in _strings(request.payload)}
    assert any(text.startswith("1380000") for text in secrets)
    printed = []
    for ticket in sorted({request.ticket for request in requests}):
        code, out, _ = run(capsys, "history", "--data", demo.data, ticket)
        assert code == 0
        printed.append(out)
    text = "".join(printed)
    assert text.count('"seq": 1,') == TICKETS
    assert "1380000" not in text
    assert "先生" not in text and "女士" not in text
    assert [secret for secret in secrets if secret in text] == []
    # Payloads are in the log only as salted commitments.
    for line in text.splitlines():
        payload = json.loads(line)["entry"]["payload"]
        assert payload is None or (payload.startswith("sha256:") and len(payload) == len("sha256:") + 64)


def test_history_of_an_unknown_ticket_is_refused(demo: Demo, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "history", "--data", demo.data, "999999999999999999")
    assert (code, out) == (1, "")
    assert refusal(err, "ledger_error") == "no ticket '999999999999999999' in this log"


def test_prove_writes_an_entry_and_proof_that_verify(
    demo: Demo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_dir = tmp_path / "proofs"
    code, out, err = run(capsys, "prove", "7", "--data", demo.data, "--out", out_dir)
    assert (code, err) == (0, "")
    entry, proof = out_dir / "entry-7.json", out_dir / "entry-7.tlog-proof"
    assert out.splitlines()[0] == f"wrote {entry} and {proof}"
    argv = suggested_command(out)
    assert argv[2:5] == [str(entry), "--proof", str(proof)]
    assert verify_main(argv[1:]) == 0
    assert capsys.readouterr().out.startswith(f"OK: {entry} is in {DEFAULT_ORIGIN}")


@pytest.mark.parametrize("index", ["1000", "-1", str(2**64)], ids=["beyond-the-log", "negative", "2^64"])
def test_prove_of_an_index_not_in_the_log_is_refused(
    demo: Demo, capsys: pytest.CaptureFixture[str], tmp_path: Path, index: str
) -> None:
    code, out, err = run(capsys, "prove", index, "--data", demo.data, "--out", tmp_path / "proofs")
    assert (code, out) == (1, "")
    assert refusal(err, "ledger_error") == f"no entry {index} in this log"
    assert not (tmp_path / "proofs").exists()


# --- refusals and usage errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv", [["status"], ["checkpoint"], ["history", "260302083206000000"], ["prove", "0"]], ids=lambda a: a[0]
)
def test_commands_on_an_uninitialised_directory_say_to_run_init(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    data = tmp_path / "empty"
    code, out, err = run(capsys, *argv, "--data", data)
    assert (code, out) == (1, "")
    assert refusal(err, "log_state") == f"{data} is not a ledger data directory (run `hotline-ledger init` first)"
    assert not data.exists()


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["prove"],
        ["prove", "seven"],
        ["history"],
        ["demo", "--tickets", "many"],
        ["status", "--unknown"],
    ],
    ids=[
        "nothing",
        "unknown-command",
        "prove-without-index",
        "prove-non-integer",
        "history-without-ticket",
        "demo-non-integer",
        "unknown-flag",
    ],
)
def test_bad_usage_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = run(capsys, *argv, "--data", tmp_path / "data")
    assert (code, out) == (2, "")
    assert "usage: hotline-ledger" in err
    assert not (tmp_path / "data").exists()
