"""test_request_head.py -- what vizd decides from a request's line and headers alone, and the answers it
owes every request.

Route, method, token, Origin, Content-Type and the declared length are judged as soon as the headers are
complete: a refused request is answered without its body being read or any memory being set aside for it.
Query parameters a route does not know are refused by name, on every API route; more than 256 run= values
are refused naming run. Any URL gets an answer, and every answer is valid UTF-8 JSON, even when the
request quoted in it is not.
"""

import os
import socket
import time
import urllib.parse

import pytest

from harness import assert_error, raw_http, strict_json

TOKEN = "s3cret-token-for-tests"
WRITE = {"run": "r", "scalars": [{"tag": "t", "step": 0, "value": 1.0}]}


def vm_size_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1])
    raise AssertionError("no VmSize")


def send_head_only(port, head, timeout=10):
    """Send a request head whose body never comes; return the answer (status, body) and the socket's fate."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        sock.sendall(head)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head_end = data.find(b"\r\n\r\n")
        length = 0
        for line in data[:head_end].split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(data) < head_end + 4 + length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return int(data.split(b" ", 2)[1]), strict_json(data[head_end + 4:head_end + 4 + length])
    finally:
        sock.close()


# ---- refused before the body ------------------------------------------------------------------------

@pytest.mark.parametrize("request_line, status", [
    (b"POST /nope HTTP/1.1", 405),
    (b"POST /api/v1/nope HTTP/1.1", 404),
    (b"PUT /api/v1/write HTTP/1.1", 405),
    (b"POST /api/v1/write?bogus=1 HTTP/1.1", 400),
])
def test_a_wrong_route_or_method_is_answered_before_the_body_arrives(empty_client, request_line, status):
    # The body is promised (60 MB) but never sent: the answer must come anyway, at once.
    code, body = send_head_only(empty_client.port, request_line + b"\r\nHost: 127.0.0.1\r\n"
                                b"Content-Type: application/json\r\nContent-Length: 60000000\r\n\r\n")
    assert code == status
    assert body["error"]["status"] == status


def test_a_write_without_the_token_is_answered_401_before_the_body_arrives(vizd_factory, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    vizd = vizd_factory(args=["--token-file", str(token_file)])
    code, body = send_head_only(vizd.port, b"POST /api/v1/write HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                b"Content-Type: application/json\r\nContent-Length: 60000000\r\n\r\n")
    assert code == 401 and body["error"]["code"] == "unauthorized"


def test_a_declared_length_reserves_no_memory(vizd):
    # 20 requests each promising 60 MB (under the 64 MiB limit) and sending none of it: vizd must not set
    # 1.2 GB aside on their word (it grows a body as its bytes arrive).
    before = vm_size_kib(vizd.proc.pid)
    socks = []
    try:
        for _ in range(20):
            sock = socket.create_connection(("127.0.0.1", vizd.port), timeout=10)
            sock.sendall(b"POST /api/v1/write HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 60000000\r\n\r\n{")
            socks.append(sock)
        time.sleep(0.5)
        assert vizd.client.healthz().status == 200
        grown_mib = (vm_size_kib(vizd.proc.pid) - before) / 1024
        assert grown_mib < 300, "vizd's address space grew by %.0f MiB for 20 promised bodies" % grown_mib
    finally:
        for sock in socks:
            sock.close()


def test_a_body_still_arrives_whole_when_sent_in_pieces(vizd):
    body = b'{"run": "r", "scalars": [{"tag": "t", "steps": [%s], "values": [%s]}]}' % (
        b",".join(b"%d" % i for i in range(50000)), b",".join(b"1.5" for _ in range(50000)))
    sock = socket.create_connection(("127.0.0.1", vizd.port), timeout=10)
    try:
        sock.sendall(b"POST /api/v1/write HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body))
        for i in range(0, len(body), 7919):
            sock.sendall(body[i:i + 7919])
        answer = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert vizd.client.series("t", "r")["total"] == 50000


# ---- query parameters -------------------------------------------------------------------------------

@pytest.mark.parametrize("path, params", [
    ("/api/v1/runs", {"bogus": "1"}),
    ("/api/v1/tags", {"kinds": "scalars"}),
    ("/api/v1/hparams", {"tag": "t", "metric": "t"}),
    ("/api/v1/scalars", {"tag": "t", "run": "r", "point": "0"}),
    ("/api/v1/histograms", {"tag": "t", "run": "r", "step": "5"}),
    ("/api/v1/distributions", {"tag": "t", "run": "r", "bogus": ""}),
    ("/api/v1/images", {"tag": "t", "run": "r", "step": "0"}),
    ("/api/v1/tensors", {"tag": "t", "run": "r", "bogus": "1"}),
    ("/api/v1/texts", {"tag": "t", "run": "r", "bogus": "1"}),
    ("/api/v1/blobs/1", {"v": "2"}),
    ("/api/v1/graph", {"run": "r", "format": "text"}),
    ("/api/v1/graph/summary", {"run": "r", "colums": "num_params"}),
    ("/api/v1/events", {"since": "1"}),
    ("/api/v1/status", {"bogus": "1"}),
    ("/healthz", {"bogus": "1"}),
])
def test_an_unknown_query_parameter_is_refused_naming_it_on_every_read(empty_client, path, params):
    unknown = [k for k in params if k not in ("tag", "run")][0]
    assert_error(empty_client.get(path, params=params), 400, "invalid_value", unknown)


def test_a_misspelt_points_is_not_silently_ignored_in_a_csv_export(vizd):
    vizd.client.write_ok({"run": "r", "scalars": [{"tag": "t", "steps": list(range(5000)),
                                                   "values": [1.0] * 5000}]})
    resp = vizd.client.get("/api/v1/scalars", params={"tag": "t", "run": "r", "point": "0", "format": "csv"})
    assert_error(resp, 400, "invalid_value", "point")


def test_an_empty_query_key_is_refused_too(empty_client):
    assert_error(empty_client.get("/api/v1/runs?=x"), 400, "invalid_value", "")


def test_writes_and_deletes_refuse_unknown_parameters_too(empty_client):
    assert_error(empty_client.post("/api/v1/write", json_body=WRITE, params={"dry_run": "1"}), 400,
                 "invalid_value", "dry_run")
    assert_error(empty_client.delete("/api/v1/runs", params={"run": "r", "force": "1"}), 400, "invalid_value",
                 "force")
    assert empty_client.runs() == []


def test_256_runs_are_answered_and_257_refused_naming_run(vizd):
    runs = ["run-%03d" % i for i in range(257)]
    for run in runs[:3]:
        vizd.client.write_ok({"run": run, "scalars": [{"tag": "t", "step": 0, "value": 1.0}]})
    existing = runs[:3] * 86  # 258 values of existing runs
    resp = vizd.client.scalars("t", existing[:256])
    assert resp.status == 200, resp
    assert len(resp.json["series"]) == 256
    for path in ("/api/v1/scalars", "/api/v1/histograms", "/api/v1/distributions", "/api/v1/images",
                 "/api/v1/tensors", "/api/v1/texts"):
        resp = vizd.client.get(path, params=[("tag", "t")] + [("run", r) for r in existing[:257]])
        assert_error(resp, 400, "too_many_items", "run")
        assert "256" in resp.json["error"]["message"]


# ---- every request gets a JSON answer, in valid UTF-8 ------------------------------------------------

@pytest.mark.parametrize("count", [450, 1000, 1024, 1025, 3000, 6000])
def test_many_query_parameters_get_a_json_answer(empty_client, count):
    query = "&".join("run=r%d" % i for i in range(count))
    resp = raw_http(empty_client.port, b"GET /api/v1/scalars?tag=t&" + query.encode() +
                    b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", timeout=10)
    assert resp.status in (400, 414), resp
    assert_error(resp, resp.status)


def test_a_very_long_url_gets_a_json_answer(empty_client):
    resp = raw_http(empty_client.port, b"GET /api/v1/runs?" + b"x" * 100000 +
                    b"=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", timeout=10)
    assert_error(resp, 414, "uri_too_long")


@pytest.mark.parametrize("path", [b"/%C3%28", b"/api/v1/%FF%FE", b"/api/%E2%82", b"/%ED%A0%80x"])
def test_an_error_never_echoes_invalid_utf8(empty_client, path):
    resp = raw_http(empty_client.port, b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert resp.status == 404, resp
    resp.body.decode("utf-8")  # strict: raises on any invalid byte
    assert_error(resp, 404, "not_found")


def test_an_error_never_cuts_a_multibyte_character(empty_client):
    # Long paths of 2-, 3- and 4-byte characters, quoted in a message that must be cut to fit.
    for char in ("é", "€", "𝔘"):
        for extra in range(4):
            path = "/api/v1/" + "a" * extra + char * 200
            resp = empty_client.get(urllib.parse.quote(path))
            resp.body.decode("utf-8")
            assert_error(resp, 404, "not_found")
            assert resp.json["error"]["message"].endswith(char) or "\ufffd" not in resp.json["error"]["message"]


def test_an_unknown_key_of_multibyte_characters_is_named_without_a_cut(empty_client):
    key = "ключ" * 40  # 320 bytes: longer than the error's path field
    resp = empty_client.get("/api/v1/runs", params={key: "1"})
    assert_error(resp, 400, "invalid_value")
    assert key.startswith(resp.json["error"]["path"])
    assert resp.json["error"]["path"]


# ---- libmicrohttpd's own refusals come out as JSON too ---------------------------------------------

@pytest.mark.parametrize("request_bytes, status", [
    (b"GET /healthz HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n", 505),
    (b"GET /healthz HTTP/0.9\r\nHost: 127.0.0.1\r\n\r\n", 505),
    (b"GET /healthz HTTX/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    (b"POST /api/v1/write HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
     b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400),
    (b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 300000 + b"\r\n\r\n", 431),
    (b"GET /" + b"a" * 300000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414),
    (b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Many: 1\r\n" * 30000 + b"\r\n", 431),
])
def test_requests_libmicrohttpd_refuses_itself_get_the_json_error_shape(empty_client, request_bytes, status):
    resp = raw_http(empty_client.port, request_bytes, timeout=10)
    assert_error(resp, status)
    assert "frame-ancestors" in resp.headers.get("content-security-policy", "")
    assert b"<html" not in resp.body.lower()
    assert empty_client.healthz().status == 200


@pytest.mark.parametrize("length, status", [(b"abc", 400), (b"99999999999999999999999", 413)])
def test_a_malformed_content_length_gets_a_json_error_after_a_repeated_head(empty_client, length, status):
    # libmicrohttpd 0.9.75 sends the status line and headers twice for this one (a bug of its own: after
    # its refusal it carries on as if the head were fine); what follows is still vizd's JSON error.
    sock = socket.create_connection(("127.0.0.1", empty_client.port), timeout=10)
    try:
        sock.sendall(b"POST /api/v1/write HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: " + length + b"\r\n\r\n{}")
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    assert data.startswith(b"HTTP/1.1 %d " % status), data[:100]
    assert b"<html" not in data.lower()
    assert b"content-type: application/json" in data.lower()
    assert strict_json(data.rsplit(b"\r\n\r\n", 1)[1])["error"]["status"] == status
    assert empty_client.healthz().status == 200


def test_256_runs_with_100_byte_names_fit_in_one_request(vizd):
    # The largest read the dashboard sends in one request: 256 run= values, each name long (the URL is
    # about 27 KB, under the 32 KiB limit), and a browser's worth of headers.
    runs = [("run-%d-" % i).ljust(100, "x") for i in range(3)]
    for run in runs:
        vizd.client.write_ok({"run": run, "scalars": [{"tag": "t", "step": 0, "value": 1.0}]})
    params = [("tag", "t")] + [("run", runs[i % 3]) for i in range(256)] + [("points", "1000")]
    headers = {"User-Agent": "Mozilla/5.0 " + "x" * 200, "Accept": "application/json", "Cookie": "c=" + "y" * 4000}
    resp = vizd.client.get("/api/v1/scalars", params=params, headers=headers)
    assert resp.status == 200, resp
    assert len(resp.json["series"]) == 256
