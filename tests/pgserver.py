"""A throwaway PostgreSQL cluster on a free local port, for the tests and the benchmarks.

Debian's server binaries (`/usr/lib/postgresql/N/bin`) are used where `make test` installed them; as root
the cluster runs as the `postgres` user (initdb refuses root). Each test gets a schema of its own, so the
tests share one server and never see each other's tables.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote


def binaries() -> Path | None:
    """The newest PostgreSQL server's bin folder, or None where none is installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    folder: Path
    port: int
    bin: Path
    as_postgres: bool
    options: str = ""

    @property
    def url(self) -> str:
        return f"postgresql://auditor@127.0.0.1:{self.port}/auditor"

    def schema_url(self, schema: str | None = None) -> str:
        """A fresh schema of the cluster's database, as a URL whose connections work in it alone."""
        import psycopg

        schema = schema or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"create schema {schema}")
        return f"{self.url}?options={quote(f'-c search_path={schema}')}"

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)

    def restart(self, pause: float = 1.0) -> None:
        """Stop the server as an upgrade or a fail-over does (fast: every session ended), wait `pause` seconds,
        start it again with the options it was started with."""
        import time

        data = str(self.folder / "data")
        stopped = self._run("pg_ctl", "-D", data, "-m", "fast", "-w", "stop")
        if stopped.returncode:
            raise RuntimeError(f"pg_ctl stop failed: {stopped.stderr.strip()}")
        time.sleep(pause)
        started = self._run("pg_ctl", "-D", data, "-l", str(self.folder / "server.log"), "-w", "-t", "60",
                            "-o", self.options, "start")
        if started.returncode:
            raise RuntimeError(f"pg_ctl start failed: {started.stderr.strip()}")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def start(*, durable: bool = False) -> Cluster:
    """Start a cluster; durable=False turns fsync off (tests), True keeps the server's defaults but for
    synchronous_commit=off, which loses nothing but the last moment's commits on a crash, as SQLite's WAL with
    synchronous=NORMAL (the benchmark compares them so)."""
    bin_ = binaries()
    if bin_ is None:
        raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql; `make test` does it)")
    folder = Path(tempfile.mkdtemp(prefix="auditor-pg-"))
    as_postgres = os.geteuid() == 0
    if as_postgres:
        shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(folder, _free_port(), bin_, as_postgres)
    init = cluster._run("initdb", "-D", str(folder / "data"), "-A", "trust", "-U", "auditor", "-E", "UTF8",
                        "--locale=C", "--no-sync")
    if init.returncode:
        raise RuntimeError(f"initdb failed: {init.stderr.strip()[-500:]}")
    settings = ["-c listen_addresses=127.0.0.1", f"-p {cluster.port}", f"-k {folder}", "-c max_connections=300",
                "-c synchronous_commit=off"]
    if not durable:
        settings += ["-c fsync=off", "-c full_page_writes=off"]
    cluster.options = " ".join(settings)
    started = cluster._run("pg_ctl", "-D", str(folder / "data"), "-l", str(folder / "server.log"), "-w", "-t", "60",
                           "-o", cluster.options, "start")
    if started.returncode:
        log = (folder / "server.log").read_text(errors="replace")[-800:] if (folder / "server.log").exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {started.stderr.strip()[-300:]} {log}")
    made = cluster._run("createdb", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "auditor", "auditor")
    if made.returncode:
        cluster.stop()
        raise RuntimeError(f"createdb failed: {made.stderr.strip()}")
    return cluster
