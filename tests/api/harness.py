"""harness.py -- start a real vizd, talk HTTP to it, and check what it says.

The API tests speak HTTP to the real binary (VIZD_BIN, default build/vizd) with the standard library
only. This module holds everything they share that is not a pytest fixture:

  Daemon       one vizd process on a free loopback port with its own database file; knows how to wait
               for /healthz, stop it with SIGTERM or SIGKILL, and read back its stderr.
  Client       get/post/delete returning a Response (status, headers, body, parsed JSON). JSON is parsed
               strictly: a bare NaN or Infinity in an answer is a failure, not a float.
  EventStream  a Server-Sent Events reader on a raw socket (handles chunked transfer encoding), so a
               test can subscribe before it writes and see exactly what was published.
  raw_http     send bytes the standard clients would refuse to send (chunked bodies, bad UTF-8) and
               parse whatever comes back.
  assert_error the shape every error must have: {"error": {"status", "code", "message", "path"}}.
  wait_for     poll a condition until it holds or a deadline passes (for what vizd does in the background).
  query_db     the rows of one SQL statement on a vizd database file, opened read-only.

A sanitizer build (build/asan/vizd) prints its reports on stderr; Daemon.sanitizer_report() finds them
so that the fixtures can fail a test whose daemon overflowed, leaked or hit undefined behaviour.
"""

import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.parse

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

SANITIZER_MARKERS = (
    "ERROR: AddressSanitizer",
    "runtime error:",
    "LeakSanitizer",
    "ThreadSanitizer",
    "ERROR: MemorySanitizer",
)

INT64_MIN = -(2 ** 63)
INT64_MAX = 2 ** 63 - 1


def vizd_binary():
    """The binary under test: $VIZD_BIN (relative to the current directory) or build/vizd."""
    path = os.environ.get("VIZD_BIN")
    if path:
        return os.path.abspath(path)
    return os.path.join(REPO_ROOT, "build", "vizd")


def free_port():
    """A loopback port nobody listens on right now (bind port 0, let the kernel choose, release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def daemon_env():
    env = dict(os.environ)
    # Harmless for a normal build; for a sanitizer build, make leaks and UB visible with stacks.
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    return env


def run_vizd(args, timeout=10):
    """Run vizd to completion (for --help, --version and start-up failures): (returncode, stdout, stderr)."""
    proc = subprocess.run([vizd_binary()] + list(args), stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=timeout, env=daemon_env())
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")


def _strict_constant(name):
    raise ValueError("bare %s is not JSON" % name)


def strict_json(data):
    """json.loads that refuses the NaN/Infinity extension Python accepts by default."""
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    return json.loads(data, parse_constant=_strict_constant)


def dumps(obj):
    """JSON text of obj; refuses non-finite floats, so a test cannot send bare NaN by accident."""
    return json.dumps(obj, allow_nan=False, ensure_ascii=False)


class Response:
    """One HTTP answer. headers has lower-case names; json is the parsed body or None."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.json = None
        self.json_error = None
        if body:
            try:
                self.json = strict_json(body)
            except ValueError as exc:  # includes UnicodeDecodeError
                self.json_error = str(exc)

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    @property
    def content_type(self):
        return self.headers.get("content-type", "")

    def __iter__(self):
        """Allows `status, headers, body_json = client.get(...)`."""
        return iter((self.status, self.headers, self.json))

    def __repr__(self):
        shown = self.body[:400]
        return "<Response %d %s %r>" % (self.status, self.content_type, shown)


def _headers_dict(message):
    headers = {}
    for name, value in message.items():
        key = name.lower()
        headers[key] = headers[key] + ", " + value if key in headers else value
    return headers


