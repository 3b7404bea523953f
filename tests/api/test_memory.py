"""test_memory.py -- memory on the request paths (issue 9): large answers stream in constant memory, and
a client that goes away stops the work.

Memory is read from /proc for the daemon's process: RssAnon (resident anonymous memory: the heap, not the
database file, which readers map and which counts in VmRSS too), sampled every few milliseconds while the
request runs, so its peak covers the request under test.
"""

import http.client
import json
import os
import resource
import socket
import subprocess
import threading
import time

import pytest

from harness import daemon_env, free_port, vizd_binary


def anon_rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no RssAnon in /proc/%d/status" % pid)


class PeakSampler:
    """The largest RssAnon of pid seen while the with-block runs."""

    def __init__(self, pid):
        self.pid = pid
        self.before = self.peak = anon_rss(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, anon_rss(self.pid))
            time.sleep(0.003)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, anon_rss(self.pid))

    @property
    def growth(self):
        return self.peak - self.before


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def write_long_series(client, run, n, tag="loss"):
    client.write_ok({"run": run, "scalars": [{"tag": tag, "steps": list(range(n)),
                                              "values": list(range(n)),
                                              "wall_times": [1764000000.5] * n}]})


def raw_get(port, path, read_bytes=None):
    """GET over a plain socket; with read_bytes, close after that many bytes (a client that goes away)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n" % (path, port)).encode())
    received = 0
    while read_bytes is None or received < read_bytes:
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += len(chunk)
    sock.close()
    return received


@pytest.mark.slow
def test_every_point_of_long_series_streams_in_constant_memory(vizd):
    client = vizd.client
    n = 1_000_000
    for run in ("a", "b", "c"):
        write_long_series(client, run, n)
    time.sleep(0.5)  # let the idle checkpoint run, so the read is not measured against WAL growth
    with PeakSampler(vizd.proc.pid) as memory:
        resp = client.get("/api/v1/scalars", params=[("tag", "loss"), ("run", "a"), ("run", "b"), ("run", "c"),
                                                     ("points", "0")])
    assert resp.status == 200, resp
    answer_bytes = len(resp.body)
    peak_growth = memory.growth
    doc = json.loads(resp.body)
    assert [s["run"] for s in doc["series"]] == ["a", "b", "c"]
    for series in doc["series"]:
        assert series["total"] == n and series["sampled"] is False and len(series["points"]) == n
        assert series["points"][0] == [0, 1764000000.5, 0] and series["points"][-1][0] == n - 1
    assert answer_bytes > 60_000_000, answer_bytes
    # Built whole, the answer alone would take answer_bytes; streamed, a few blocks and buffers do.
    assert peak_growth < 24 << 20, "peak RSS grew %.1f MB for a %.1f MB answer" % (
        peak_growth / 1e6, answer_bytes / 1e6)


def test_csv_export_streams_every_point_and_a_missing_run_is_still_a_404(client):
    write_long_series(client, "a", 5000)
    resp = client.get("/api/v1/scalars", params={"tag": "loss", "run": "a", "points": "0", "format": "csv"})
    assert resp.status == 200 and resp.content_type.startswith("text/csv"), resp
    lines = resp.body.decode().splitlines()
    assert lines[0] == "run,step,wall_time,value" and len(lines) == 5001
    assert lines[1] == "a,0,1764000000.5,0" and lines[-1] == "a,4999,1764000000.5,4999"
    missing = client.get("/api/v1/scalars", params=[("tag", "loss"), ("run", "a"), ("run", "nope"),
                                                    ("points", "0")])
    assert missing.status == 404 and missing.json["error"]["path"] == "run", missing


@pytest.mark.slow
def test_a_client_that_goes_away_mid_answer_stops_the_work(vizd):
    client = vizd.client
    n = 1_000_000
    for run in ("a", "b", "c"):
        write_long_series(client, run, n)
    pid = vizd.proc.pid
    path = "/api/v1/scalars?tag=loss&run=a&run=b&run=c&points=0&format=csv"
    started = cpu_seconds(pid)
    whole = raw_get(vizd.port, path)
    whole_cpu = cpu_seconds(pid) - started
    assert whole > 60_000_000, whole

    # Built whole before the first byte (as answers were), the partial read would cost the whole answer's
    # CPU; streamed, it costs what was sent, and nothing more once the client is gone.
    started = cpu_seconds(pid)
    raw_get(vizd.port, path, read_bytes=256 * 1024)
    time.sleep(1.0)  # the daemon notices the closed connection; any work it kept doing shows up here
    partial_cpu = cpu_seconds(pid) - started
    assert partial_cpu < whole_cpu / 4, (
        "reading 256 KB and leaving cost %.2f s of CPU; the whole %.0f MB answer costs %.2f s"
        % (partial_cpu, whole / 1e6, whole_cpu))
    assert client.get("/healthz").status == 200


@pytest.mark.slow
def test_the_runs_listing_streams_one_run_at_a_time(vizd):
    """Every run may carry 64 KiB of description and 64 KiB of hparams: 400 of them make a 52 MB answer."""
    client = vizd.client
    description = "d" * 65536
    hparams = {"note": "n" * (65536 - len('{"note":""}'))}
    for i in range(400):
        client.write_ok({"run": "run%03d" % i, "description": description, "hparams": hparams,
                         "scalars": [{"tag": "t", "value": i}]})
    time.sleep(0.5)
    with PeakSampler(vizd.proc.pid) as memory:
        resp = client.get("/api/v1/runs")
    assert resp.status == 200, resp
    runs = resp.json["runs"]
    assert [r["name"] for r in runs] == ["run%03d" % i for i in range(400)]
    assert all(r["hparams"] == hparams and r["description"] == description and r["counts"]["scalars"] == 1
               and r["counts"]["graph"] == 0 for r in runs)
    assert len(resp.body) > 50_000_000
    assert memory.growth < 16 << 20, "peak heap grew %.1f MB for a %.1f MB answer" % (
        memory.growth / 1e6, len(resp.body) / 1e6)


def test_a_write_too_large_for_the_memory_left_is_a_503_and_vizd_keeps_serving(tmp_path):
    """Under an address-space limit (as in the issue: the 11th large request aborted vizd), a valid write
    whose parsed form does not fit is answered 503 out_of_memory; nothing of it is stored, and the next
    requests are served."""
    binary = vizd_binary()
    if "asan" in os.path.basename(os.path.dirname(os.path.abspath(binary))):
        pytest.skip("AddressSanitizer reserves terabytes of address space; an address-space limit cannot apply")
    limit = 1100 << 20

    def limit_address_space():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    port = free_port()
    proc = subprocess.Popen([binary, "--db", str(tmp_path / "db.sqlite"), "--port", str(port)],
                            preexec_fn=limit_address_space, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=daemon_env())

    def request(method, path, body=None):
        for _ in range(250):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                return resp.status, json.loads(resp.read() or b"null") if path != "/healthz" else None
            except ConnectionRefusedError:
                time.sleep(0.02)
        raise AssertionError("vizd did not answer")

    try:
        assert request("GET", "/healthz")[0] == 200
        n = 1_000_000  # row form: the parsed tree takes about 20 times the 62 MB body
        body = json.dumps({"run": "big", "scalars": [{"tag": "t", "step": i, "value": 1.0, "wall_time": 1.5}
                                                     for i in range(n)]}).encode()
        status, answer = request("POST", "/api/v1/write", body)
        assert status == 503 and answer["error"]["code"] == "out_of_memory", (status, answer)
        assert request("GET", "/healthz")[0] == 200
        status, answer = request("POST", "/api/v1/write", json.dumps({"run": "small", "scalars": [
            {"tag": "t", "value": 1}]}).encode())
        assert status == 200, answer
        status, answer = request("GET", "/api/v1/runs")
        assert [run["name"] for run in answer["runs"]] == ["small"]
        assert proc.poll() is None
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr.decode()
