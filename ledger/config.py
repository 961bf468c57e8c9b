"""The operator's data directory: where the database URL, origin and keys of one log live.

Layout of ``DIR`` (default ``./var``, or ``HOTLINE_DATA_DIR``)::

    ledger.json          {"origin": …, "database": …}
    keys/operator.key    the checkpoint signer (C2SP PRIVATE+KEY…), mode 0600
    keys/operator.vkey   its verifier key, to hand to auditors
    keys/payload.key     the payload store's AES-256 key, mode 0600
    ledger.db            the SQLite database, unless ``database`` names another
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ledger.errors import LogStateError
from ledger.json_file import read_json_file
from ledger.keys import load_or_create_operator_key
from ledger.payloads import PayloadKey
from ledger.policies import load_policy
from ledger.service import Ledger
from ledger.storage import LedgerStore
from verifier.entry import ORIGIN_RE

DEFAULT_ORIGIN = "12345.hangzhou.gov.cn/ledger/v1"
DEFAULT_POLICY = "cn-baseline"


@dataclass(frozen=True)
class DataDir:
    """A log's data directory."""

    path: Path

    @property
    def settings_file(self) -> Path:
        return self.path / "ledger.json"

    @property
    def keys(self) -> Path:
        return self.path / "keys"

    def exists(self) -> bool:
        return self.settings_file.exists()

    def settings(self) -> dict[str, str]:
        """The stored origin and database URL.

        Raises:
            LogStateError: not initialised, or the settings file is damaged.
        """
        if not self.exists():
            raise LogStateError(f"{self.path} is not a ledger data directory (run `hotline-ledger init` first)")
        try:
            settings = read_json_file(self.settings_file)
            return {"origin": str(settings["origin"]), "database": str(settings["database"])}
        except (ValueError, KeyError, TypeError) as exc:
            raise LogStateError(f"{self.settings_file} is damaged: {exc}") from exc

    def init(self, origin: str = DEFAULT_ORIGIN, database: str | None = None) -> dict[str, str]:
        """Create the directory, its settings and keys (existing ones are kept and must agree).

        Raises:
            LogStateError: an invalid origin, or settings that disagree with existing ones.
        """
        if not ORIGIN_RE.fullmatch(origin):
            raise LogStateError(f"origin {origin!r} must be 1–255 printable ASCII characters without spaces")
        wanted = {"origin": origin, "database": database or f"sqlite:///{(self.path / 'ledger.db').resolve()}"}
        if self.exists():
            current = self.settings()
            if current["origin"] != origin or (database and current["database"] != database):
                raise LogStateError(
                    f"{self.path} already holds the log {current['origin']} at {current['database']}",
                    **current,
                )
            return current
        self.keys.mkdir(parents=True, exist_ok=True)
        os.chmod(self.keys, 0o700)
        self.settings_file.write_text(json.dumps(wanted, indent=2) + "\n")
        return wanted

    def open_ledger(self, *, development: bool = False, operator_key: Path | None = None) -> Ledger:
        """Open the log of this directory, creating keys and database on first use.

        ``operator_key`` is the checkpoint signer's key file when it is kept outside ``keys/``.

        Raises:
            LogStateError: not initialised, damaged, or holding a development key outside
                development mode.
        """
        settings = self.settings()
        self.keys.mkdir(parents=True, exist_ok=True)
        key_file = operator_key or self.keys / "operator.key"
        signer = load_or_create_operator_key(key_file, settings["origin"], development=development)
        vkey_file = self.keys / "operator.vkey"
        if not vkey_file.exists():
            vkey_file.write_text(signer.vkey + "\n")
        payload_key = PayloadKey.load_or_create(self.keys / "payload.key")
        store = LedgerStore.open(settings["database"])
        return Ledger.open(
            store,
            origin=settings["origin"],
            signer=signer,
            payload_key=payload_key,
            policies=[load_policy(DEFAULT_POLICY)],
        )


def default_data_dir() -> Path:
    return Path(os.environ.get("HOTLINE_DATA_DIR", "var"))
