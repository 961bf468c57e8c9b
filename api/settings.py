"""The API's settings, read from ``HOTLINE_*`` environment variables (the only place in ``api`` that reads them).

| variable | meaning |
|---|---|
| ``HOTLINE_DATA_DIR`` | the log's data directory (default ``./var``); initialised on first start |
| ``HOTLINE_DATABASE_URL`` | database URL (default: the data directory's, SQLite inside it) |
| ``HOTLINE_ORIGIN`` | the log's origin, used when the data directory is new |
| ``HOTLINE_ENVIRONMENT`` | ``production`` (default) or ``development``; production refuses development keys |
| ``HOTLINE_OPERATOR_KEY_FILE`` | the checkpoint signer key (default ``keys/operator.key`` of the data directory) |
| ``HOTLINE_RPC_URLS`` | chain JSON-RPC endpoints, comma-separated (``HOTLINE_RPC_URL`` for one) |
| ``HOTLINE_CHAIN_ID``, ``HOTLINE_CONTRACT_ADDRESS`` | the anchoring chain and CheckpointAnchor contract |
| ``HOTLINE_ANCHOR_KEY_FILE``, ``…_PASSWORD`` | the anchor worker's keystore (checked here, never opened) |
| ``HOTLINE_MAX_PENDING_ENTRIES`` | refuse submissions (503) while more entries than this await anchoring; 0: never |
| ``HOTLINE_PUBLIC_RPC_URL`` | the chain endpoint citizens' browsers read anchors from (default: the first RPC URL) |
| ``HOTLINE_QUERY_CODE_MAX_FAILURES``, ``…_LOCKOUT_SECONDS`` | lockout after wrong codes (per ticket, client) |
| ``HOTLINE_CLOSE_AFTER_BATCH`` | close the connection after each batch answer (several API processes) |
| ``HOTLINE_API_KEY_CACHE_SECONDS`` | trust a key found active this long without reading it again (default 1, 0 never) |
| ``HOTLINE_PARENT_PID`` | stop serving when this process is no longer the parent (``run``'s worker processes) |
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

#: Largest request body, in bytes (a full batch of 1,000 transitions with modest payloads fits).
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024


class Settings(BaseSettings):
    """Everything the app factory needs; pass one in explicitly (``Settings()`` reads the environment)."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str | None = None
    origin: str | None = None
    environment: Literal["development", "production"] = "production"
    operator_key_file: Path | None = None

    rpc_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=AliasChoices("HOTLINE_RPC_URLS", "HOTLINE_RPC_URL", "rpc_urls")
    )
    chain_id: int | None = None
    contract_address: str | None = None
    anchor_key_file: Path | None = None
    anchor_key_password: SecretStr | None = None

    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, ge=1024)
    max_pending_entries: int = Field(default=100_000, ge=0)
    backlog_retry_after: int = Field(default=30, ge=1)
    backlog_refresh_seconds: float = Field(default=1.0, ge=0)
    group_max_requests: int = Field(default=1000, ge=1)
    group_max_wait_ms: float = Field(default=2.0, ge=0)
    #: Close the connection after each batch answer, so that the next batch goes to a free process
    #: (``run --workers N`` sets it: a keep-alive connection stays with the process that accepted it).
    close_after_batch: bool = False
    #: Stop (as on SIGTERM) when the process with this id is no longer the parent: ``run --workers N`` sets it,
    #: so that its worker processes do not outlive it holding the port and the log when it is killed.
    parent_pid: int | None = None

    #: A revocation made in another process (replica, CLI) takes effect within this many seconds.
    api_key_cache_seconds: float = Field(default=1.0, ge=0)
    public_rate_per_second: float = Field(default=20.0, gt=0)
    public_burst: int = Field(default=60, ge=1)
    query_code_rate_per_minute: float = Field(default=10.0, gt=0)
    query_code_burst: int = Field(default=10, ge=1)
    query_code_max_failures: int = Field(default=5, ge=1)
    query_code_lockout_seconds: float = Field(default=900.0, gt=0)
    public_rpc_url: str | None = None
    rpc_timeout_seconds: float = Field(default=3.0, gt=0)
    log_level: str = "INFO"

    @field_validator("rpc_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: object) -> object:
        if isinstance(value, str):
            return [url.strip() for url in value.split(",") if url.strip()]
        return value

    @property
    def development(self) -> bool:
        return self.environment == "development"

    @property
    def browser_rpc_url(self) -> str | None:
        """The RPC endpoint the citizen page embeds for browsers: ``public_rpc_url``, else the first RPC URL."""
        return self.public_rpc_url or (self.rpc_urls[0] if self.rpc_urls else None)
