"""bench_read.py -- the read path on long series: reduced queries (points=1000) over 5 M, 10 M and (with
--big) 100 M points, zooms into the first and last 1%, and streamed exports (CSV of 1 M points, JSON of
10 M) with vizd's resident memory before and after.

    python3 bench/bench_read.py [--binary build/vizd] [--big] [--dir DIR] [--repeats 20]

Each series is written once into its own database in DIR (default: a temporary directory) by columnar
POSTs of 1 M points (the values string is encoded once and reused, so the client keeps up), unless DIR
already holds it from an earlier run: pass --dir to keep the 2.4 GB of the 100 M-point database between
runs. Every figure is the median of --repeats queries after one warm-up query, measured on a client on
the same machine, to the last byte of the answer."""

import argparse
import http.client
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from benchlib import cpu_seconds, free_port, memory_mb, post_write, start_vizd

CHUNK = 1_000_000


def values_text(seed):
    """1 M values as JSON text: a noisy decaying curve with a few spikes, as a loss curve looks."""
    rng = random.Random(seed)
    values = [math.exp(-i / 300_000) + rng.gauss(0, 0.05) for i in range(CHUNK)]
    for _ in range(5):
        values[rng.randrange(CHUNK)] = rng.choice([1e3, -1e3])
    return ",".join(repr(v) for v in values)


def generate(port, run, points, values):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.monotonic()
    for first in range(0, points, CHUNK):
        n = min(CHUNK, points - first)
        steps = ",".join(map(str, range(first, first + n)))
        vals = values if n == CHUNK else ",".join(values.split(",")[:n])
        post_write(conn, f'{{"run":"{run}","scalars":[{{"tag":"loss","steps":[{steps}],"values":[{vals}]}}]}}'.encode())
    conn.close()
    return time.monotonic() - started


def timed_get(port, path):
    """Seconds to the last byte, and the body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.monotonic()
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    elapsed = time.monotonic() - started
    conn.close()
    if resp.status != 200:
        sys.exit(f"GET {path}: {resp.status} {body[:200]!r}")
    return elapsed, body


def median_ms(port, path, repeats, pid):
    """The median wall time of repeats queries, and vizd's mean CPU time per query (which other load on the
    machine disturbs far less), in ms."""
    timed_get(port, path)  # warm-up: pages into the cache, statements prepared
    cpu_before = cpu_seconds(pid)
    wall = statistics.median(timed_get(port, path)[0] for _ in range(repeats)) * 1000
    return wall, (cpu_seconds(pid) - cpu_before) / repeats * 1000


def fmt(figures):
    return f"{figures[0]:6.1f} ms (CPU {figures[1]:5.1f} ms)"


def anon_mb(pid):
    """vizd's resident anonymous memory (its heap; the database file it maps is not counted)."""
    return memory_mb(pid).get("RssAnon", 0.0)


def export(port, pid, path):
    """Fetch path with curl (a client that keeps up) into /dev/null: wall seconds, vizd's CPU seconds,
    bytes, and vizd's anonymous memory before and at its peak (sampled every 5 ms)."""
    before = peak = anon_mb(pid)
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, anon_mb(pid))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    cpu_before = cpu_seconds(pid)
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{time_total} %{size_download} %{http_code}",
                          f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(pid) - cpu_before
    done.set()
    sampler.join()
    seconds, size, status = out.split()
    if status != "200":
        sys.exit(f"GET {path}: {status}")
    return float(seconds), cpu, int(size), before, max(peak, anon_mb(pid))


def database(directory, name, points, binary, values):
    """The path of a database holding run `name` with `points` points, generated if missing."""
    path = os.path.join(directory, f"{name}.sqlite")
    if os.path.exists(path):
        return path
    port = free_port()
    proc = start_vizd(binary, path + ".tmp", port)
    try:
        seconds = generate(port, name, points, values)
    finally:
        proc.terminate()
        proc.wait()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + ".tmp" + suffix):
            os.rename(path + ".tmp" + suffix, path + suffix)
    print(f"generated {points:,} points in {seconds:.1f} s ({points / seconds / 1e6:.2f} M points/s), "
          f"{os.path.getsize(path) / 1e9:.2f} GB", flush=True)
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="build/vizd")
    ap.add_argument("--big", action="store_true", help="also 100 M points (~2.5 GB, a few minutes to write)")
    ap.add_argument("--dir")
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--only", help="just these sizes in M points, e.g. 5,100")
    args = ap.parse_args()
    directory = args.dir or tempfile.mkdtemp(prefix="vizd-bench-read-")
    os.makedirs(directory, exist_ok=True)
    values = values_text(1)
    print(f"load average before: {os.getloadavg()[0]:.1f} (2 cores shared with other work)", flush=True)
    sizes = [5_000_000, 10_000_000] + ([100_000_000] if args.big else [])
    if args.only:
        sizes = [int(m) * 1_000_000 for m in args.only.split(",")]
    try:
        for points in sizes:
            name = f"s{points // 1_000_000}m"
            path = database(directory, name, points, args.binary, values)
            port = free_port()
            proc = start_vizd(args.binary, path, port)
            try:
                q = f"/api/v1/scalars?tag=loss&run={name}&points=1000"
                whole = median_ms(port, q, args.repeats, proc.pid)
                first = median_ms(port, f"{q}&start=0&end={points // 100 - 1}", args.repeats, proc.pid)
                last = median_ms(port, f"{q}&start={points - points // 100}&end={points - 1}", args.repeats, proc.pid)
                _, body = timed_get(port, q)
                answer = json.loads(body)["series"][0]
                print(f"{points / 1e6:>5.0f} M points, points=1000: {fmt(whole)} "
                      f"({len(answer['points'])} points, total {answer['total']:,}); "
                      f"zoom first 1%: {fmt(first)}, last 1%: {fmt(last)}", flush=True)
                if points == 10_000_000:
                    for form, end in (("csv", 999_999), ("json", 999_999), ("csv", points - 1), ("json", points - 1)):
                        runs = [export(port, proc.pid, f"/api/v1/scalars?tag=loss&run={name}&points=0&start=0"
                                                       f"&end={end}&format={form}") for _ in range(3)]
                        seconds, cpu, size, before, peak = sorted(runs)[1]
                        print(f"   {form.upper()} export of {(end + 1) / 1e6:.0f} M points (median of 3, curl): "
                              f"{seconds * 1000:.0f} ms, vizd CPU {cpu * 1000:.0f} ms "
                              f"({(end + 1) / seconds / 1e6:.1f} M points/s wall, {(end + 1) / max(cpu, 1e-3) / 1e6:.1f} "
                              f"per CPU second), {size / 1e6:.0f} MB; vizd anonymous memory {before:.0f} MB before, "
                              f"{max(r[4] for r in runs):.0f} MB at most during", flush=True)
            finally:
                proc.terminate()
                proc.wait()
    finally:
        if not args.dir:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
