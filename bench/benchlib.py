"""benchlib.py -- what every benchmark script needs to run a real vizd: a free loopback port, and a
vizd started on a fresh database and answering /healthz before the first measurement.

Imported by the scripts beside it (`python3 bench/NAME.py` puts bench/ on the path)."""

import http.client
import socket
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
