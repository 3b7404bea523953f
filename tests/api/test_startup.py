"""test_startup.py -- vizd refuses to start when it cannot or must not serve, and says why.

A port already in use, a database path it cannot create, a file that is not a vizd database and a
database written by a newer vizd each end in a non-zero exit with a message on stderr. A file vizd
refuses is left exactly as it was: same bytes, and no -wal/-shm/-journal files created beside it.
"""

import hashlib
import os
import random
import socket
import sqlite3

from harness import free_port, run_vizd_expecting_exit


def fingerprint(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest(), os.stat(path).st_mtime_ns


def assert_untouched(path, before):
    assert fingerprint(path) == before, "vizd modified %s" % path
    for suffix in ("-wal", "-shm", "-journal"):
        assert not os.path.exists(str(path) + suffix), "vizd created %s%s" % (path, suffix)


def refuse(db_path):
    # A free port, so that the only reason left to refuse is the database.
    code, err = run_vizd_expecting_exit(["--db", str(db_path), "--port", str(free_port())])
    assert code != 0, err
    assert err.strip(), "no error message on stderr"
    return err


def test_a_port_in_use_is_a_non_zero_exit_with_a_one_line_error(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code, err = run_vizd_expecting_exit(["--db", str(tmp_path / "x.sqlite"), "--port", str(port)])
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert str(port) in lines[0] or "in use" in lines[0].lower(), lines[0]


def test_a_db_path_in_a_missing_directory_is_a_non_zero_exit(tmp_path):
    missing = tmp_path / "no" / "such" / "dir"
    refuse(missing / "runs.sqlite")
    assert not missing.exists()


def test_an_unwritable_db_path_is_a_non_zero_exit():
    refuse("/proc/x/y.sqlite")


def test_a_directory_as_db_path_is_a_non_zero_exit(tmp_path):
    refuse(tmp_path)


def test_a_file_of_random_bytes_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "random.sqlite"
    path.write_bytes(random.Random(1234).randbytes(8192))
    before = fingerprint(path)
    refuse(path)
    assert_untouched(path, before)


def test_a_text_file_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("my precious notes\n" * 100)
    before = fingerprint(path)
    refuse(path)
    assert_untouched(path, before)


def test_a_foreign_sqlite_database_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE foo (x INTEGER)")
    conn.execute("INSERT INTO foo VALUES (42)")
    conn.commit()
    conn.close()
    before = fingerprint(path)
    refuse(path)
    assert_untouched(path, before)
    conn = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    assert conn.execute("SELECT x FROM foo").fetchall() == [(42,)]
    assert conn.execute("PRAGMA user_version").fetchone() == (0,)
    conn.close()


def test_a_database_from_a_newer_vizd_is_refused_and_left_untouched(vizd):
    vizd.client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 0, "value": 1.0}]})
    assert vizd.stop() == 0
    conn = sqlite3.connect(vizd.db_path)
    conn.execute("PRAGMA user_version = 9999")
    conn.commit()
    conn.close()
    for suffix in ("-wal", "-shm"):
        if os.path.exists(vizd.db_path + suffix) and os.path.getsize(vizd.db_path + suffix) == 0:
            os.remove(vizd.db_path + suffix)  # left by our own connection, not by vizd
    before = fingerprint(vizd.db_path)
    err = refuse(vizd.db_path)
    assert fingerprint(vizd.db_path) == before
    assert "9999" in err or "newer" in err.lower(), err
    conn = sqlite3.connect("file:%s?mode=ro" % vizd.db_path, uri=True)
    assert conn.execute("PRAGMA user_version").fetchone() == (9999,)
    conn.close()
