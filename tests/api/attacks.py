"""attacks.py -- bounded connection attacks on a vizd on loopback, and a /healthz probe to time it by.

Shared by tests/api/test_slow_clients.py (which asserts vizd keeps answering) and bench/bench_slowloris.py
(which prints the figures). Every attack is bounded in connections and in time, and only ever targets
127.0.0.1.

The attacker connects from 127.0.0.1; the probe, a legitimate client, from 127.0.0.2 (all of 127/8 is
this machine): vizd caps connections per client address, and a client that is not the attacker must
not be locked out by the attacker's connections.
"""

import resource
import socket
import statistics
import threading
import time

ATTACKER = "127.0.0.1"
BYSTANDER = "127.0.0.2"


def raise_fd_limit(needed):
    """Let this process hold `needed` more sockets (soft limit up to the hard one); False when it cannot."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = needed + 256
    if soft >= want:
        return True
    if hard != resource.RLIM_INFINITY and hard < want:
        return False
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return True


def connect(port, source=ATTACKER, timeout=5):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def healthz_once(port, source=BYSTANDER, timeout=5):
    """Seconds for one /healthz on a new connection, or None when it failed (refused, reset, timed out,
    or not "ok")."""
    start = time.monotonic()
    try:
        sock = connect(port, source, timeout)
    except OSError:
        return None
    try:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        if not data.startswith(b"HTTP/1.1 200") or not data.endswith(b"ok\n"):
            return None
        return time.monotonic() - start
    except OSError:
        return None
    finally:
        sock.close()


class Probe:
    """Times /healthz every `interval` seconds on a background thread until stopped."""

    def __init__(self, port, interval=0.02, source=BYSTANDER, timeout=5):
        self.port, self.interval, self.source, self.timeout = port, interval, source, timeout
        self.latencies = []  # seconds; None for a failed probe
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.latencies.append(healthz_once(self.port, self.source, self.timeout))
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def failures(self):
        return sum(1 for x in self.latencies if x is None)

    def percentile(self, p):
        """The p-th percentile latency in seconds, a failure counting as infinitely slow."""
        ordered = sorted(float("inf") if x is None else x for x in self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]

    def summary(self):
        ok = [x for x in self.latencies if x is not None]
        return ("%d probes, %d failed; p50 %.1f ms, p99 %.1f ms, max %.1f ms" % (
            len(self.latencies), self.failures, 1000 * statistics.median(ok) if ok else float("nan"),
            1000 * self.percentile(99), 1000 * max(ok) if ok else float("nan")))


def half_requests_then_close(port, count):
    """`count` times: connect, send half a request, close. Returns how many connections were made."""
    made = 0
    for _ in range(count):
        try:
            sock = connect(port)
        except OSError:
            continue
        try:
            sock.sendall(b"POST /api/v1/write HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
        except OSError:
            pass
        sock.close()
        made += 1
    return made


def open_many(port, count, first_bytes):
    """Open `count` connections from the attacker's address, each sending `first_bytes`; returns the
    sockets that connected (vizd may close some of them at once: that is its cap working)."""
    socks = []
    for _ in range(count):
        try:
            sock = connect(port)
            sock.sendall(first_bytes)
            sock.setblocking(False)
            socks.append(sock)
        except OSError:
            pass
    return socks


def count_open(socks):
    """How many of the (non-blocking) sockets vizd has not closed: nothing to read and no end seen."""
    open_count = 0
    for sock in socks:
        try:
            if sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT):
                open_count += 1  # an answer is waiting: vizd answered rather than held or cut
        except (BlockingIOError, InterruptedError):
            open_count += 1
        except OSError:
            pass
    return open_count


def count_answered(socks):
    """How many of the (non-blocking) sockets have bytes from vizd waiting to be read."""
    answered = 0
    for sock in socks:
        try:
            if sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT):
                answered += 1
        except OSError:
            pass
    return answered


def trickle(socks, seconds, every=1.0):
    """Slowloris: for `seconds`, send each socket one more header line every `every` seconds, never
    ending the head. Returns the sockets it could still send to at the end."""
    deadline = time.monotonic() + seconds
    alive = list(socks)
    n = 0
    while time.monotonic() < deadline:
        n += 1
        still = []
        for sock in alive:
            try:
                sock.send(b"X-Slow-%d: x\r\n" % n)
                still.append(sock)
            except (BlockingIOError, InterruptedError):
                still.append(sock)
            except OSError:
                pass
        alive = still
        time.sleep(min(every, max(0.0, deadline - time.monotonic())))
    return alive


def close_all(socks):
    for sock in socks:
        try:
            sock.close()
        except OSError:
            pass
