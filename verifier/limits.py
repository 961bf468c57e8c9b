"""Named size limits, in one place, shared by producer and verifier."""

from __future__ import annotations

#: Largest canonical entry (any schema), in bytes.
MAX_ENTRY_BYTES = 64 * 1024
#: Largest ``attrs`` object of a transition, in canonical bytes.
MAX_ATTRS_BYTES = 8 * 1024
#: Deepest nesting of JSON objects and arrays inside an entry.
MAX_JSON_DEPTH = 8
#: Longest string value inside an entry, in characters.
MAX_STRING_CHARS = 4096
#: Largest policy document, in canonical bytes: it must fit, wrapped, in one entry.
MAX_POLICY_BYTES = 60 * 1024
#: Hashes are unsigned 64-bit indexed: sizes and indices must fit.
MAX_UINT64 = 2**64 - 1
#: A proof never needs more than 64 hashes for a 64-bit tree (consistency: at most 2 per level).
MAX_PROOF_HASHES = 128
#: Largest signed note (checkpoint) in bytes.
MAX_NOTE_BYTES = 1024 * 1024
#: Largest number of signature lines a signed note may carry.
MAX_NOTE_SIGNATURES = 100
#: Integers in entries must be exactly representable as IEEE doubles (RFC 8785 numbers).
MAX_SAFE_INTEGER = 2**53 - 1
