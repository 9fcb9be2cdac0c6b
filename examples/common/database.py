"""The real database behind the examples' caches: a private PostgreSQL cluster,
or an SQLite file when PostgreSQL is not installed.

PostgreSQL (Debian's postgresql-15) is started by `PostgresCluster.start()`:
initdb into a fresh temp dir, then pg_ctl on a free 127.0.0.1 port with the
unix socket in that same dir, so nothing on the machine is touched and two
runs never share a cluster. initdb refuses to run as root, so as root the
server runs as the `postgres` user (created by Debian's package; `nobody`
otherwise) through runuser, and the temp dir is handed to that user. The
cluster preloads pg_stat_statements with utility statements untracked: the
examples count "database queries" with the database's own statistics
(`query_count()`: the sum of `calls` of every statement the application role
ran in the shop database), never with a Python counter. `stop()` runs
`pg_ctl stop -m fast`, then kills the postmaster by the PID in
postmaster.pid if it is still there, and deletes the dir.

SQLite is the embedded fallback (`EXAMPLES_DB=sqlite` forces it). It has no
server-side statistics, so `query_count()` counts the statements the
connections opened through this object passed to SQLite (its trace
callback, BEGIN/COMMIT excluded): a count for this process only.

Both are reached through `Database.connect()`, whose connections take SQL
with %s placeholders and run each statement in autocommit mode unless inside
`with conn.transaction():`. `describe()` names the engine for the output.
Child processes find the same database through `env()` / `from_env()`.
"""

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time

APP_ROLE = "shop"
APP_DB = "shop"


def free_port():
    """A TCP port that was free a moment ago (never 6379, 11211 or 5432)."""
    while True:
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        finally:
            s.close()
        if port not in (6379, 11211, 5432):
            return port


def postgres_bindir():
    """The newest installed Debian PostgreSQL's bin dir, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return os.path.dirname(found[-1]) if found else None


class Connection:
    """One database connection (use one per thread)."""

    def __init__(self, raw, placeholder, on_close=None):
        self.raw = raw
        self._ph = placeholder
        self._in_tx = False
        self._on_close = on_close

    def _sql(self, sql):
        return sql if self._ph == "%s" else sql.replace("%s", self._ph)

    def query(self, sql, params=()):
        """Rows of a SELECT (list of tuples)."""
        cur = self.raw.cursor()
        try:
            cur.execute(self._sql(sql), tuple(params))
            rows = cur.fetchall()
        finally:
            cur.close()
        if not self._in_tx and self._ph != "%s":
            self.raw.commit()
        return rows

    def one(self, sql, params=()):
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def execute(self, sql, params=()):
        """Runs a write; returns the number of rows it touched."""
        cur = self.raw.cursor()
        try:
            cur.execute(self._sql(sql), tuple(params))
            n = cur.rowcount
        finally:
            cur.close()
        if not self._in_tx:
            self.raw.commit()
        return n

    @contextlib.contextmanager
    def transaction(self):
        """Every statement inside commits together, or none does."""
        assert not self._in_tx, "no nested transactions"
        self._in_tx = True
        if self._ph == "%s":
            self.raw.autocommit = False
        else:
            self.raw.execute("BEGIN IMMEDIATE")
        try:
            yield self
            self.raw.commit()
        except BaseException:
            self.raw.rollback()
            raise
        finally:
            self._in_tx = False
            if self._ph == "%s":
                self.raw.autocommit = True

    def close(self):
        self.raw.close()
        if self._on_close:
            self._on_close(self)


class PostgresDatabase:
    kind = "postgresql"

    def __init__(self, host, port):
        self.host, self.port = host, port
        self._stats = None
        self._stats_lock = threading.Lock()

    def connect(self, user=APP_ROLE):
        import psycopg2
        raw = psycopg2.connect(host=self.host, port=self.port, user=user, dbname=APP_DB)
        raw.autocommit = True
        return Connection(raw, "%s")

    def query_count(self):
        """Statements the application role has run in the shop database, by
        pg_stat_statements (updated before each statement's reply is sent)."""
        with self._stats_lock:
            if self._stats is None:
                self._stats = self.connect(user="postgres")
            row = self._stats.one(
                "SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s"
                " JOIN pg_roles r ON r.oid = s.userid JOIN pg_database d ON d.oid = s.dbid"
                " WHERE r.rolname = %s AND d.datname = %s", (APP_ROLE, APP_DB))
            return int(row[0])

    def describe(self):
        return "PostgreSQL on 127.0.0.1:%d" % self.port

    def env(self):
        return {"EXAMPLES_DB": "postgresql://%s:%d" % (self.host, self.port)}

    def close(self):
        if self._stats is not None:
            self._stats.close()
            self._stats = None


class SqliteDatabase:
    kind = "sqlite"

    def __init__(self, path):
        self.path = path
        self._count = 0
        self._lock = threading.Lock()

    def _trace(self, statement):
        head = statement.lstrip()[:8].upper()
        if not head.startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            with self._lock:
                self._count += 1

    def connect(self):
        raw = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                              check_same_thread=False)
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA busy_timeout=30000")
        raw.set_trace_callback(self._trace)
        return Connection(raw, "?")

    def query_count(self):
        """Statements this process's connections ran (SQLite's trace callback)."""
        with self._lock:
            return self._count

    def describe(self):
        return "SQLite %s (%s)" % (sqlite3.sqlite_version, self.path)

    def env(self):
        return {"EXAMPLES_DB": "sqlite://" + self.path}

    def close(self):
        pass


