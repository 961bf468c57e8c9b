"""The API as an operator runs it: ``uvicorn --factory api.app:create_app_from_env`` in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from ledger.devnet.anvil import free_port


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log_file: Path


@contextmanager
def api_server(data: Path, log_file: Path, **env: str) -> Iterator[Server]:
    """Serve the log of the data directory ``data`` (development mode) on a free port, once ``/readyz`` says so.

    ``env`` adds ``HOTLINE_*`` settings; the server's output goes to ``log_file`` (appended). At exit the
    server is stopped gracefully, unless it has ended already.
    """
    port = free_port()
    environment = {**os.environ, "HOTLINE_DATA_DIR": str(data), "HOTLINE_ENVIRONMENT": "development", **env}
    command = [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app_from_env"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "info", "--no-access-log"]
    with log_file.open("ab") as log:
        process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
        server = Server(f"http://127.0.0.1:{port}", process, log_file)
        try:
            wait_until_ready(server.url, process, log_file)
            yield server
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)


def wait_until_ready(url: str, process: subprocess.Popen[bytes], log_file: Path, timeout: float = 60) -> None:
    """Wait until the server at ``url`` answers ``/readyz`` with 200; fail with its log if it ends or is late."""
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, log_file.read_text()
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"the server did not become ready\n{log_file.read_text()}"
        time.sleep(0.1)
