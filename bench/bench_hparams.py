#!/usr/bin/env python3
"""bench_hparams.py -- GET /api/v1/hparams with many runs: what the HParams tab asks on load (issue 11).

    python3 bench/bench_hparams.py [--vizd build/vizd] [--runs 1000] [--steps 5000] [--repeats 3]

Starts vizd on a fresh database (loopback, a free port) and posts RUNS runs, each with four hparams (one
of them text), add_hparams' metric list ["acc", "loss"] and the scalar tags "acc" and "loss" of STEPS steps
(one columnar write per run, encoded before the clock; 5,000 steps are 5 stored blocks per series). Then
times, on one keep-alive connection, identity encoding, the body read whole:
  - GET /api/v1/hparams                 (the default metric tags: acc and loss, last/min/max of each)
  - GET /api/v1/hparams?tag=acc         (one tag)
  - for comparison, what the same numbers cost read from the points: GET /api/v1/scalars?tag=acc&points=0
    for every run, 256 runs a request (what a dashboard without the summaries would have to fetch).
Each request runs 5 times per repeat (the points read once); a repeat's figure is the median of its 5;
printed: the median of the repeats' figures and their range, right after the writes and again after a
restart (which checkpoints the WAL). It measures, it asserts nothing.
"""
import argparse
import json
import math
import os
import tempfile
import time
import urllib.parse

from benchlib import Server, Timed, free_port, post_write, start_vizd


def body_for(i, steps):
    acc = [round(0.5 + 0.4 * (1 - math.exp(-s / (200 + i))) + 0.01 * math.sin(s * 0.37 + i), 6) for s in range(steps)]
    loss = [round(2.3 * math.exp(-s / (300 + i)) + 0.02 * math.cos(s * 0.11 + i), 6) for s in range(steps)]
    return json.dumps({"run": "sweep/%04d" % i,
                       "hparams": {"lr": 10 ** (-4 + (i % 13) / 4), "batch": 2 ** (4 + i % 5), "dropout": (i % 7) / 10,
                                   "optimizer": ["sgd", "adam", "adamw"][i % 3], "metrics": ["acc", "loss"]},
                       "scalars": [{"tag": "acc", "steps": list(range(steps)), "values": acc},
                                   {"tag": "loss", "steps": list(range(steps)), "values": loss}]}).encode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vizd", default="build/vizd")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = start_vizd(args.vizd, os.path.join(tmp, "hparams.sqlite"), port)
        try:
            server = Server(port)
            bodies = [body_for(i, args.steps) for i in range(args.runs)]
            start = time.monotonic()
            for body in bodies:
                post_write(server.conn, body)
            print("%d runs x 2 tags x %d steps: %s points posted in %.1f s"
                  % (args.runs, args.steps, format(args.runs * 2 * args.steps, ","), time.monotonic() - start))
            measure(server, args, "right after the writes")
            # A restart checkpoints the WAL, as a dashboard opened later on finds the database.
            proc.terminate()
            proc.wait()
            proc = start_vizd(args.vizd, os.path.join(tmp, "hparams.sqlite"), port)
            measure(Server(port), args, "after a restart")
        finally:
            proc.terminate()
            proc.wait()


def measure(server, args, when):
    default, one = Timed(), Timed()
    scan = []
    runs = ["sweep/%04d" % i for i in range(args.runs)]
    for _ in range(args.repeats):
        default.run(server, "GET", "/api/v1/hparams")
        one.run(server, "GET", "/api/v1/hparams?tag=acc")
        began = time.perf_counter()
        for first in range(0, len(runs), 256):
            query = urllib.parse.urlencode([("tag", "acc"), ("points", "0")] + [("run", r) for r in runs[first:first + 256]])
            status, data, _ = server.request("GET", "/api/v1/scalars?" + query)
            if status != 200:
                raise SystemExit("scalars: HTTP %d" % status)
        scan.append(time.perf_counter() - began)
    answer = json.loads(default.body)
    assert len(answer["runs"]) == args.runs and answer["metrics"] == ["acc", "loss"]
    print("%s:" % when)
    print("  GET /api/v1/hparams (acc and loss, %d runs): %s, %s bytes"
          % (args.runs, default.text(), format(len(default.body), ",")))
    print("  GET /api/v1/hparams?tag=acc: %s, %s bytes" % (one.text(), format(len(one.body), ",")))
    print("  the same from the points (tag=acc&points=0, 256 runs a request): %s" % Timed.summary(scan))


if __name__ == "__main__":
    main()
