#!/usr/bin/env python3
"""pgcluster.py -- a throwaway PostgreSQL for the tests: real Debian binaries, a temporary folder.

    python3 tests/api/pgcluster.py run -- COMMAND ARGS...

starts a cluster (unless VIZD_PG_URL is set already: then it just runs COMMAND), runs COMMAND with VIZD_PG_URL set to a URL of the cluster's `postgres` database
(postgresql://postgres@127.0.0.1:PORT/postgres), then stops the cluster and removes its folder, also
when COMMAND fails or the wrapper is interrupted; the exit status is COMMAND's. `make test` runs the
test targets this way. The pytest fixtures use VIZD_PG_URL when it is set and otherwise start a Cluster
of their own (tests/api/conftest.py), so `python3 -m pytest tests/api` works alone too.

How: `initdb` (Debian's postgresql package, /usr/lib/postgresql/N/bin, the newest N) into a temporary
folder with trust authentication, then `pg_ctl start` listening on a free loopback port and on a
socket in that folder. PostgreSQL refuses to run as root, and tests often run as root (CI): then the
folder is handed to the `postgres` user and the server runs as that user. fsync is off: the cluster
lives for one test run, and a restart of the server (Cluster.restart, for the tests that drop vizd's
connection) keeps committed data without it, since only a machine crash loses page cache.

Databases: Cluster.create_database() makes a fresh, empty one (CREATE DATABASE copies template1 with
PostgreSQL 15's WAL_LOG strategy: no checkpoint, a few milliseconds), so each test starts empty as the
SQLite tests do with a new file. SQL for the tests goes through Debian's psql (Cluster.sql), the same
client an operator uses; there is no Python driver in the test dependencies.
"""

import atexit
import glob
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.parse


def bin_dir():
    """The newest installed PostgreSQL's binaries (Debian keeps them out of PATH), or PATH's."""
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
    if dirs:
        return dirs[-1]
    found = shutil.which("initdb")
    if not found:
        raise RuntimeError("PostgreSQL's initdb is not installed: run 'make deps' (Debian package postgresql)")
    return os.path.dirname(found)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user():
    """preexec_fn dropping root to the postgres user (initdb and postgres refuse to run as root)."""
    if os.geteuid() != 0:
        return None
    user = pwd.getpwnam("postgres")

    def drop():
        os.setgid(user.pw_gid)
        os.initgroups("postgres", user.pw_gid)
        os.setuid(user.pw_uid)
    return drop


class Cluster:
    """One PostgreSQL server in a temporary folder. start() and stop(); a context manager too."""

    def __init__(self, is_durable=False):
        """is_durable: keep fsync on (benchmarks compare with SQLite, which syncs its commits); tests
        leave it off."""
        self.is_durable = is_durable
        self.bin = bin_dir()
        self.folder = None
        self.port = None
        self.log_path = None

    # ---- life cycle ----
    def start(self):
        self.folder = tempfile.mkdtemp(prefix="vizd-pg-")
        atexit.register(self.stop)
        try:
            drop = _as_server_user()
            if drop is not None:
                user = pwd.getpwnam("postgres")
                os.chown(self.folder, user.pw_uid, user.pw_gid)
            self.data = os.path.join(self.folder, "data")
            self.log_path = os.path.join(self.folder, "server.log")
            subprocess.run([os.path.join(self.bin, "initdb"), "-D", self.data, "-U", "postgres", "--auth=trust",
                            "--encoding=UTF8", "--locale=C", "--no-sync"],
                           check=True, capture_output=True, preexec_fn=drop, cwd=self.folder)
            self.port = free_port()
            self._pg_ctl("start")
        except BaseException:
            self.stop()
            raise
        return self

    def _pg_ctl(self, action, mode="fast"):
        options = " ".join([
            "-p %d" % self.port, "-k %s" % self.folder, "-c listen_addresses=127.0.0.1",
            "-c max_connections=200", "-c shared_buffers=128MB",
        ] + ([] if self.is_durable else ["-c fsync=off", "-c full_page_writes=off"]))
        args = [os.path.join(self.bin, "pg_ctl"), action, "-D", self.data, "-w", "-t", "60", "-m", mode]
        if action in ("start", "restart"):
            args += ["-l", self.log_path, "-o", options]
        proc = subprocess.run(args, capture_output=True, preexec_fn=_as_server_user(), cwd=self.folder)
        if proc.returncode != 0:
            raise RuntimeError("pg_ctl %s failed: %s\n%s" % (action, proc.stderr.decode(errors="replace"),
                                                            self.log()))

    def stop(self):
        """Stop the server (immediately: nothing in it is kept) and remove its folder. Idempotent."""
        if self.folder is None:
            return
        if os.path.exists(os.path.join(self.folder, "data", "postmaster.pid")):
            try:
                self._pg_ctl("stop", mode="immediate")
            except (RuntimeError, OSError):
                pass
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None

    def restart(self, mode="fast"):
        """pg_ctl restart: every client connection is dropped; committed data stays."""
        self._pg_ctl("restart", mode=mode)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-4000:]
        except (OSError, TypeError):
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- use ----
    def url(self, database="postgres"):
        return "postgresql://postgres@127.0.0.1:%d/%s" % (self.port, database)

    def create_database(self):
        """A new empty database; its URL."""
        return create_database(self.url())


def sql(url, statement):
    """Run SQL with psql on the database at url; the rows, each a list of text fields (psql's
    unaligned output, NULL as the empty string)."""
    proc = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\x1f", "-v", "ON_ERROR_STOP=1", "-d", url,
                           "-c", statement], capture_output=True, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError("psql: %s" % proc.stderr.decode(errors="replace"))
    out = proc.stdout.decode()
    return [line.split("\x1f") for line in out.split("\n") if line]


_names = itertools.count()


def create_database(base_url):
    """A new empty database on the server base_url names; its URL (same user, host and port)."""
    name = "vizd_%d_%d" % (os.getpid(), next(_names))
    sql(base_url, "CREATE DATABASE %s" % name)
    parts = urllib.parse.urlsplit(base_url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def main(argv):
    if len(argv) < 3 or argv[0] != "run" or argv[1] != "--":
        sys.exit(__doc__)
    if os.environ.get("VIZD_PG_URL"):  # an outer `pgcluster.py run` (make test) started one already
        os.execvp(argv[2], argv[2:])
    with Cluster() as cluster:
        env = dict(os.environ, VIZD_PG_URL=cluster.url())
        child = subprocess.Popen(argv[2:], env=env)

        def forward(signum, _frame):
            child.send_signal(signum)
        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        while True:
            try:
                status = child.wait()
                break
            except InterruptedError:
                continue
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