class Client:
    """A small HTTP client for one daemon. params: dict or list of pairs (repeat a key for run=A&run=B)."""

    def __init__(self, host, port, timeout=30):
        self.host = host
        self.port = port
        self.timeout = timeout

    def url(self, path, params=None):
        if params:
            path += "?" + urllib.parse.urlencode(params, doseq=True, quote_via=urllib.parse.quote)
        return path

    def request(self, method, path, params=None, body=None, headers=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, self.url(path, params), body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return Response(resp.status, _headers_dict(resp.msg), data)
        finally:
            conn.close()

    def get(self, path, params=None, headers=None):
        return self.request("GET", path, params=params, headers=headers)

    def delete(self, path, params=None):
        return self.request("DELETE", path, params=params)

    def post(self, path, json_body=None, body=None, content_type="application/json", params=None,
             headers=None):
        """POST json_body (serialised strictly) or raw body bytes/str."""
        if json_body is not None:
            body = dumps(json_body).encode("utf-8")
        elif isinstance(body, str):
            body = body.encode("utf-8")
        all_headers = {}
        if content_type is not None:
            all_headers["Content-Type"] = content_type
        all_headers.update(headers or {})
        return self.request("POST", path, params=params, body=body if body is not None else b"",
                            headers=all_headers)

    # --- shorthands for the endpoints most tests use -----------------------------------------------
    def write(self, doc):
        return self.post("/api/v1/write", json_body=doc)

    def write_ok(self, doc):
        resp = self.write(doc)
        assert resp.status == 200, resp
        return resp.json

    def runs(self):
        resp = self.get("/api/v1/runs")
        assert resp.status == 200, resp
        return resp.json["runs"]

    def tags(self, **params):
        resp = self.get("/api/v1/tags", params=params)
        assert resp.status == 200, resp
        return resp.json["runs"]

    def scalars(self, tag, runs, **params):
        if isinstance(runs, str):
            runs = [runs]
        pairs = [("tag", tag)] + [("run", r) for r in runs] + sorted(params.items())
        return self.get("/api/v1/scalars", params=pairs)

    def series(self, tag, run, **params):
        """The one series of (run, tag), asserting a 200 answer."""
        resp = self.scalars(tag, run, **params)
        assert resp.status == 200, resp
        assert resp.json["tag"] == tag
        (series,) = resp.json["series"]
        assert series["run"] == run
        return series

    def healthz(self):
        return self.get("/healthz")


class Daemon:
    """One vizd process. Started by the vizd_factory fixture, which stops it and checks its stderr."""

    _started = 0  # processes started in this test session; names the stderr files

    def __init__(self, db_path, workdir, extra_args=(), port=None):
        self.db_path = str(db_path)
        self.workdir = str(workdir)
        self.extra_args = list(extra_args)
        self.port = port or free_port()
        self.proc = None
        self.returncode = None
        self.stderr_path = None
        self.stderr_texts = []  # one per process started (restarts append)
        self.client = Client("127.0.0.1", self.port)

    @property
    def args(self):
        return [vizd_binary(), "--db", self.db_path, "--port", str(self.port)] + self.extra_args

    def start(self, timeout=15):
        """Start vizd and wait until it answers /healthz = ok. Another process may grab the free port
        between free_port() and vizd's bind (other test runs share the machine): then vizd exits
        saying so, or a stranger answers on that port, and we try again on another port."""
        assert self.proc is None, "already running"
        if self.stderr_texts:  # a restart: the old port may linger in TIME_WAIT, so take a fresh one
            self._use_port(free_port())
        for attempt in range(3):
            if self._start_once(timeout):
                return self
            self._use_port(free_port())
        raise AssertionError("vizd could not get a free port in 3 attempts; stderr:\n%s" % self.stderr)

    def _use_port(self, port):
        self.port = port
        self.client = Client("127.0.0.1", port)

    def _start_once(self, timeout):
        index = len(self.stderr_texts)
        Daemon._started += 1
        self.stderr_path = os.path.join(self.workdir, "vizd-stderr-%d-%d.txt" % (Daemon._started, index))
        self.stderr_texts.append("")
        self._stderr_file = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self._stderr_file, env=daemon_env())
        self.returncode = None
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._reap()
                if "in use" in self.stderr_texts[-1].lower():
                    self.stderr_texts.pop()
                    return False
                raise AssertionError("vizd exited with %s before answering /healthz; stderr:\n%s"
                                     % (self.returncode, self.stderr))
            try:
                probe = Client("127.0.0.1", self.port, timeout=2)
                resp = probe.get("/healthz")
                if resp.status == 200 and resp.body.strip() == b"ok":
                    if self._is_ours(probe):
                        return True
                    self.kill()  # a stranger holds the port; ours cannot bind it
                    self.stderr_texts.pop()
                    return False
                last = resp
            except OSError as exc:
                last = exc
            time.sleep(0.02)
        self.kill()
        raise AssertionError("vizd did not answer /healthz = ok within %ss (last: %r); stderr:\n%s"
                             % (timeout, last, self.stderr))

    def _is_ours(self, probe):
        status = probe.get("/api/v1/status")
        if status.status != 200 or not isinstance(status.json, dict) or "db_path" not in status.json:
            return True  # cannot tell; the tests of /status will say what is wrong with it
        if self.db_path.startswith("postgresql://"):  # the status names it without a password
            url = urllib.parse.urlsplit(self.db_path)
            return status.json["db_path"] == "postgresql://%s@%s:%s%s" % (url.username, url.hostname, url.port,
                                                                         url.path)
        return os.path.realpath(str(status.json["db_path"])) == os.path.realpath(self.db_path)

    def _reap(self):
        self.returncode = self.proc.returncode
        self._stderr_file.close()
        with open(self.stderr_path, "rb") as f:
            self.stderr_texts[-1] = f.read().decode("utf-8", "replace")
        self.proc = None

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def stderr(self):
        """Everything every process of this daemon printed on stderr so far."""
        if self.proc is not None:
            with open(self.stderr_path, "rb") as f:
                self.stderr_texts[-1] = f.read().decode("utf-8", "replace")
        return "".join(self.stderr_texts)

    def stop(self, timeout=20):
        """SIGTERM and wait; returns the exit status (negative = killed by that signal)."""
        if self.proc is None:
            return self.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self._reap()
            raise AssertionError("vizd did not exit within %ss of SIGTERM; stderr:\n%s"
                                 % (timeout, self.stderr))
        self._reap()
        return self.returncode

    def kill(self):
        """SIGKILL: no chance to flush anything."""
        if self.proc is None:
            return self.returncode
        self.proc.kill()
        self.proc.wait()
        self._reap()
        return self.returncode

    def restart(self):
        assert self.stop() == 0, "vizd exited with %s; stderr:\n%s" % (self.returncode, self.stderr)
        return self.start()

    def sanitizer_report(self):
        text = self.stderr
        for marker in SANITIZER_MARKERS:
            if marker in text:
                return text
        return None


