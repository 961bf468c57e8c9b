"""What the ledger refuses, and why. These know nothing of HTTP; ``api/`` maps them to statuses.

Every error has a stable ``code`` (used in problem+json responses and CLI messages) and the
named facts that explain it (``details``).
"""

from __future__ import annotations

from typing import Any


class LedgerError(Exception):
    """Base of the ledger's refusals."""

    code = "ledger_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details


class InvalidRequest(LedgerError):
    """A request whose fields break the entry schema (names the field)."""

    code = "invalid_request"


class IllegalTransition(LedgerError):
    """A transition its ticket's workflow policy does not allow now (names ticket, state, event)."""

    code = "illegal_transition"


class StaleSequence(LedgerError):
    """The client expected another position in the ticket's history than the ledger has."""

    code = "stale_expected_seq"


class TransitionConflict(LedgerError):
    """A transition id seen before with different content."""

    code = "transition_id_conflict"


class UnknownPolicy(LedgerError):
    """A policy id that was never published in this log."""

    code = "unknown_policy"


class ActorKeyError(LedgerError):
    """An actor key that is unknown, revoked, already registered, or whose signature fails."""

    code = "actor_key"


class PayloadNotFound(LedgerError):
    """No payload (or an erased one) for that commitment."""

    code = "payload_not_found"


class LogStateError(LedgerError):
    """The log is not initialised, belongs to another origin, or its stored state is damaged."""

    code = "log_state"


class PublishRefused(LedgerError):
    """A new checkpoint failed the producer's own verification and was not published."""

    code = "publish_refused"


class ApiKeyError(LedgerError):
    """An API key request the ledger refuses: unknown scope, bad name, unknown or already revoked key."""

    code = "api_key"
