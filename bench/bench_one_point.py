#!/usr/bin/env python3
"""bench_one_point.py -- one-point write requests per second, measured with bench/loadgen.c.

    python3 bench/bench_one_point.py [--vizd build/vizd] [--loadgen build/loadgen] [--seconds 5] [--repeats 3]

A Python client cannot send 20,000 requests a second, so the load comes from build/loadgen (C, one thread,
4 keep-alive connections to 127.0.0.1, one request in flight on each, every request a new point of its
connection's own run). Each repeat starts vizd on a fresh database and a free loopback port, runs the
load for a bounded time, and prints loadgen's line (requests/s and latency percentiles) with the CPU time
vizd used per request (from /proc, so the figure holds even when other processes share the cores). A
/healthz line gives the HTTP layer's own ceiling on the same machine. It asserts nothing: it measures.
"""
import argparse
import os
import subprocess
import sys
import tempfile

from benchlib import cpu_seconds, free_port, start_vizd


def run(vizd, loadgen, seconds, extra):
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = start_vizd(vizd, os.path.join(tmp, "bench.sqlite"), port)
        try:
            before = cpu_seconds(proc.pid)
            out = subprocess.run([loadgen, "--port", str(port), "--seconds", str(seconds), *extra],
                                 capture_output=True, text=True, timeout=seconds + 60)
            used = cpu_seconds(proc.pid) - before
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    line = out.stdout.strip()
    if out.returncode != 0 or not line:
        sys.exit("loadgen failed: %s %s" % (line, out.stderr.strip()))
    requests = int(line.split(": ", 1)[1].split(" ", 1)[0])
    print("%s; vizd CPU %.0f us/request" % (line, used / max(requests, 1) * 1e6))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vizd", default="build/vizd")
    parser.add_argument("--loadgen", default="build/loadgen")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    for _ in range(args.repeats):
        run(args.vizd, args.loadgen, args.seconds, [])
    run(args.vizd, args.loadgen, args.seconds, ["--get", "--path", "/healthz"])


if __name__ == "__main__":
    main()
