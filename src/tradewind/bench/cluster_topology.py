"""The cluster harness: PostgreSQL primary and synchronous replica, HAProxy, app nodes, workers.

Everything runs on this machine from Debian's packages, on loopback ports (docs/how-to/
deploy-cluster.md says why not network namespaces). The harness keeps the id of every process
it starts and ends only those, in reverse order. The faults it can inject:

- ``kill_primary``: SIGKILL to the primary's postmaster and each of its backends, then
  ``pg_ctl promote`` on the replica; the nodes' multi-host URL (``target_session_attrs=
  read-write``) finds the new primary on their next connection.
- ``kill_node`` / ``kill_worker``: SIGKILL to one app node or worker.
- ``cut_node``: the last node reaches the database through relays of ours; a cut closes its
  connections and swallows new ones unanswered (what ``ip link set down`` does to a host).
"""

from __future__ import annotations

import asyncio
import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from tradewind.bench.harness import BENCH_SECRET, free_port, wait_healthy

HOST = "127.0.0.1"
REPLICA_NAME = "replica1"
PRIMARY_SETTINGS = f"""
listen_addresses = '{HOST}'
max_connections = 300
wal_level = replica
max_wal_senders = 5
wal_keep_size = '256MB'
hot_standby = on
synchronous_commit = on
synchronous_standby_names = '{REPLICA_NAME}'
fsync = off
full_page_writes = off
"""
HAPROXY_CFG = """global
    maxconn 4000
defaults
    mode http
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    timeout queue 10s
    timeout check 3s
    retries 2
    option redispatch
    retry-on conn-failure empty-response 503
    option forwardfor
frontend web
    bind {host}:{port}
    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 500 fastinter 250 fall 2 rise 2
{servers}
"""


def pg_bin() -> Path:
    """The newest PostgreSQL server binaries Debian installed (``postgresql`` package)."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name)
    )
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError(
        "PostgreSQL server binaries not found: install Debian's 'postgresql' "
        "package (./scripts/test does this)"
    )


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _run(*args: str, timeout: float = 120) -> str:
    result = subprocess.run(
        [*_as_postgres(), *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{args[0]} failed: {result.stdout}\n{result.stderr}")
    return result.stdout


@dataclass
class PgServer:
    name: str
    data: Path
    port: int

    def url(self, **query: str) -> str:
        tail = "&".join(f"{k}={v}" for k, v in query.items())
        return f"postgresql+psycopg://postgres@{HOST}:{self.port}/postgres" + (
            f"?{tail}" if tail else ""
        )

    def start(self, folder: Path) -> None:
        _run(
            str(pg_bin() / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            f"-p {self.port} -k {folder}",
            "-l",
            str(folder / f"{self.name}.log"),
            "-w",
            "-t",
            "60",
            "start",
        )

    def pids(self) -> list[int]:
        """The postmaster and its children (backends, WAL sender/receiver, ...)."""
        pid_file = self.data / "postmaster.pid"
        if not pid_file.exists():
            return []
        postmaster = int(pid_file.read_text().split()[0])
        children = subprocess.run(
            ["/usr/bin/pgrep", "-P", str(postmaster)], capture_output=True, text=True, check=False
        ).stdout.split()
        return [postmaster, *(int(c) for c in children)]


@dataclass
class Cluster:
    """A running cluster; ``base_url`` is HAProxy's address, ``db_url`` what the nodes use."""

    folder: Path
    primary: PgServer
    replica: PgServer
    haproxy_port: int
    node_ports: list[int]
    db_url: str
    replica_url: str
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    relays: list[Relay] = field(default_factory=list)
    relay_loop: RelayLoop | None = None
    stopped_pg: set[str] = field(default_factory=set)
    logs: list[BinaryIO] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.haproxy_port}"

    def node_url(self, index: int) -> str:
        return f"http://{HOST}:{self.node_ports[index]}"

    def kill_primary(self) -> float:
        """SIGKILL the primary's processes and promote the replica; returns the kill time."""
        pids = self.primary.pids()
        killed_at = time.monotonic()
        for pid in pids:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.stopped_pg.add(self.primary.name)
        _run(str(pg_bin() / "pg_ctl"), "-D", str(self.replica.data), "-w", "promote")
        return killed_at

    def kill(self, name: str) -> None:
        """SIGKILL one process this harness started (``node1``, ``worker0``, ...)."""
        proc = self.procs[name]
        proc.kill()
        proc.wait(timeout=10)

    def cut_node(self, cut: bool) -> None:
        """Cut the last node off the database (True) or give it back (False)."""
        for relay in self.relays:
            relay.cut = cut
            if self.relay_loop is not None:  # cut: every connection; back: the swallowed ones
                self.relay_loop.call(relay.drop_all if cut else relay.drop_swallowed)


def _init_primary(folder: Path, port: int) -> PgServer:
    data = folder / "primary"
    _run(
        str(pg_bin() / "initdb"),
        "-D",
        str(data),
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--no-sync",
    )
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(PRIMARY_SETTINGS)
    primary = PgServer("primary", data, port)
    primary.start(folder)
    return primary


