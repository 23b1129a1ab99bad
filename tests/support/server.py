"""A real Tradewind server process on a free loopback port, for HTTP-level tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from tradewind.bench.harness import free_port, wait_healthy


class ServerProcess:
    def __init__(
        self,
        database_url: str,
        *,
        command: str = "demo",
        env: Mapping[str, str] | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.port = free_port()
        self.database_url = database_url
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._env = {
            **os.environ,
            "TRADEWIND_DATABASE_URL": database_url,
            "TRADEWIND_SECRET_KEY": "test-secret",
            **(env or {}),
        }
        self._command = command
        self._log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self, timeout_s: float = 180) -> None:
        if self._log_path:
            self._log = open(self._log_path, "wb")  # noqa: SIM115 - closed in stop()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tradewind", self._command, "--port", str(self.port)],
            env=self._env,
            stdout=self._log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        wait_healthy(self.base_url, self._proc, timeout_s)

    def wait_exit(self, timeout_s: float) -> int:
        """The process's exit code once it ends by itself (a crash test's SIGKILL: -9)."""
        assert self._proc is not None
        return self._proc.wait(timeout_s)

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
