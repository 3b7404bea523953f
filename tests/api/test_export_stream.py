"""test_export_stream.py -- a points=0 export holds its read snapshot while its client reads, and gives it
back as soon as the client goes away.

An export is pulled from the store a block at a time through a cursor that holds a read transaction, so
every block comes from one snapshot. While a snapshot is held, SQLite cannot reset the write-ahead log:
vizd's idle checkpoint (TRUNCATE) waits. So the WAL file tells, from outside, whether a cursor is still
open: it stays non-empty while a client that stopped reading holds an export, and is emptied by the
next idle checkpoint once that client has closed its connection after a few KB.
"""

import os
import socket
import time

import pytest

from harness import wait_for


def wal_bytes(vizd):
    try:
        return os.path.getsize(vizd.db_path + "-wal")
    except FileNotFoundError:
        return 0


def write_point(client, step):
    client.write_ok({"run": "other", "scalars": [{"tag": "t", "step": step, "value": 1.0}]})


@pytest.mark.slow
@pytest.mark.sqlite_only  # the held snapshot is seen in SQLite's WAL file
@pytest.mark.parametrize("form", ["json", "csv"])
def test_an_export_left_after_a_few_kb_closes_its_cursor(vizd, form):
    client = vizd.client
    n = 2_000_000
    for first in range(0, n, 500_000):
        client.write_ok({"run": "big", "scalars": [{"tag": "loss", "steps": list(range(first, first + 500_000)),
                                                    "values": [float(i % 977) for i in range(500_000)]}]})
    assert wait_for(lambda: wal_bytes(vizd) == 0, 30), "the idle checkpoint never emptied the WAL"

    sock = socket.create_connection(("127.0.0.1", vizd.port), timeout=30)
    sock.sendall(("GET /api/v1/scalars?tag=loss&run=big&points=0&format=%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Connection: close\r\n\r\n" % form).encode())
    received = b""
    while len(received) < 4096:
        chunk = sock.recv(4096)
        assert chunk, "the answer ended early"
        received += chunk
    assert received.startswith(b"HTTP/1.1 200")

    # The client stops reading: the export waits, its cursor open, and the WAL a write adds stays.
    write_point(client, 0)
    assert wal_bytes(vizd) > 0
    time.sleep(1.5)  # several idle checkpoints (every 250 ms of idleness) try and must wait
    assert wal_bytes(vizd) > 0, "the WAL was reset while an export still held its snapshot"

    # The client goes away: the export stops, its cursor closes, and the next idle checkpoint can reset.
    sock.close()
    write_point(client, 1)
    assert wait_for(lambda: wal_bytes(vizd) == 0, 30), "the WAL is never reset: the export's cursor stayed open"
    assert client.series("loss", "big", points=10)["total"] == n
