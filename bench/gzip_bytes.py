#!/usr/bin/env python3
"""gzip_bytes.py -- bytes on the wire for the Histograms and Scalars answers, identity vs gzip.

    python3 bench/gzip_bytes.py [build/vizd]

Starts vizd on a fresh database on a free loopback port and writes a typical run set: 4 runs, each with
4 histogram tags of 100 steps (10,000 normal samples per step) and 4 scalar tags of 20,000 steps. Then
asks for what the dashboard asks (every histogram tag for all runs; every scalar tag at points=1000, and
one points=0 CSV export), once without and once with Accept-Encoding: gzip, and prints the bytes.
"""
import gzip
import http.client
import json
import random
import subprocess
import sys
import tempfile
import time
import urllib.parse
from benchlib import free_port

RUNS = ["run%d" % i for i in range(4)]


def request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    assert resp.status == 200, (path, resp.status, data[:200])
    return resp, data


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/vizd"
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = subprocess.Popen([binary, "--db", tmp + "/runs.sqlite", "--port", str(port), "--host", "127.0.0.1"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    request(port, "GET", "/healthz")
                    break
                except OSError:
                    time.sleep(0.05)
            rng = random.Random(1)
            for r, run in enumerate(RUNS):
                steps = list(range(20000))
                scalars = [{"tag": "loss/%d" % t, "steps": steps,
                            "values": [1 / (1 + s / 1000) + rng.gauss(0, 0.01) for s in steps]} for t in range(4)]
                request(port, "POST", "/api/v1/write", json.dumps({"run": run, "scalars": scalars}),
                        {"Content-Type": "application/json"})
                for t in range(4):
                    hist = [{"tag": "layer%d/weights" % t, "step": s,
                             "values": [rng.gauss(s / 100, 1 + r / 4) for _ in range(10000)]} for s in range(100)]
                    request(port, "POST", "/api/v1/write", json.dumps({"run": run, "histograms": hist}),
                            {"Content-Type": "application/json"})
            runs = "".join("&run=" + run for run in RUNS)
            queries = [("Histograms tab (4 tags x 4 runs)",
                        ["/api/v1/histograms?tag=%s%s" % (urllib.parse.quote("layer%d/weights" % t), runs) for t in range(4)]),
                       ("Scalars tab (4 tags x 4 runs, points=1000)",
                        ["/api/v1/scalars?tag=%s%s" % (urllib.parse.quote("loss/%d" % t), runs) for t in range(4)]),
                       ("Scalars CSV export (1 tag x 4 runs, points=0)",
                        ["/api/v1/scalars?tag=loss%%2F0%s&points=0&format=csv" % runs])]
            print("| Answers | identity bytes | gzip bytes | ratio |")
            print("| --- | --- | --- | --- |")
            for name, paths in queries:
                plain = packed = 0
                for path in paths:
                    _, body = request(port, "GET", path)
                    resp, gz = request(port, "GET", path, headers={"Accept-Encoding": "gzip"})
                    assert resp.getheader("Content-Encoding") == "gzip" and gzip.decompress(gz) == body
                    plain += len(body)
                    packed += len(gz)
                print("| %s | %s | %s | %.1fx |" % (name, format(plain, ","), format(packed, ","), plain / packed))
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
