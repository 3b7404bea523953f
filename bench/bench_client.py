#!/usr/bin/env python3
"""bench_client.py -- what logging costs a training loop with the Python client, whether vizd is up or not.

    python3 bench/bench_client.py [--vizd build/vizd] [--calls 200000] [--sync-points 1000000]

Starts vizd on a fresh database in a temporary directory and a free loopback port, then measures, each
case three times, the cases taking turns (the figure printed is the median, with the range):
  1. add_scalar per call, vizd up: a loop of --calls add_scalar calls (explicit steps), timed until the
     loop ends (the background thread's work competes for the GIL, so it counts);
  2. the same with vizd slow: every answer delayed 500 ms by a small stdlib proxy in front of vizd;
  3. the same with vizd down: nothing listens on the port, everything goes to the spool;
  4. the issue's mixed loop, up and down: 100,000 add_scalar + 100 add_histogram (250,000 values) + 10
     add_image (3x256x256 uint8), total time of the loop;
  5. `python -m vizd_client sync` replaying a spool of --sync-points scalar points (written by a writer
     that could not reach vizd) into vizd: wall time of the command.
Prints one line per figure. This is not a test: it asserts nothing, it measures.
"""
import argparse
import http.client
import http.server
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLIENT_DIR = os.path.join(REPO, "clients", "python")
sys.path.insert(0, CLIENT_DIR)

from vizd_client import SummaryWriter, VizdWarning  # noqa: E402
from benchlib import free_port, start_vizd  # noqa: E402

SLOW_ANSWER_S = 0.5


class SlowProxy(http.server.ThreadingHTTPServer):
    """Forwards every request to vizd and answers SLOW_ANSWER_S later."""

    daemon_threads = True

    def __init__(self, target_port):
        self.target_port = target_port
        super().__init__(("127.0.0.1", 0), SlowHandler)


class SlowHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(SLOW_ANSWER_S)
        conn = http.client.HTTPConnection("127.0.0.1", self.server.target_port, timeout=60)
        conn.request("POST", self.path, body=body, headers={k: v for k, v in self.headers.items()})
        answer = conn.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.getheader("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def scalar_loop(url, spool_dir, run, calls):
    """Seconds per add_scalar call over `calls` calls."""
    writer = SummaryWriter(run, url=url, spool_dir=spool_dir, close_timeout_s=0, retries=0)
    started = time.perf_counter()
    for step in range(calls):
        writer.add_scalar("loss", step * 0.001, step)
    elapsed = time.perf_counter() - started
    writer.close()
    return elapsed / calls


def mixed_loop(url, spool_dir, run):
    """Seconds for 100,000 add_scalar + 100 add_histogram + 10 add_image."""
    import numpy as np
    values = np.random.default_rng(0).normal(size=250000)
    image = (np.random.default_rng(1).random((3, 256, 256)) * 255).astype(np.uint8)
    writer = SummaryWriter(run, url=url, spool_dir=spool_dir, close_timeout_s=0, retries=0)
    started = time.perf_counter()
    for step in range(100000):
        writer.add_scalar("loss", step * 0.001, step)
        if step % 1000 == 0:
            writer.add_histogram("w", values, step)
        if step % 10000 == 0:
            writer.add_image("img", image, step)
    elapsed = time.perf_counter() - started
    writer.close()
    return elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vizd", default=os.path.join(REPO, "build", "vizd"))
    parser.add_argument("--calls", type=int, default=200000)
    parser.add_argument("--sync-points", type=int, default=1000000)
    args = parser.parse_args()
    warnings.simplefilter("ignore", VizdWarning)
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        vizd = start_vizd(args.vizd, os.path.join(tmp, "bench.sqlite"), port)
        proxy = SlowProxy(port)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        up = "http://127.0.0.1:%d" % port
        slow = "http://127.0.0.1:%d" % proxy.server_address[1]
        down = "http://127.0.0.1:%d" % free_port()
        try:
            # The cases take turns, so that the machine's load drifting over the minute hits each alike.
            cases = (("up", up), ("slow (500 ms answers)", slow), ("down", down))
            runs = {name: [] for name, _ in cases}
            for i in range(3):
                for name, url in cases:
                    short = name.split()[0]
                    runs[name].append(scalar_loop(url, os.path.join(tmp, "spool-" + short), "scalar-%s-%d" % (short, i),
                                                  args.calls))
            figures = {}
            for name, _ in cases:
                figures[name] = statistics.median(runs[name])
                print("add_scalar, vizd %s: %.2f us per call (%.2f - %.2f, %d calls, median of 3)"
                      % (name, figures[name] * 1e6, min(runs[name]) * 1e6, max(runs[name]) * 1e6, args.calls))
            print("add_scalar down / up: %.2fx; slow / up: %.2fx"
                  % (figures["down"] / figures["up"], figures["slow (500 ms answers)"] / figures["up"]))
            mixed = {"up": [], "down": []}
            for i in range(3):
                for name, url in (("up", up), ("down", down)):
                    mixed[name].append(mixed_loop(url, os.path.join(tmp, "spool-mixed-" + name), "mixed-%s-%d" % (name, i)))
            for name in ("up", "down"):
                print("100,000 add_scalar + 100 add_histogram + 10 add_image, vizd %s: %.2f s (%.2f - %.2f, median of 3)"
                      % (name, statistics.median(mixed[name]), min(mixed[name]), max(mixed[name])))
            print("mixed loop down / up: %.2fx" % (statistics.median(mixed["down"]) / statistics.median(mixed["up"])))

            spool = os.path.join(tmp, "spool-sync")
            writer = SummaryWriter("sync", url=down, spool_dir=spool, close_timeout_s=0, retries=0)
            for step in range(args.sync_points):
                writer.add_scalar("loss", step * 0.001, step)
            writer.close()
            size = sum(os.path.getsize(os.path.join(spool, f)) for f in os.listdir(spool))
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "vizd_client", "sync", "--url", up, spool],
                                  env=dict(os.environ, PYTHONPATH=CLIENT_DIR), capture_output=True, text=True)
            elapsed = time.perf_counter() - started
            last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
            print("sync of %d spooled points (%.1f MB spool): %.2f s = %.0f points/s, exit %d (%s)"
                  % (args.sync_points, size / 1e6, elapsed, args.sync_points / elapsed, done.returncode, last))
        finally:
            proxy.shutdown()
            vizd.terminate()
            vizd.wait()


if __name__ == "__main__":
    main()
