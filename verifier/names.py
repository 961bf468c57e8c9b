"""The shapes of the names entries and policies share, defined once so that every name a policy
may declare is one an entry can carry."""

from __future__ import annotations

import re

#: State codes, event names and roles.
CODE_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")
#: A policy's name, the part of its id before ``@``.
POLICY_NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
#: A policy id: its name and the first 12 hex of the SHA-256 of its canonical bytes.
POLICY_ID_RE = re.compile(POLICY_NAME_RE.pattern + r"@[0-9a-f]{12}")