def _init_replica(folder: Path, primary: PgServer, port: int) -> PgServer:
    data = folder / "replica"
    _run(
        str(pg_bin() / "pg_basebackup"),
        "-D",
        str(data),
        "-h",
        HOST,
        "-p",
        str(primary.port),
        "-U",
        "postgres",
        "-R",
        "-X",
        "stream",
        "-c",
        "fast",
    )
    conninfo = f"host={HOST} port={primary.port} user=postgres application_name={REPLICA_NAME}"
    # Once promoted it has no standby of its own: it must not wait for one on every commit.
    extra = f"primary_conninfo = '{conninfo}'\nsynchronous_standby_names = ''\n"
    with (data / "postgresql.auto.conf").open("a") as conf:  # later lines win
        conf.write(extra)
    replica = PgServer("replica", data, port)
    replica.start(folder)
    return replica


def _wait_sync(primary: PgServer, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    psql = str(pg_bin() / "psql")
    query = "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'replica1'"
    while time.monotonic() < deadline:
        out = _run(psql, "-h", HOST, "-p", str(primary.port), "-U", "postgres", "-Atc", query)
        if out.strip() == "sync":
            return
        time.sleep(0.2)
    raise RuntimeError("the replica never became a synchronous standby")


def multi_host_url(servers: list[tuple[str, int]], connect_timeout_s: int = 2) -> str:
    """libpq's multi-host form: try each in turn, keep the one that accepts writes."""
    hosts = "&".join(f"host={h}:{p}" for h, p in servers)
    return (
        f"postgresql+psycopg://postgres@/postgres?{hosts}"
        f"&target_session_attrs=read-write&connect_timeout={connect_timeout_s}"
    )


def _node_env(cluster: Cluster, db_url: str, replica_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "TRADEWIND_DATABASE_URL": db_url,
        "TRADEWIND_REPLICA_URL": replica_url,
        "TRADEWIND_SECRET_KEY": BENCH_SECRET,
        "TRADEWIND_LOG_LEVEL": "WARNING",
        "TRADEWIND_CLOCK": "manual",
        "TRADEWIND_DB_POOL_SIZE": "12",
        "TRADEWIND_TRUSTED_PROXIES": f'["{HOST}"]',
        "TRADEWIND_PUBLIC_BASE_URL": cluster.base_url,
        "TRADEWIND_WORKER_POLL_S": "0.2",
    }


def _spawn(cluster: Cluster, name: str, args: list[str], env: dict[str, str]) -> None:
    log = (cluster.folder / f"{name}.log").open("wb")
    cluster.logs.append(log)
    cluster.procs[name] = subprocess.Popen(
        [sys.executable, "-m", "tradewind", *args], env=env, stdout=log, stderr=log
    )


def _start_app(cluster: Cluster, workers: int) -> None:
    last = len(cluster.node_ports) - 1
    for i, port in enumerate(cluster.node_ports):
        db_url, replica_url = cluster.db_url, cluster.replica_url
        if i == last:  # the node the harness can cut off: through relays
            db_url, replica_url = _relayed_urls(cluster)
        env = _node_env(cluster, db_url, replica_url)
        _spawn(cluster, f"node{i}", ["serve", "--host", HOST, "--port", str(port)], env)
    for i in range(workers):
        _spawn(cluster, f"worker{i}", ["worker"], _node_env(cluster, cluster.db_url, ""))
    for i in range(len(cluster.node_ports)):
        wait_ready(cluster.node_url(i), cluster.procs[f"node{i}"])


def _start_haproxy(cluster: Cluster) -> None:
    servers = "\n".join(
        f"    server node{i} {HOST}:{port} check" for i, port in enumerate(cluster.node_ports)
    )
    cfg = cluster.folder / "haproxy.cfg"
    cfg.write_text(HAPROXY_CFG.format(host=HOST, port=cluster.haproxy_port, servers=servers))
    log = (cluster.folder / "haproxy.log").open("wb")
    cluster.logs.append(log)
    cluster.procs["haproxy"] = subprocess.Popen(
        [_haproxy(), "-db", "-f", str(cfg)], stdout=log, stderr=log
    )
    wait_ready(cluster.base_url, cluster.procs["haproxy"])


def _haproxy() -> str:
    found = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(found).exists():
        raise RuntimeError("HAProxy not found: install Debian's 'haproxy' (./scripts/test does)")
    return found


def wait_ready(base_url: str, proc: subprocess.Popen[bytes], timeout_s: float = 240) -> None:
    """Until ``/readyz`` answers 200 (the database answers too)."""
    wait_healthy(base_url, proc, timeout_s, path="/readyz")


def _relayed_urls(cluster: Cluster) -> tuple[str, str]:
    loop = cluster.relay_loop = RelayLoop()
    ports = {}
    for server in (cluster.primary, cluster.replica):
        relay = Relay(HOST, server.port)
        ports[server.name] = loop.call(relay.listen)
        cluster.relays.append(relay)
    db_url = multi_host_url([(HOST, ports["primary"]), (HOST, ports["replica"])])
    replica_url = f"postgresql+psycopg://postgres@{HOST}:{ports['replica']}/postgres"
    return db_url, replica_url + "?connect_timeout=1"


@contextmanager
def cluster_running(*, nodes: int = 3, workers: int = 2) -> Iterator[Cluster]:
    """Start the whole topology, migrated; tear it down by the ids started, in reverse."""
    from tradewind.bootstrap import build
    from tradewind.config import Settings
    from tradewind.db.migrate import upgrade

    folder = Path(tempfile.mkdtemp(prefix="tradewind-cluster-"))
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(folder, pw.pw_uid, pw.pw_gid)
    primary = _init_primary(folder, free_port())
    cluster = Cluster(
        folder=folder,
        primary=primary,
        replica=PgServer("replica", folder / "replica", 0),
        haproxy_port=free_port(),
        node_ports=[free_port() for _ in range(nodes)],
        db_url="",
        replica_url="",
    )
    try:
        cluster.replica = _init_replica(folder, primary, free_port())
        _wait_sync(primary)
        cluster.db_url = multi_host_url([(HOST, primary.port), (HOST, cluster.replica.port)])
        cluster.replica_url = cluster.replica.url(connect_timeout="1")
        engine = build(Settings(database_url=cluster.db_url, secret_key=BENCH_SECRET)).engine
        upgrade(engine)
        engine.dispose()
        _start_app(cluster, workers)
        _start_haproxy(cluster)
        yield cluster
    except BaseException as exc:
        exc.add_note(_log_tails(folder))
        raise
    finally:
        _teardown(cluster)


def _log_tails(folder: Path, lines: int = 15) -> str:
    """The end of every log the cluster wrote, for the error that brought it down."""
    parts = []
    for log in sorted(folder.glob("*.log")):
        tail = log.read_text(errors="replace").splitlines()[-lines:]
        parts.append(f"--- {log.name}\n" + "\n".join(tail))
    return "\n".join(parts)


def _teardown(cluster: Cluster) -> None:
    for proc in reversed(list(cluster.procs.values())):
        if proc.poll() is None:
            proc.terminate()
    for proc in reversed(list(cluster.procs.values())):
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for log in cluster.logs:
        log.close()
    if cluster.relay_loop is not None:
        cluster.relay_loop.stop(cluster.relays)
    for server in (cluster.replica, cluster.primary):
        if server.name in cluster.stopped_pg or not (server.data / "postmaster.pid").exists():
            continue
        with suppress(RuntimeError, subprocess.TimeoutExpired):
            _run(str(pg_bin() / "pg_ctl"), "-D", str(server.data), "-m", "immediate", "-w", "stop")
    shutil.rmtree(cluster.folder, ignore_errors=True)


class RelayLoop:
    """One asyncio loop in a thread of ours, for the relays."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="relays", daemon=True)
        self.thread.start()

    def call(self, fn: object) -> int:
        async def run() -> int:
            result = fn()  # type: ignore[operator]
            if asyncio.iscoroutine(result):
                result = await result
            return int(result or 0)

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout=10)

    def stop(self, relays: list[Relay]) -> None:
        for relay in relays:
            self.call(relay.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


class Relay:
    """A TCP relay to one database server; while ``cut`` it answers nothing at all."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.cut = False
        self.writers: set[asyncio.StreamWriter] = set()
        self.swallowed: set[asyncio.StreamWriter] = set()
        self.server: asyncio.Server | None = None

    async def listen(self) -> int:
        self.server = await asyncio.start_server(self._accept, HOST, 0)
        return int(self.server.sockets[0].getsockname()[1])

    def drop_all(self) -> None:
        for writer in [*self.writers, *self.swallowed]:
            writer.transport.abort()
        self.writers.clear()
        self.swallowed.clear()

    def drop_swallowed(self) -> None:
        for writer in self.swallowed:
            writer.transport.abort()
        self.swallowed.clear()

    async def close(self) -> None:
        self.cut = True
        self.drop_all()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut:  # swallowed: the client waits for its connect_timeout
            self.swallowed.add(writer)
            return
        self.writers.add(writer)
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.writers.add(up_writer)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                if self.cut:
                    break
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.transport.abort()
            self.writers.discard(writer)


@contextmanager
def replicated_postgres() -> Iterator[tuple[PgServer, PgServer]]:
    """Only the databases: a primary and its synchronous replica, stopped and removed after."""
    folder = Path(tempfile.mkdtemp(prefix="tradewind-pair-"))
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(folder, pw.pw_uid, pw.pw_gid)
    started: list[PgServer] = []
    try:
        started.append(_init_primary(folder, free_port()))
        started.append(_init_replica(folder, started[0], free_port()))
        _wait_sync(started[0])
        yield started[0], started[1]
    finally:
        for server in reversed(started):
            with suppress(RuntimeError, subprocess.TimeoutExpired):
                _run(str(pg_bin() / "pg_ctl"), "-D", str(server.data), "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)
