"""A private PostgreSQL primary, a streaming replica and PgBouncer on spare loopback
ports, for the tests that prove the portal on the production topology. Built with the
server's own tools (initdb, pg_basebackup, pg_ctl) run as the ``postgres`` user, and
Debian's pgbouncer; everything lives in one temporary folder and is removed after."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from glob import glob
from pathlib import Path

import psycopg


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_bin() -> Path | None:
    found = sorted(glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def missing_tools() -> str | None:
    """Why the topology cannot be built here, or None."""
    if pg_bin() is None:
        return "PostgreSQL server binaries (initdb, pg_basebackup) are not installed"
    if not shutil.which("pgbouncer") and not Path("/usr/sbin/pgbouncer").exists():
        return "pgbouncer is not installed"
    if os.geteuid() != 0:
        return "needs root to run the servers as the postgres user"
    return None


def _as_postgres(args, **kwargs):
    return subprocess.run(["runuser", "-u", "postgres", "--", *map(str, args)], check=True,
                          capture_output=True, text=True, **kwargs)


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (psycopg.Error, OSError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


HBA = """local all all trust
host all all 127.0.0.1/32 trust
local replication all trust
host replication all 127.0.0.1/32 trust
"""


class Topology:
    """primary (read-write) → replica (hot standby, streaming) ; pgbouncer (transaction
    pooling) in front of both as the databases ``kc`` and ``kc_replica``."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="kc-topology-"))
        shutil.chown(self.root, "postgres", "postgres")
        self.bin = pg_bin()
        self.primary_port, self.replica_port, self.bouncer_port = free_port(), free_port(), free_port()
        self.primary_dir, self.replica_dir = self.root / "primary", self.root / "replica"
        self.bouncer = None

    # --- servers ---

    def _configure(self, data_dir: Path, port: int):
        with open(data_dir / "postgresql.auto.conf", "a") as conf:
            conf.write(f"\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.root}'\n"
                       "fsync = off\nfull_page_writes = off\nshared_buffers = 32MB\nmax_connections = 60\n"
                       "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
                       "hot_standby_feedback = on\ntimezone = 'UTC'\n")

    def start_primary(self):
        _as_postgres([self.bin / "initdb", "-D", self.primary_dir, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                      "--locale=C.UTF-8"])
        (self.primary_dir / "pg_hba.conf").write_text(HBA)
        self._configure(self.primary_dir, self.primary_port)
        self._pg_ctl(self.primary_dir, "start")
        with self.connect(self.primary_port, "postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE kc")
            conn.execute("ALTER DATABASE kc SET timezone TO 'UTC'")

    def start_replica(self):
        _as_postgres([self.bin / "pg_basebackup", "-h", "127.0.0.1", "-p", self.primary_port, "-U", "postgres",
                      "-D", self.replica_dir, "-R", "-X", "stream", "-c", "fast"])
        self._configure(self.replica_dir, self.replica_port)
        self._pg_ctl(self.replica_dir, "start")
        wait_until(lambda: self.connect(self.replica_port).execute("SELECT pg_is_in_recovery()").fetchone()[0], 30,
                   "the replica to accept connections")

    def stop_replica(self):
        self._pg_ctl(self.replica_dir, "stop", "-m", "fast")

    def _pg_ctl(self, data_dir, action, *extra):
        _as_postgres([self.bin / "pg_ctl", "-D", data_dir, "-l", data_dir.parent / f"{data_dir.name}.log", "-w",
                      "-t", "60", *extra, action])

    def connect(self, port, dbname="kc", user="postgres", autocommit=True):
        return psycopg.connect(host="127.0.0.1", port=port, dbname=dbname, user=user, autocommit=autocommit,
                               connect_timeout=5)

    def start_pgbouncer(self, pool_size: int = 2):
        users = self.root / "users.txt"
        users.write_text('"kc_web" ""\n"postgres" ""\n')
        config = self.root / "pgbouncer.ini"
        config.write_text(
            "[databases]\n"
            f"kc = host=127.0.0.1 port={self.primary_port} dbname=kc\n"
            f"kc_replica = host=127.0.0.1 port={self.replica_port} dbname=kc\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.bouncer_port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {users}\npool_mode = transaction\n"
            f"default_pool_size = {pool_size}\nmax_client_conn = 300\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
            f"logfile = {self.root / 'pgbouncer.log'}\npidfile = {self.root / 'pgbouncer.pid'}\n")
        shutil.chown(config, "postgres", "postgres")
        shutil.chown(users, "postgres", "postgres")
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        # Output to a file, never a pipe nobody reads: a full pipe would stop the pooler.
        with open(self.root / "pgbouncer.out", "wb") as out:
            self.bouncer = subprocess.Popen(["runuser", "-u", "postgres", "--", binary, str(config)],
                                            stdout=out, stderr=subprocess.STDOUT)
        wait_until(lambda: self.connect(self.bouncer_port, user="kc_web").execute("SELECT 1").fetchone(), 30,
                   "pgbouncer to accept connections")

    def url(self, database="kc", user="kc_web") -> str:
        return f"postgres://{user}@127.0.0.1:{self.bouncer_port}/{database}"

    def owner_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.primary_port}/kc"

    def close(self):
        if self.bouncer is not None and self.bouncer.poll() is None:
            self.bouncer.terminate()
            try:
                self.bouncer.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.bouncer.kill()
        for data_dir in (self.replica_dir, self.primary_dir):
            if (data_dir / "postmaster.pid").exists():
                try:
                    self._pg_ctl(data_dir, "stop", "-m", "immediate")
                except subprocess.CalledProcessError:
                    pass
        shutil.rmtree(self.root, ignore_errors=True)
