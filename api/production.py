"""Outside development mode, development keys are refused before the app serves anything (DESIGN §9)."""

from __future__ import annotations

from pathlib import Path

from api.settings import Settings
from ledger.anchoring.development import refuse_development_key
from ledger.errors import LogStateError
from ledger.json_file import read_json_file
from ledger.keys import is_development_key
from verifier.errors import FormatError
from verifier.note import NoteSigner


def refuse_development_keys(settings: Settings) -> None:
    """In production, refuse a development operator key and an anchor keystore of a devnet account.

    The anchor keystore is only inspected (its ``address``), never decrypted: the API holds no chain key.

    Raises:
        LogStateError: a development operator key, or an unreadable operator key or anchor keystore.
        DevelopmentKeyRefused: the anchor keystore belongs to a published development account.
    """
    if settings.development:
        return
    operator_key = settings.operator_key_file or settings.data_dir / "keys" / "operator.key"
    if operator_key.exists():
        try:
            signer = NoteSigner.from_skey(operator_key.read_text().strip())
        except FormatError as exc:
            raise LogStateError(f"{operator_key}: not an operator signer key: {exc.message}") from exc
        if is_development_key(signer):
            raise LogStateError(f"{operator_key}: {signer.name} is a development key, refused in production")
    if settings.anchor_key_file is not None:
        refuse_development_key(_keystore_address(settings.anchor_key_file), development=False, what="anchor key")


def _keystore_address(path: Path) -> str:
    try:
        address = read_json_file(path)["address"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LogStateError(f"{path}: not an Ethereum keystore with an address ({type(exc).__name__})") from exc
    if not isinstance(address, str):
        raise LogStateError(f"{path}: the keystore's address is not a string")
    return address if address.startswith("0x") else "0x" + address