class PostgresCluster:
    """A private PostgreSQL cluster in a temp dir, on a free port."""

    def __init__(self, bindir=None):
        self.bindir = bindir or postgres_bindir()
        if not self.bindir:
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
        self.dir = None
        self.port = None
        self.database = None
        self._user = None

    def _run(self, args, **kw):
        cmd = [os.path.join(self.bindir, args[0])] + list(args[1:])
        if self._user:
            cmd = ["runuser", "-u", self._user, "--"] + cmd
        return subprocess.run(cmd, cwd=self.dir, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, **kw)

    def start(self, timeout=60):
        # As root the cluster belongs to another user, who must be able to
        # reach the dir: /tmp, whatever TMPDIR says.
        root = os.geteuid() == 0
        self.dir = tempfile.mkdtemp(prefix="magpie-examples-pg-", dir="/tmp" if root else None)
        if root:
            for name in ("postgres", "nobody"):
                try:
                    pw = pwd.getpwnam(name)
                except KeyError:
                    continue
                self._user = name
                os.chown(self.dir, pw.pw_uid, pw.pw_gid)
                break
        data = os.path.join(self.dir, "data")
        p = self._run(["initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                       "--locale=C.UTF-8", "--no-sync"], timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError("initdb failed:\n" + p.stdout.decode(errors="replace"))
        opts = {"listen_addresses": "127.0.0.1", "unix_socket_directories": self.dir,
                "shared_preload_libraries": "pg_stat_statements",
                "pg_stat_statements.track_utility": "off", "fsync": "off",
                "synchronous_commit": "off", "full_page_writes": "off",
                "max_connections": "200", "shared_buffers": "64MB"}
        with open(os.path.join(data, "postgresql.auto.conf"), "a") as f:
            for k, v in opts.items():
                f.write("%s = '%s'\n" % (k, v))
        for _ in range(3):
            self.port = free_port()
            p = self._run(["pg_ctl", "-D", data, "-l", os.path.join(self.dir, "server.log"),
                           "-w", "-t", str(timeout), "-o", "-p %d" % self.port, "start"],
                          timeout=timeout + 10)
            if p.returncode == 0:
                break
        else:
            log = open(os.path.join(self.dir, "server.log"), errors="replace").read()
            self.stop()
            raise RuntimeError("pg_ctl start failed:\n" + log[-2000:])
        self.database = PostgresDatabase("127.0.0.1", self.port)
        admin = psycopg_admin(self.port, "postgres")
        cur = admin.cursor()
        cur.execute("CREATE ROLE %s LOGIN" % APP_ROLE)
        cur.execute("CREATE DATABASE %s OWNER %s" % (APP_DB, APP_ROLE))
        admin.close()
        admin = psycopg_admin(self.port, APP_DB)
        admin.cursor().execute("CREATE EXTENSION pg_stat_statements")
        admin.close()
        return self.database

    def pid(self):
        try:
            with open(os.path.join(self.dir, "data", "postmaster.pid")) as f:
                return int(f.readline())
        except (OSError, ValueError, TypeError):
            return None

    def stop(self):
        if self.dir is None:
            return
        if self.database:
            self.database.close()
        pid = self.pid()
        if pid:
            self._run(["pg_ctl", "-D", os.path.join(self.dir, "data"), "-m", "fast", "-w",
                       "stop"], timeout=60)
            if self.pid() == pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                    for _ in range(200):
                        os.kill(pid, 0)
                        time.sleep(0.05)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None


def psycopg_admin(port, dbname):
    import psycopg2
    c = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname=dbname)
    c.autocommit = True
    return c


class SqliteFile:
    """The embedded fallback: an SQLite file in a temp dir."""

    def __init__(self):
        self.dir = None
        self.database = None

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="magpie-examples-sqlite-")
        self.database = SqliteDatabase(os.path.join(self.dir, "shop.db"))
        return self.database

    def pid(self):
        return None

    def stop(self):
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


def start(kind=None):
    """A started PostgresCluster, or an SqliteFile when PostgreSQL (or
    psycopg2) is missing or kind/EXAMPLES_DB says sqlite."""
    kind = kind or os.environ.get("EXAMPLES_DB_KIND") or (
        "sqlite" if os.environ.get("EXAMPLES_DB") == "sqlite" else None)
    if kind != "sqlite" and postgres_bindir():
        try:
            import psycopg2  # noqa: F401
            server = PostgresCluster()
            server.start()
            return server
        except ImportError:
            pass
    server = SqliteFile()
    server.start()
    return server


def attach(url):
    """The Database an EXAMPLES_DB url names (see Database.env())."""
    if url.startswith("postgresql://"):
        host, port = url[len("postgresql://"):].rsplit(":", 1)
        return PostgresDatabase(host, int(port))
    if url.startswith("sqlite://"):
        return SqliteDatabase(url[len("sqlite://"):])
    raise ValueError("EXAMPLES_DB must be postgresql://host:port or sqlite:///path: %r" % url)


def from_env(scale=None):
    """The database of $EXAMPLES_DB, or a private one started (and loaded with
    the shop data) for this process and stopped when it exits."""
    url = os.environ.get("EXAMPLES_DB", "")
    if url and url != "sqlite":
        return attach(url)
    from common import shopdata
    server = start()
    atexit.register(server.stop)
    shopdata.load(server.database, scale=scale)
    return server.database
