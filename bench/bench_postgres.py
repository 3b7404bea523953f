#!/usr/bin/env python3
"""bench_postgres.py -- the SQLite and the PostgreSQL store side by side, and replicas on one database.

    python3 bench/bench_postgres.py [--vizd build/vizd] [--loadgen build/loadgen] [--seconds 5]

In one run, on this machine: a throwaway PostgreSQL (tests/api/pgcluster.py, Debian's binaries, fsync on
as SQLite's commits are synced) and a SQLite file, each behind one vizd:
  - columnar ingest: 50 requests of 20,000 points (one series of 1 M points), points/s;
  - the reduced query of that 1 M-point series (GET /api/v1/scalars, points=1000), median of 7, ms;
  - one-point requests/s with build/loadgen (4 keep-alive connections, each its own run);
then PostgreSQL with 1, 2 and 3 vizd replicas on one database, a loadgen per replica (4 connections
each, every connection its own run), run at once: the aggregate one-point requests/s. Everything shares
the machine's cores (loadgen, vizd, the PostgreSQL server processes), which is what limits the aggregate
here; it asserts nothing.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import http.client

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "api"))
import pgcluster  # noqa: E402
from benchlib import free_port, machine_line, post_write, start_vizd  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
POINTS_PER_REQUEST = 20000
REQUESTS = 50


def postgres_cpu_s():
    """User + system CPU so far of every PostgreSQL server process (the postmaster and its backends)."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)
            if fields[0].endswith("(postgres"):
                parts = fields[1].split()
                total += int(parts[11]) + int(parts[12])
        except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
            pass
    return total / CLOCK_TICKS


class PostgresCost:
    """PostgreSQL's CPU time, WAL bytes and database growth over a phase (None for SQLite)."""

    def __init__(self, url):
        self.url = url

    def sample(self):
        if not self.url:
            return None
        row = pgcluster.sql(self.url, "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn, pg_database_size(current_database())")[0]
        return postgres_cpu_s(), int(float(row[0])), int(row[1])

    def since(self, before, units):
        if before is None:
            return ""
        cpu, wal, size = (b - a for a, b in zip(before, self.sample()))
        return " [PostgreSQL: %.0f us CPU, %.0f WAL bytes, %.0f database bytes per %s]" % (
            cpu / units * 1e6, wal / units, size / units, "point" if units > 100000 else "request")


def columnar_ingest(port):
    bodies = []
    for r in range(REQUESTS):
        first = r * POINTS_PER_REQUEST
        steps = list(range(first, first + POINTS_PER_REQUEST))
        bodies.append(json.dumps({"run": "big", "scalars": [{"tag": "loss", "steps": steps,
                                                             "values": [s * 1e-6 for s in steps]}]}))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.monotonic()
    for body in bodies:
        post_write(conn, body)
    return REQUESTS * POINTS_PER_REQUEST / (time.monotonic() - started)


def reduced_query_ms(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    times = []
    for _ in range(7):
        started = time.monotonic()
        conn.request("GET", "/api/v1/scalars?run=big&tag=loss&points=1000")
        resp = conn.getresponse()
        body = resp.read()
        times.append((time.monotonic() - started) * 1000)
        if resp.status != 200 or json.loads(body)["series"][0]["total"] != REQUESTS * POINTS_PER_REQUEST:
            sys.exit("reduced query failed: %d" % resp.status)
    return sorted(times)[len(times) // 2]


def loadgen(binary, port, seconds, run):
    return subprocess.Popen([binary, "--port", str(port), "--seconds", str(seconds), "--connections", "4",
                             "--run", run], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def requests_per_s(proc):
    out, err = proc.communicate(timeout=120)
    if proc.returncode != 0:
        sys.exit("loadgen failed: %s %s" % (out, err))
    line = out.strip()
    requests = int(line.split(": ", 1)[1].split(" ", 1)[0])
    return requests, line


def one_backend(name, vizd, db, args):
    port = free_port()
    proc = start_vizd(vizd, db, port)
    cost = PostgresCost(db if db.startswith("postgresql://") else None)
    try:
        before = cost.sample()
        ingest = columnar_ingest(port)
        ingest_cost = cost.since(before, REQUESTS * POINTS_PER_REQUEST)
        query = reduced_query_ms(port)
        before = cost.sample()
        requests, line = requests_per_s(loadgen(args.loadgen, port, args.seconds, "one"))
        one_point_cost = cost.since(before, requests)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    print("%s: columnar ingest %.0f points/s%s" % (name, ingest, ingest_cost))
    print("%s: 1M-point reduced query (points=1000) %.1f ms" % (name, query))
    print("%s: %s%s" % (name, line, one_point_cost))


def replicas(vizd, url, n, args):
    procs = []
    try:
        ports = []
        for _ in range(n):
            ports.append(free_port())
            procs.append(start_vizd(vizd, url, ports[-1]))
        loads = [loadgen(args.loadgen, port, args.seconds, "replica%d" % i) for i, port in enumerate(ports)]
        results = [requests_per_s(p) for p in loads]
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=60)
    total = sum(r for r, _ in results) / args.seconds
    print("postgresql, %d replica%s: %7.0f one-point requests/s in all (%s)"
          % (n, "" if n == 1 else "s", total, "; ".join("%.0f/s" % (r / args.seconds) for r, _ in results)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vizd", default="build/vizd")
    parser.add_argument("--loadgen", default="build/loadgen")
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    print(machine_line())
    with tempfile.TemporaryDirectory() as tmp, pgcluster.Cluster(is_durable=True) as cluster:
        one_backend("sqlite", args.vizd, os.path.join(tmp, "bench.sqlite"), args)
        one_backend("postgresql", args.vizd, cluster.create_database(), args)
        for n in (1, 2, 3):
            replicas(args.vizd, cluster.create_database(), n, args)


if __name__ == "__main__":
    main()
