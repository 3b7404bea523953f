#!/usr/bin/env python3
"""run.py -- vizd's benchmarks: ingest rate and reduced-query latency against a real vizd on loopback.

    python3 bench/run.py [--vizd build/vizd] [--seconds 5]

Starts vizd on a fresh database in a temporary directory and a free 127.0.0.1 port, then measures:
  1. columnar ingest: requests of 10,000 points, 4 keep-alive connections (one thread each);
  2. one-point ingest: requests holding a single point, 4 keep-alive connections;
  3. reduced query: GET /api/v1/scalars?points=1000 over a 1,000,000-point series (median and p95 of
     repeated requests on one keep-alive connection).
Request bodies are encoded before the clock starts, so the figures measure vizd, not Python's json.
Each phase is bounded in time and count. Prints one line per figure. This is not a test: it asserts
nothing, it measures.
"""
import argparse
import http.client
import json
import os
import statistics
import tempfile
import threading
import time
from benchlib import free_port, machine_line, memory_mb, post_write, start_vizd

CONNECTIONS = 4


def run_writers(port, bodies_per_conn, points_per_body, seconds):
    """Each connection posts its pre-encoded bodies in order until they run out or time is up."""
    sent = [0] * CONNECTIONS
    deadline = time.perf_counter() + seconds

    def worker(k):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        for body in bodies_per_conn[k]:
            if time.perf_counter() > deadline:
                break
            post_write(conn, body)
            sent[k] += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(CONNECTIONS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    requests = sum(sent)
    return requests, requests * points_per_body, elapsed


def columnar_bodies(run, batches, size):
    out = []
    for b in range(batches):
        steps = list(range(b * size, (b + 1) * size))
        values = [((s * 7919) % 1000) / 1000.0 for s in steps]
        out.append(json.dumps({"run": run, "scalars": [{"tag": "loss", "steps": steps, "values": values}]}).encode())
    return out


def bench_columnar(port, seconds):
    per_conn = [columnar_bodies("columnar-%d" % k, 200, 10000) for k in range(CONNECTIONS)]
    requests, points, elapsed = run_writers(port, per_conn, 10000, seconds)
    print("columnar ingest: %d points in %d requests of 10,000 over %d connections in %.2f s = %.0f points/s"
          % (points, requests, CONNECTIONS, elapsed, points / elapsed))


def bench_single(port, seconds):
    per_conn = [[json.dumps({"run": "single-%d" % k, "scalars": [{"tag": "loss", "step": i, "value": i * 0.5}]}).encode()
                 for i in range(100000)] for k in range(CONNECTIONS)]
    requests, points, elapsed = run_writers(port, per_conn, 1, seconds)
    print("one-point ingest: %d requests over %d connections in %.2f s = %.0f requests/s"
          % (requests, CONNECTIONS, elapsed, requests / elapsed))


def bench_many_tags(port):
    """One request of 10,000 row-form items (the most distinct tags a write may hold), each for a tag of its
    own (a wide model's per-layer stats)."""
    body = json.dumps({"run": "many-tags", "scalars": [{"tag": "layer%d/grad_norm" % i, "step": 0, "value": i * 0.5}
                                                       for i in range(10000)]}).encode()
    conn = http.client.HTTPConnection("127.0.0.1", port)
    start = time.perf_counter()
    post_write(conn, body)
    print("one request of 10,000 scalars for 10,000 different tags: %.0f ms" % ((time.perf_counter() - start) * 1000))


def bench_query(port, repeats):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for body in columnar_bodies("query", 100, 10000):
        post_write(conn, body)
    # vizd checkpoints the WAL once writes pause (250 ms); queries then read the database file through its
    # memory map. The first query right after the writes is reported on its own.
    path = "/api/v1/scalars?run=query&tag=loss&points=1000"
    start = time.perf_counter()
    conn.request("GET", path)
    conn.getresponse().read()
    first_ms = (time.perf_counter() - start) * 1000
    time.sleep(1.0)
    times = []
    size = 0
    for _ in range(repeats):
        start = time.perf_counter()
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        times.append((time.perf_counter() - start) * 1000)
        size = len(body)
    answer = json.loads(body)["series"][0]
    times.sort()
    print("reduced query (points=1000) over %d points: %d points back (%d bytes), median %.1f ms, p95 %.1f ms, %d requests"
          " (the first, right after the writes: %.1f ms)"
          % (answer["total"], len(answer["points"]), size, statistics.median(times), times[int(len(times) * 0.95)],
             repeats, first_ms))


def bench_restart(binary, db, port, proc):
    """Memory after the phases above, then the time a restart on that database takes to answer /healthz."""
    size_mb = os.path.getsize(db) / 1e6
    print("resident memory after the phases above: %.0f MB (database %.0f MB)" % (memory_mb(proc.pid)["VmRSS"], size_mb))
    proc.terminate()
    proc.wait(timeout=30)
    start = time.perf_counter()
    proc = start_vizd(binary, db, port)
    print("restart on that database until /healthz answers: %.0f ms" % ((time.perf_counter() - start) * 1000))
    return proc


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vizd", default="build/vizd")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    print(machine_line())
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = start_vizd(args.vizd, os.path.join(tmp, "bench.sqlite"), port)
        try:
            bench_columnar(port, args.seconds)
            bench_single(port, args.seconds)
            bench_many_tags(port)
            bench_query(port, args.repeats)
            proc = bench_restart(args.vizd, os.path.join(tmp, "bench.sqlite"), port, proc)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
