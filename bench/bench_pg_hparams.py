#!/usr/bin/env python3
"""bench_pg_hparams.py -- GET /api/v1/hparams?tag=acc&tag=loss on the PostgreSQL store, with long series.

    python3 tests/api/pgcluster.py run -- python3 bench/bench_pg_hparams.py [--vizd build/vizd [--vizd OTHER]]
                                                                            [--runs 50] [--steps 100000]

Needs VIZD_PG_URL (pgcluster.py sets it: a throwaway cluster). Creates a database, posts RUNS runs of one
hparam and two scalar tags of STEPS steps each through one vizd, then for each binary given (alternating,
twice) starts vizd on that database and times the HParams tab's request five times on one keep-alive
connection: the lowest and highest value of each tag of each run. Prints the median and range, the bytes
and a hash of the answer (binaries that agree print the same hash). It measures, it asserts nothing.
"""
import argparse
import hashlib
import json
import os
import random
import subprocess
import sys

from benchlib import Server, free_port, post_write, start_vizd


def psql(url, sql):
    subprocess.run(["psql", url, "-qc", sql], check=True, capture_output=True)


def start(binary, db):
    port = free_port()
    return start_vizd(binary, db, port), Server(port)


def fill(binary, db, runs, steps):
    proc, server = start(binary, db)
    try:
        rng = random.Random(1)
        for r in range(runs):
            values = [rng.random() for _ in range(steps)]
            post_write(server.conn, json.dumps({"run": "run%03d" % r, "hparams": {"lr": 0.001 * (r + 1)}, "scalars": [
                {"tag": "acc", "steps": list(range(steps)), "values": values},
                {"tag": "loss", "steps": list(range(steps)), "values": values[::-1]}]}))
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def time_hparams(binary, db):
    """Seconds of the 5 requests, sorted, and the last answer."""
    proc, server = start(binary, db)
    try:
        times = []
        for _ in range(5):
            status, body, seconds = server.request("GET", "/api/v1/hparams?tag=acc&tag=loss")
            if status != 200:
                sys.exit("hparams: %d %s" % (status, body[:200]))
            times.append(seconds)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return sorted(times), body


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vizd", action="append")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--steps", type=int, default=100000)
    args = parser.parse_args()
    binaries = args.vizd or ["build/vizd"]
    url = os.environ.get("VIZD_PG_URL")
    if not url:
        sys.exit("VIZD_PG_URL is not set: run this under tests/api/pgcluster.py run --")
    psql(url, "DROP DATABASE IF EXISTS bench_hparams")
    psql(url, "CREATE DATABASE bench_hparams")
    db = url.rsplit("/", 1)[0] + "/bench_hparams"
    fill(binaries[0], db, args.runs, args.steps)
    for binary in binaries * 2:
        times, body = time_hparams(binary, db)
        print("%s: GET /api/v1/hparams?tag=acc&tag=loss, %d runs x 2 tags x %d steps: median %.1f ms "
              "(%.1f - %.1f), %d bytes, sha1 %s" % (binary, args.runs, args.steps, times[2] * 1e3, times[0] * 1e3,
                                                    times[-1] * 1e3, len(body), hashlib.sha1(body).hexdigest()[:12]))


if __name__ == "__main__":
    main()
