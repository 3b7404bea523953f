"""benchlib.py -- what every benchmark script needs to run a real vizd: a free loopback port, a vizd
started on a fresh database and answering /healthz before the first measurement, a checked POST of a
write, the machine's line for the figures, and timed requests on a keep-alive connection (a measure's
figure per repeat is the median of a few requests).

Imported by the scripts beside it (`python3 bench/NAME.py` puts bench/ on the path)."""

import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_vizd(binary, db, port, extra_args=()):
    """Start vizd and wait (up to 10 s) until /healthz answers 200. Its stderr is discarded: a pipe nobody
    reads would stall vizd once it filled."""
    proc = subprocess.Popen([binary, "--db", db, "--port", str(port), *extra_args], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.025)
    proc.kill()
    sys.exit("vizd did not start")


def machine_line():
    return "machine: %s, %d cores, %s, Python %s" % (platform.machine(), os.cpu_count(), platform.platform(),
                                                    platform.python_version())


def post_write(conn, body):
    """POST body to /api/v1/write on an http.client connection; any answer but 200 ends the benchmark."""
    conn.request("POST", "/api/v1/write", body, {"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    if resp.status != 200:
        sys.exit("write failed: %d %s" % (resp.status, data[:200]))


class Server:
    """One HTTP server under test, reached over one keep-alive loopback connection."""

    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def request(self, method, path, body=None, headers=None):
        """(status, body, seconds): the clock runs from sending the request to the answer's last byte."""
        for attempt in (0, 1):
            try:
                start = time.perf_counter()
                self.conn.request(method, path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                data = resp.read()
                return resp.status, data, time.perf_counter() - start
            except (http.client.HTTPException, OSError):
                self.conn.close()  # the server closed the kept-alive connection: one more try, anew
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def get_json(self, path):
        """The JSON of a 200 answer, or None (not listening yet, another status, not JSON)."""
        try:
            status, data, _ = self.request("GET", path)
            return json.loads(data) if status == 200 else None
        except (OSError, http.client.HTTPException, ValueError):
            return None


def cpu_seconds(pid):
    """User + system CPU time a process has used so far: a figure other work on the machine hardly moves,
    unlike the wall time of a request."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid):
    """{"VmRSS", "VmHWM", "RssAnon"} of a process in MB (RssAnon: its heap, not the files it maps); {} for
    a process that is gone."""
    fields = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM", "RssAnon"):
                    fields[key] = int(value.split()[0]) / 1024.0
    except OSError:
        pass
    return fields


def wait_quiet(pid, db, timeout=300):
    """Wait until vizd has finished its idle work after writes (folding series' tails into blocks, then
    checkpointing the WAL, which truncates the -wal file) and its CPU time stands still for half a second:
    a measure taken meanwhile counts that work too. Gives up after timeout seconds."""
    deadline = time.monotonic() + timeout
    last = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_seconds(pid)
        try:
            checkpointed = os.path.getsize(db + "-wal") == 0
        except FileNotFoundError:
            checkpointed = True
        if checkpointed and now == last:
            return
        last = now


def fmt_ms(ms):
    return "%.0f" % ms if ms >= 100 else "%.1f" % ms if ms >= 1 else "%.2f" % ms


class Timed:
    """The requests of one measure: per repeat, the median of PER_REPEAT requests."""
    PER_REPEAT = 5

    def __init__(self):
        self.per_repeat = []
        self.body = b""

    def run(self, server, method, path, body=None, headers=None):
        times = []
        for _ in range(self.PER_REPEAT):
            status, data, seconds = server.request(method, path, body, headers)
            if status != 200:
                sys.exit("%s %s: HTTP %d %s" % (method, path[:100], status, data[:200]))
            times.append(seconds)
        self.body = data
        self.per_repeat.append(statistics.median(times))

    def median_ms(self):
        return statistics.median(self.per_repeat) * 1e3

    def text(self):
        return Timed.summary(self.per_repeat)

    @staticmethod
    def summary(seconds):
        """'median ms (lowest - highest)' of per-repeat figures in seconds."""
        return "%s ms (%s - %s)" % (fmt_ms(statistics.median(seconds) * 1e3), fmt_ms(min(seconds) * 1e3),
                                    fmt_ms(max(seconds) * 1e3))
