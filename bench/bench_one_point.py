#!/usr/bin/env python3
"""bench_one_point.py -- one-point write requests per second, measured with bench/loadgen.c.

    python3 bench/bench_one_point.py [--vizd build/vizd [--vizd OTHER]] [--vizd-args "--threads 2"]
                                     [--loadgen build/loadgen] [--connections 4] [--seconds 5] [--repeats 3]

A Python client cannot send 20,000 requests a second, so the load comes from build/loadgen (C, one thread,
4 keep-alive connections to 127.0.0.1, one request in flight on each, every request a new point of its
connection's own run). Each repeat starts vizd on a fresh database and a free loopback port, runs the
load for a bounded time, and prints loadgen's line (requests/s and latency percentiles) with the CPU time
vizd used per request (from /proc, so the figure holds even when other processes share the cores), the
context switches of vizd's threads per request (each hand-off between threads costs one) and loadgen's
own CPU per request (it shares the cores). With --vizd given twice, the repeats alternate between the two
binaries, seconds apart: a before/after comparison on a machine whose load moves. A /healthz line gives
the HTTP layer's own ceiling on the same machine. It asserts nothing: it measures.
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile

from benchlib import cpu_seconds, free_port, start_vizd


def context_switches(pid):
    """Context switches (voluntary and not) of all of a process's threads so far, from each thread's
    /proc status: every hand-off of a request from one thread to another costs at least one."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                total += sum(int(line.split()[1]) for line in f if "ctxt_switches:" in line)
        except FileNotFoundError:  # the thread ended meanwhile
            pass
    return total


def children_cpu_seconds():
    """User + system CPU of the children waited for so far (loadgen, once subprocess.run returns)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(vizd, loadgen, seconds, extra, vizd_args=(), label=""):
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = start_vizd(vizd, os.path.join(tmp, "bench.sqlite"), port, vizd_args)
        try:
            before, switches_before, children_before = cpu_seconds(proc.pid), context_switches(proc.pid), \
                children_cpu_seconds()
            out = subprocess.run([loadgen, "--port", str(port), "--seconds", str(seconds), *extra],
                                 capture_output=True, text=True, timeout=seconds + 60)
            used = cpu_seconds(proc.pid) - before
            switches = context_switches(proc.pid) - switches_before
            loadgen_used = children_cpu_seconds() - children_before
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    line = out.stdout.strip()
    if out.returncode != 0 or not line:
        sys.exit("loadgen failed: %s %s" % (line, out.stderr.strip()))
    requests = int(line.split(": ", 1)[1].split(" ", 1)[0])
    per = max(requests, 1)
    print("%s%s; vizd CPU %.0f us/request, %.2f context switches/request; loadgen CPU %.0f us/request"
          % (label, line, used / per * 1e6, switches / per, loadgen_used / per * 1e6))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vizd", action="append", help="a vizd binary; given several times, the repeats take "
                        "turns between them (before/after comparisons on a shared machine)")
    parser.add_argument("--vizd-args", default="", help="more arguments for vizd, e.g. \"--threads 2\"")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--loadgen", default="build/loadgen")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    binaries = args.vizd or ["build/vizd"]
    vizd_args = args.vizd_args.split()
    connections = ["--connections", str(args.connections)]
    for _ in range(args.repeats):
        for vizd in binaries:
            run(vizd, args.loadgen, args.seconds, connections, vizd_args, vizd + ": " if len(binaries) > 1 else "")
    run(binaries[0], args.loadgen, args.seconds, connections + ["--get", "--path", "/healthz"], vizd_args)


if __name__ == "__main__":
    main()
