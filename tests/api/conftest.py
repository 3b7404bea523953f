"""conftest.py -- fixtures for the API tests: a real vizd per test, checked on the way out.

Run from the repository root:

    VIZD_BIN=build/vizd      python3 -m pytest -q tests/api
    VIZD_BIN=build/asan/vizd python3 -m pytest -q tests/api -m 'not slow'

Every test gets its own daemon on a free loopback port with a fresh database in tmp_path, so tests
cannot see each other's data and "nothing was stored" can be checked on an empty database. When a test
ends, each daemon it started is stopped with SIGTERM; the test fails unless the daemon exits 0 and its
stderr holds no AddressSanitizer, UndefinedBehaviorSanitizer or LeakSanitizer report. A daemon the test
killed itself (SIGKILL) is only checked for sanitizer reports.

Fixtures:
  vizd_factory(db=None, args=(), start=True) -> Daemon   start a daemon with extra CLI flags / a given db
  vizd   -> Daemon   the default daemon (started, healthy)
  client -> Client   vizd.client: get/post/delete returning Response(status, headers, body, json)
  empty_client -> Client   a daemon shared by one module's tests that store nothing (refusals, 404,
                           405); its database is emptied after each test and its exit checked at the
                           end of the module

  pg_server -> str   the base URL of a throwaway PostgreSQL (tests/api/pgcluster.py): $VIZD_PG_URL
                     when `make test` started one, else a cluster started for this pytest session
  pg_url    -> str   the URL of a new, empty PostgreSQL database on it (one per test)

Tests that take seconds are marked `slow`; the sanitizer run skips them with -m 'not slow'.

Both store backends: with VIZD_TEST_BACKEND=postgresql, every daemon a fixture starts without a given db
gets a new PostgreSQL database instead of a SQLite file, so the same tests check that both backends give
the same answers (`make test-api` runs the suite both ways). A test that looks at the SQLite file itself
(query_db, sqlite3, a .sqlite path, its db_path, a db it passes) cannot run on PostgreSQL: it is skipped there, found
by its source, or marked `sqlite_only` by hand.
"""

import inspect
import os

import pytest

import pgcluster
from harness import Daemon, vizd_binary


BACKEND = os.environ.get("VIZD_TEST_BACKEND", "sqlite")
SQLITE_ONLY_SIGNS = ("query_db", "sqlite3", ".sqlite", "db=", "db_path")
BOTH_BACKENDS_USES = ("db_counts(vizd.db_path)", "db_counts(daemon.db_path)")  # media_helpers reads both


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes seconds; skipped in the sanitizer run (-m 'not slow')")
    config.addinivalue_line("markers", "sqlite_only: looks at the SQLite file; skipped with VIZD_TEST_BACKEND=postgresql")


def is_sqlite_only(item):
    if item.get_closest_marker("sqlite_only"):
        return True
    try:
        source = inspect.getsource(item.function)
    except (OSError, TypeError):
        return False
    for use in BOTH_BACKENDS_USES:
        source = source.replace(use, "")
    return any(sign in source for sign in SQLITE_ONLY_SIGNS)


def pytest_collection_modifyitems(config, items):
    if BACKEND != "postgresql":
        return
    skip = pytest.mark.skip(reason="looks at the SQLite file (VIZD_TEST_BACKEND=postgresql)")
    for item in items:
        if is_sqlite_only(item):
            item.add_marker(skip)


def default_db(request, path):
    """Where a daemon started without a given db keeps its data: path (SQLite), or a new PostgreSQL
    database with VIZD_TEST_BACKEND=postgresql."""
    if BACKEND == "postgresql":
        return pgcluster.create_database(request.getfixturevalue("pg_server"))
    return path


def stop_and_check(daemons):
    """Stop each daemon with SIGTERM; return what went wrong (a crash, a non-zero exit, a sanitizer
    report), as messages."""
    problems = []
    for daemon in daemons:
        owned_by_test = daemon.proc is not None  # not stopped or killed by the test itself
        died_early = owned_by_test and not daemon.running
        try:
            status = daemon.stop()
        except AssertionError as exc:
            problems.append(str(exc))
            continue
        if died_early:
            problems.append("vizd died during the test with status %s; stderr:\n%s" % (status, daemon.stderr))
        elif owned_by_test and status != 0:
            problems.append("vizd exited with status %s after SIGTERM; stderr:\n%s" % (status, daemon.stderr))
        report = daemon.sanitizer_report()
        if report:
            problems.append("vizd's stderr holds a sanitizer report:\n%s" % report)
    return problems


def require_binary():
    if not os.access(vizd_binary(), os.X_OK):
        pytest.fail("no vizd binary at %s (build it with `make build/vizd` or set VIZD_BIN)" % vizd_binary())


@pytest.fixture
def vizd_factory(tmp_path, request):
    require_binary()
    daemons = []

    def start_daemon(db=None, args=(), start=True):
        index = len(daemons)
        db_path = db if db is not None else default_db(request, tmp_path / ("vizd-%d.sqlite" % index))
        daemon = Daemon(db_path, tmp_path, extra_args=args)
        daemons.append(daemon)
        if start:
            daemon.start()
        return daemon

    yield start_daemon

    problems = stop_and_check(daemons)
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


@pytest.fixture
def vizd(vizd_factory):
    return vizd_factory()


@pytest.fixture
def client(vizd):
    return vizd.client


@pytest.fixture(scope="module")
def shared_vizd(tmp_path_factory, request):
    """One daemon for all the tests of a module that leave the database empty (refusals, 404s, 405s):
    starting a daemon per refused request would spend most of the suite's time in start-up."""
    require_binary()
    workdir = tmp_path_factory.mktemp("shared")
    daemon = Daemon(default_db(request, workdir / "shared.sqlite"), workdir).start()
    yield daemon
    problems = stop_and_check([daemon])
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


@pytest.fixture
def empty_client(shared_vizd):
    """The shared daemon's client, on an empty database. Whatever a failing test left behind is deleted
    afterwards, so one daemon bug does not fail every later test of the module."""
    if not shared_vizd.running:
        pytest.fail("the shared vizd is not running; stderr:\n%s" % shared_vizd.stderr, pytrace=False)
    client = shared_vizd.client
    yield client
    if shared_vizd.running:
        for run in client.get("/api/v1/runs").json.get("runs", []):
            client.delete("/api/v1/runs", params={"run": run["name"]})


@pytest.fixture(scope="session")
def pg_server():
    url = os.environ.get("VIZD_PG_URL")
    if url:
        yield url
        return
    with pgcluster.Cluster() as cluster:
        yield cluster.url()


@pytest.fixture
def pg_url(pg_server):
    return pgcluster.create_database(pg_server)