def assert_error(resp, status, code=None, path=None):
    """An error answer: the status, JSON content type and {"error": {...}} with all four fields.
    path may be a string, or a tuple of acceptable strings."""
    assert resp.status == status, resp
    assert resp.content_type.split(";")[0].strip() == "application/json", resp
    assert resp.json is not None, "error body is not strict JSON (%s): %r" % (resp.json_error, resp)
    assert set(resp.json) == {"error"}, resp.json
    err = resp.json["error"]
    assert isinstance(err, dict), err
    assert {"status", "code", "message", "path"} <= set(err), err
    assert err["status"] == status, err
    assert isinstance(err["code"], str) and err["code"], err
    assert isinstance(err["message"], str) and err["message"], err
    assert isinstance(err["path"], str), err
    if code is not None:
        codes = code if isinstance(code, tuple) else (code,)
        assert err["code"] in codes, err
    if path is not None:
        paths = path if isinstance(path, tuple) else (path,)
        assert err["path"] in paths, err
    return err


def raw_http(port, data, timeout=10):
    """Send raw request bytes and parse the answer. Returns a Response. Tolerates the server closing
    the connection while we are still sending (it may answer 413 before reading the whole body)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        resp = http.client.HTTPResponse(sock, method="GET" if data.startswith(b"GET") else "POST")
        resp.begin()
        body = resp.read()
        return Response(resp.status, _headers_dict(resp.msg), body)
    finally:
        sock.close()


def chunked(body, chunk_size):
    out = b""
    for i in range(0, len(body), chunk_size):
        piece = body[i:i + chunk_size]
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
    return out + b"0\r\n\r\n"


class EventStream:
    """A subscriber to GET /api/v1/events on a raw socket.

    The request is sent on construction; headers are read lazily, so a server that holds them back
    until the first event still works. next_event() returns (event_name, data_dict), skipping comments
    such as `: ping`."""

    def __init__(self, port, timeout=10, receive_buffer=None):
        """receive_buffer: a small SO_RCVBUF makes a subscriber that reads slowly fall behind quickly."""
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.sock.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n")
        self.raw = b""        # bytes received, not yet decoded
        self.body = b""       # decoded body bytes, not yet consumed
        self.status = None
        self.headers = None
        self.is_chunked = False

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _recv(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no data from /api/v1/events in time; got so far: %r" % (self.body,))
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("no data from /api/v1/events in time; got so far: %r" % (self.body,))
        if not data:
            raise ConnectionError("/api/v1/events closed the stream; got: %r" % (self.body,))
        self.raw += data

    def read_headers(self, timeout=5):
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.raw:
            self._recv(deadline)
        head, self.raw = self.raw.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        self.is_chunked = "chunked" in self.headers.get("transfer-encoding", "").lower()
        return self.status, self.headers

    def _decode(self):
        if not self.is_chunked:
            self.body += self.raw
            self.raw = b""
            return
        while True:
            line_end = self.raw.find(b"\r\n")
            if line_end < 0:
                return
            size = int(self.raw[:line_end].split(b";")[0], 16)
            if size == 0:
                raise ConnectionError("/api/v1/events ended its chunked body")
            if len(self.raw) < line_end + 2 + size + 2:
                return
            self.body += self.raw[line_end + 2:line_end + 2 + size]
            self.raw = self.raw[line_end + 2 + size + 2:]

    def next_event(self, timeout=5):
        deadline = time.monotonic() + timeout
        if self.headers is None:
            self.read_headers(timeout)
        while True:
            self._decode()
            normalised = self.body.replace(b"\r\n", b"\n")
            if b"\n\n" in normalised:
                block, rest = normalised.split(b"\n\n", 1)
                self.body = rest
                name, data_lines = "message", []
                for line in block.decode("utf-8").split("\n"):
                    if line.startswith(":"):
                        continue
                    field, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if field == "event":
                        name = value
                    elif field == "data":
                        data_lines.append(value)
                if not data_lines:
                    continue  # a comment-only block (": ping")
                return name, strict_json("\n".join(data_lines))
            self._recv(deadline)


def assert_nothing_stored(client):
    """An empty database as the API shows it: no runs, no tags, and the daemon still healthy."""
    assert client.runs() == []
    assert client.tags() == {}
    health = client.healthz()
    assert health.status == 200 and health.body.strip() == b"ok", health


def wait_for(predicate, seconds, interval=0.05):
    """Call predicate until it returns something truthy or `seconds` have passed; its last value."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def query_db(db_path, sql):
    """fetchall() of one statement on a database file opened read-only (WAL lets a reader in beside a
    running vizd)."""
    conn = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def values_of(series):
    """{step: value} of a series answer."""
    return {p[0]: p[2] for p in series["points"]}


def run_vizd_expecting_exit(args, timeout=5):
    """Run vizd that should refuse to start: (returncode, stderr). A vizd still running after timeout
    seconds is killed and reported as a failure (it accepted what it should have refused)."""
    proc = subprocess.Popen([vizd_binary()] + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=daemon_env())
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        raise AssertionError("vizd %s was still running after %ss instead of refusing to start; stderr:\n%s"
                             % (" ".join(args), timeout, err.decode("utf-8", "replace")))
    text = err.decode("utf-8", "replace")
    for marker in SANITIZER_MARKERS:
        assert marker not in text, "sanitizer report on stderr:\n" + text
    return proc.returncode, text
