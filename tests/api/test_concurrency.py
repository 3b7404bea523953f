"""test_concurrency.py -- many clients at once: consistent reads, no lost writes, no blocked server.

Writers go through one writer thread with group commit while readers use their own connections. A
reader must never see half a request (a request is atomic), concurrent writers must all be stored, and
clients that stall half-way through a request must not stop vizd from answering everyone else.
"""

import socket
import threading

from harness import values_of


def test_a_reader_never_sees_half_of_a_request(vizd):
    # Each request appends 500 points to two tags; a consistent reader sees whole requests only.
    stop = threading.Event()
    problems = []

    def writer():
        try:
            for i in range(40):
                steps = list(range(i * 500, i * 500 + 500))
                vizd.client.write_ok({"run": "r", "scalars": [{"tag": "a", "steps": steps, "values": [1.0] * 500},
                                                              {"tag": "b", "steps": steps, "values": [2.0] * 500}]})
        except Exception as exc:  # reported below; a thread's exception would be lost otherwise
            problems.append("writer: %r" % exc)
        finally:
            stop.set()

    thread = threading.Thread(target=writer)
    thread.start()
    reads = 0
    while not stop.is_set() or reads == 0:
        resp = vizd.client.get("/api/v1/tags", params={"run": "r"})
        assert resp.status == 200, resp
        series = resp.json["runs"].get("r", {}).get("scalars", {})
        counts = (series.get("a", {}).get("count", 0), series.get("b", {}).get("count", 0))
        if counts[0] % 500 or counts[1] % 500:
            problems.append("tags show part of a request: %r" % (counts,))
        a = vizd.client.series("a", "r", points=0) if "a" in series else {"points": []}
        if len(a["points"]) % 500:
            problems.append("scalars show part of a request: %d points" % len(a["points"]))
        reads += 1
    thread.join()
    assert not problems, problems[:5]
    assert vizd.client.series("a", "r", points=0)["total"] == 20_000


def test_concurrent_writers_to_one_series_lose_nothing(vizd):
    failures = []

    def writer(index):
        try:
            for i in range(20):
                step = index * 1000 + i
                vizd.client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": step, "value": float(step)}]})
        except Exception as exc:  # reported below
            failures.append(repr(exc))

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    got = values_of(vizd.client.series("t", "r", points=0))
    assert got == {i * 1000 + k: float(i * 1000 + k) for i in range(8) for k in range(20)}


def test_concurrent_steps_without_step_are_each_assigned_once(vizd):
    failures = []

    def writer():
        try:
            for _ in range(25):
                vizd.client.write_ok({"run": "r", "scalars": [{"tag": "t", "value": 1.0}]})
        except Exception as exc:  # reported below
            failures.append(repr(exc))

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    series = vizd.client.series("t", "r", points=0)
    assert [p[0] for p in series["points"]] == list(range(200))


def test_clients_stalled_half_way_through_a_request_do_not_block_others(vizd):
    stalled = []
    try:
        for i in range(32):
            sock = socket.create_connection(("127.0.0.1", vizd.port), timeout=5)
            if i % 2:
                sock.sendall(b"POST /api/v1/write HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 100\r\n\r\n{\"run\": ")
            else:
                sock.sendall(b"GET /api/v1/ru")
            stalled.append(sock)
        assert vizd.client.healthz().status == 200
        vizd.client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 0, "value": 1.0}]})
        assert [r["name"] for r in vizd.client.runs()] == ["r"]
    finally:
        for sock in stalled:
            sock.close()
