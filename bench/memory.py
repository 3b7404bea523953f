#!/usr/bin/env python3
"""memory.py -- vizd's memory around big requests, and how small requests fare beside big ones (issue 9).

    python3 bench/memory.py [--vizd build/vizd]

Starts vizd on a fresh database in a temporary directory and a free 127.0.0.1 port, then:
  1. posts the largest writes vizd accepts of each kind and reads the largest answer, printing for each
     the peak resident memory during the request (VmHWM, reset before it through /proc/PID/clear_refs)
     and the resident memory a moment after (VmRSS, and its anonymous part: the heap, not the mapped
     database file);
  2. runs 8 clients posting writes of 200,000 distinct tags while one client times 100 one-point writes
     and another 100 /healthz requests, printing their p50 and p99.
Bodies are encoded before the clock starts. Bounded in count and time, loopback only. This is not a test:
it asserts nothing, it measures.
"""
import argparse
import http.client
import json
import os
import tempfile
import threading
import time
from benchlib import free_port, memory_mb, start_vizd


def request(port, method, path, body=None, content_type="application/json"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request(method, path, body=body, headers={"Content-Type": content_type} if body is not None else {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def measured(proc, port, label, method, path, body=None, content_type="application/json"):
    with open("/proc/%d/clear_refs" % proc.pid, "w") as f:
        f.write("5")  # VmHWM := VmRSS
    status, data = request(port, method, path, body, content_type)
    time.sleep(0.5)
    after = memory_mb(proc.pid)
    size = len(body) if body is not None else len(data)
    print("%-58s %5.1f MB  HTTP %d  peak %5.0f MB  after %4.0f MB (heap %4.0f MB)"
          % (label, size / 1e6, status, after["VmHWM"], after["VmRSS"], after["RssAnon"]))


def columnar(run, n):
    return json.dumps({"run": run, "scalars": [{"tag": "loss", "steps": list(range(n)),
                                                "values": [i * 0.001 for i in range(n)],
                                                "wall_times": [1764000000.5 + i for i in range(n)]}]}).encode()


def bench_memory(proc, port):
    m = memory_mb(proc.pid)
    print("at start: %.0f MB resident (heap %.0f MB)" % (m["VmRSS"], m["RssAnon"]))
    measured(proc, port, "write: 600,000 points, columnar", "POST", "/api/v1/write", columnar("a", 600_000))
    measured(proc, port, "write: 1,000,000 points (the most per write), columnar", "POST", "/api/v1/write",
             columnar("b", 1_000_000))
    values = json.dumps({"run": "h", "histograms": [{"tag": "json", "step": 0,
                                                     "values": [float(i % 1000) for i in range(4_000_000)]}]})
    measured(proc, port, "write: one histogram of 4,000,000 raw values, JSON", "POST", "/api/v1/write",
             values.encode())
    raw = b"\0\0\x80\x3f" * (16 * 1024 * 1024 - 16)  # float32 1.0, just under the 64 MiB body limit
    measured(proc, port, "raw histogram upload: 16.7 M float32 values (64 MiB)", "POST",
             "/api/v1/histograms?run=h&tag=raw&step=0", raw, "application/octet-stream")
    measured(proc, port, "read: points=0 of 1,000,000 points", "GET", "/api/v1/scalars?run=b&tag=loss&points=0")
    measured(proc, port, "read: CSV export of 1,600,000 points in two runs", "GET",
             "/api/v1/scalars?run=a&run=b&tag=loss&points=0&format=csv")


def percentile(samples, q):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_big_and_small(port):
    big = json.dumps({"run": "big", "scalars": [{"tag": "t%06d" % i, "value": 1.0}
                                                for i in range(200_000)]}).encode()
    small_bodies = [json.dumps({"run": "small", "scalars": [{"tag": "x", "value": i}]}).encode() for i in range(100)]
    stop = threading.Event()
    big_count = [0]

    def big_writer():
        while not stop.is_set():
            request(port, "POST", "/api/v1/write", big)
            big_count[0] += 1

    def small(kind, out):
        for body in small_bodies:
            started = time.monotonic()
            if kind == "write":
                request(port, "POST", "/api/v1/write", body)
            else:
                request(port, "GET", "/healthz")
            out.append(time.monotonic() - started)
            time.sleep(0.02)

    writers = [threading.Thread(target=big_writer) for _ in range(8)]
    for t in writers:
        t.start()
    time.sleep(1.0)
    writes, health = [], []
    smalls = [threading.Thread(target=small, args=("write", writes)), threading.Thread(target=small, args=("h", health))]
    for t in smalls:
        t.start()
    for t in smalls:
        t.join()
    stop.set()
    for t in writers:
        t.join()
    print("8 clients posting %.1f MB writes of 200,000 distinct tags (%d posted): one-point write p50 %.1f ms, "
          "p99 %.1f ms; /healthz p50 %.1f ms, p99 %.1f ms"
          % (len(big) / 1e6, big_count[0], percentile(writes, 0.5) * 1e3, percentile(writes, 0.99) * 1e3,
             percentile(health, 0.5) * 1e3, percentile(health, 0.99) * 1e3))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vizd", default="build/vizd")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = start_vizd(args.vizd, os.path.join(tmp, "memory.sqlite"), port)
        try:
            bench_memory(proc, port)
            bench_big_and_small(port)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
