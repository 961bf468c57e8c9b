"""API keys of the HTTP API: created with scopes, shown once, stored hashed, revocable (DESIGN §9).

A key reads ``hlk_<id>_<secret>``: ``id`` is 8 hex characters, not secret, that find the key's row;
``secret`` is 256 random bits. The database keeps only SHA-256 of the whole key: a random 256-bit secret
needs no slow hash, since nothing can be guessed from the digest.

Checking a key reads its row, which cost an API request 0.3–0.7 ms. A key found active is therefore
remembered in the process for ``cache_seconds`` (by its hash, never its text): a revocation made in this
process takes effect at once, one made in another process (another API replica, the CLI) within
``cache_seconds``. Unknown, malformed and revoked keys are never remembered, so they always read the row.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable, Iterable

from ledger.errors import ApiKeyError
from ledger.records import StoredApiKey
from ledger.storage import ApiKeyStore, LedgerStore

#: What a key may be allowed to do (DESIGN §8): submit transitions, read tickets, audit the log
#: (entries, proofs, checkpoints), export bundles, and administer (erase payloads).
SCOPES = ("submit", "read", "audit", "export", "admin")
PREFIX = "hlk"
_ID_BYTES = 4
_SECRET_BYTES = 32
_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,80}")
_KEY = re.compile(rf"{PREFIX}_([0-9a-f]{{{2 * _ID_BYTES}}})_([A-Za-z0-9_-]{{43}})")


def parse_scopes(text: str | Iterable[str]) -> tuple[str, ...]:
    """Scopes from ``"submit,read"`` (or a list), in the canonical order of ``SCOPES``.

    Raises:
        ApiKeyError: none given, or one that is not in ``SCOPES``.
    """
    wanted = {s.strip() for s in (text.split(",") if isinstance(text, str) else text) if s.strip()}
    unknown = sorted(wanted - set(SCOPES))
    if unknown or not wanted:
        raise ApiKeyError(
            f"scopes must be a non-empty list of {', '.join(SCOPES)}; got {', '.join(sorted(wanted)) or 'none'}",
            unknown=unknown,
        )
    return tuple(s for s in SCOPES if s in wanted)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class ApiKeys:
    """Create, list, revoke and check API keys in a ledger's database."""

    def __init__(
        self, store: ApiKeyStore, *, cache_seconds: float = 0.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._store = store
        self._cache_seconds = cache_seconds
        self._clock = clock
        #: Active keys found recently, by the SHA-256 of their text: (key, when it was read).
        self._verified: dict[bytes, tuple[StoredApiKey, float]] = {}

    @classmethod
    def of(cls, ledger_store: LedgerStore, *, cache_seconds: float = 0.0) -> ApiKeys:
        return cls(ApiKeyStore(ledger_store.engine), cache_seconds=cache_seconds)

    def create(self, name: str, scopes: str | Iterable[str]) -> tuple[StoredApiKey, str]:
        """Create a key; returns it as stored and its secret text, which is never available again.

        Raises:
            ApiKeyError: an empty or overlong name, or invalid scopes.
        """
        if not _NAME.fullmatch(name):
            raise ApiKeyError("a key's name must be 1–80 characters without control characters", name=name)
        key_id = secrets.token_hex(_ID_BYTES)
        token = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(_SECRET_BYTES)}"
        stored = StoredApiKey(key_id, name, parse_scopes(scopes), token_hash(token), _now_ms())
        self._store.add(stored)
        return stored, token

    def list(self) -> list[StoredApiKey]:
        return self._store.all()

    def revoke(self, key_id: str) -> None:
        """Revoke a key: it stops working at once in this process, within ``cache_seconds`` in others.

        Raises:
            ApiKeyError: no such key, or revoked already.
        """
        revoked = self._store.revoke(key_id, _now_ms())
        self._verified.clear()
        if not revoked:
            state = "revoked already" if self._store.get(key_id) else "unknown"
            raise ApiKeyError(f"API key {key_id!r} is {state}", key=key_id)

    def recently_verified(self, token: str) -> StoredApiKey | None:
        """The key of ``token`` if it was found active less than ``cache_seconds`` ago (no database read).

        ``None`` says only "not known from memory": call ``authenticate``.
        """
        found = self._verified.get(token_hash(token))
        if found is None or self._clock() - found[1] >= self._cache_seconds:
            return None
        return found[0]

    def authenticate(self, token: str) -> StoredApiKey | None:
        """The active key whose secret text is ``token`` (``None``: malformed, unknown or revoked)."""
        match = _KEY.fullmatch(token)
        read_at = self._clock()
        stored = self._store.get(match.group(1)) if match else None
        if stored is None or stored.revoked_at is not None:
            return None
        digest = token_hash(token)
        if not hmac.compare_digest(stored.token_hash, digest):
            return None
        if self._cache_seconds > 0:
            self._verified[digest] = (stored, read_at)
        return stored


def _now_ms() -> int:
    return int(time.time() * 1000)
