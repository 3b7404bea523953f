"""test_cross_site.py -- what a web page on another site can make a browser do to a vizd on loopback.

A page elsewhere can make the browser send "simple" cross-site requests (form posts, no-cors fetches with
text/plain or form bodies) to 127.0.0.1, and with DNS rebinding it can even become same-origin with vizd
under its own name. vizd refuses: writes whose Origin is another site's (403 naming Origin), bodies in the
content types forms send (415 naming Content-Type), and any request whose Host is a name it was not told
about (421 naming Host). Every answer carries the headers that keep the dashboard from being framed or
injected into (Content-Security-Policy, X-Frame-Options, Referrer-Policy, nosniff).
"""

import pytest

from harness import EventStream, assert_error, raw_http

WRITE = {"run": "r", "scalars": [{"tag": "t", "step": 0, "value": 1.0}]}
PNG_1x1 = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
                        "0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082")


def origin_of(client):
    return "http://127.0.0.1:%d" % client.port


# ---- Origin -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:1", "https://127.0.0.1",
                                    "http://127.0.0.1:%d.evil.example", "http://127.0.0.1:%d/x"])
def test_a_write_from_another_sites_page_is_refused_naming_origin(empty_client, origin):
    if "%d" in origin:
        origin = origin % empty_client.port
    resp = empty_client.post("/api/v1/write", json_body=WRITE, headers={"Origin": origin})
    assert_error(resp, 403, "forbidden", "Origin")
    assert empty_client.runs() == []


def test_raw_uploads_and_deletes_from_another_site_are_refused(empty_client):
    evil = {"Origin": "http://evil.example"}
    resp = empty_client.post("/api/v1/images", body=PNG_1x1, content_type="image/png",
                             params={"run": "r", "tag": "i"}, headers=evil)
    assert_error(resp, 403, "forbidden", "Origin")
    empty_client.write_ok(WRITE)
    resp = empty_client.request("DELETE", "/api/v1/runs", params={"run": "r"}, headers=evil)
    assert_error(resp, 403, "forbidden", "Origin")
    assert [r["name"] for r in empty_client.runs()] == ["r"]


def test_a_write_from_the_dashboards_own_origin_is_stored(empty_client):
    resp = empty_client.post("/api/v1/write", json_body=WRITE, headers={"Origin": origin_of(empty_client)})
    assert resp.status == 200, resp
    resp = empty_client.request("DELETE", "/api/v1/runs", params={"run": "r"},
                                headers={"Origin": origin_of(empty_client)})
    assert resp.status == 200, resp


def test_a_write_through_a_tls_proxy_from_the_dashboards_own_page_is_stored(vizd_factory):
    # Behind a TLS proxy that passes the Host on, the dashboard's origin is https:// and that name.
    vizd = vizd_factory(args=["--allow-host", "vizd.example"])
    resp = vizd.client.post("/api/v1/write", json_body=WRITE,
                            headers={"Origin": "https://vizd.example", "Host": "vizd.example"})
    assert resp.status == 200, resp
    resp = vizd.client.post("/api/v1/write", json_body=WRITE,
                            headers={"Origin": "https://evil.example", "Host": "vizd.example"})
    assert_error(resp, 403, "forbidden", "Origin")


def test_reads_from_another_origin_are_still_answered(empty_client):
    # Reads are open; the browser's same-origin policy keeps another page from reading the answer.
    resp = empty_client.get("/api/v1/runs", headers={"Origin": "http://evil.example"})
    assert resp.status == 200, resp


# ---- Content-Type -----------------------------------------------------------------------------------

@pytest.mark.parametrize("content_type", ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "TEXT/PLAIN"])
def test_raw_uploads_refuse_the_content_types_a_form_can_send(empty_client, content_type):
    resp = empty_client.post("/api/v1/images", body=PNG_1x1, content_type=content_type,
                             params={"run": "r", "tag": "i"})
    assert_error(resp, 415, "unsupported_media_type", "Content-Type")
    resp = empty_client.post("/api/v1/histograms", body=b"\0\0\x80?", content_type=content_type,
                             params={"run": "r", "tag": "h"})
    assert_error(resp, 415, "unsupported_media_type", "Content-Type")
    assert empty_client.runs() == []


@pytest.mark.parametrize("content_type", ["application/octet-stream", "image/png", None])
def test_raw_uploads_take_other_content_types(vizd, content_type):
    resp = vizd.client.post("/api/v1/images", body=PNG_1x1, content_type=content_type,
                            params={"run": "r", "tag": "i"})
    assert resp.status == 200, resp


def test_a_form_post_without_a_token_is_refused_before_its_body_is_read(empty_client):
    # The simple request a hostile page would send: a urlencoded form with the JSON as a field.
    head = (b"POST /api/v1/write HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 30000000\r\n\r\n")
    resp = raw_http(empty_client.port, head)
    assert_error(resp, 403, "forbidden", "Origin")


# ---- Host (DNS rebinding) ---------------------------------------------------------------------------

def host_request(port, host):
    return raw_http(port, b"GET /api/v1/runs HTTP/1.1\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n")


@pytest.mark.parametrize("host", [b"evil.example", b"evil.example:6006", b"localhost.evil.example",
                                  b"127.0.0.1.evil.example", b"127.0.0.1:x"])
def test_a_request_for_a_name_vizd_was_not_given_is_refused_naming_host(empty_client, host):
    assert_error(host_request(empty_client.port, host), 421, "misdirected_request", "Host")


@pytest.mark.parametrize("host", [b"127.0.0.1", b"127.0.0.1:%d", b"localhost:%d", b"LOCALHOST", b"[::1]:%d",
                                  b"[::1]", b"10.1.2.3:8080"])
def test_addresses_and_localhost_are_always_answered(empty_client, host):
    if b"%d" in host:
        host = host % empty_client.port
    assert host_request(empty_client.port, host).status == 200


def test_names_given_with_allow_host_are_answered(vizd_factory):
    vizd = vizd_factory(args=["--allow-host", "box.lan", "--allow-host", "vizd.internal"])
    for host in (b"box.lan", b"vizd.internal:%d" % vizd.port, b"BOX.LAN"):
        assert host_request(vizd.port, host).status == 200, host
    assert_error(host_request(vizd.port, b"other.lan"), 421, "misdirected_request", "Host")


def test_an_http_1_0_request_without_host_is_answered(empty_client):
    resp = raw_http(empty_client.port, b"GET /healthz HTTP/1.0\r\n\r\n")
    assert resp.status == 200, resp


# ---- security headers -------------------------------------------------------------------------------

def csp_directives(resp):
    policy = resp.headers.get("content-security-policy", "")
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/", "/app.js", "/api/v1/runs", "/api/v1/nope", "/healthz"])
def test_every_answer_carries_the_security_headers(empty_client, path):
    resp = empty_client.get(path)
    csp = csp_directives(resp)
    assert csp.get("script-src") == ["'self'"], resp.headers
    assert "'unsafe-inline'" not in sum(csp.values(), [])
    assert set(csp.get("img-src", [])) == {"'self'", "blob:", "data:"}
    assert csp.get("frame-ancestors") == ["'none'"]
    assert csp.get("default-src") == ["'self'"]
    assert resp.headers.get("referrer-policy") == "no-referrer"
    assert resp.headers.get("x-content-type-options") == "nosniff"
    assert resp.headers.get("x-frame-options") == "DENY"


def test_the_event_stream_and_blobs_carry_the_security_headers_too(vizd):
    vizd.client.post("/api/v1/images", body=PNG_1x1, content_type="image/png", params={"run": "r", "tag": "i"})
    url = vizd.client.get("/api/v1/images", params={"run": "r", "tag": "i"}).json["series"][0]["items"][0]["url"]
    assert "frame-ancestors" in vizd.client.get(url).headers.get("content-security-policy", "")
    with EventStream(vizd.port) as stream:
        status, headers = stream.read_headers()
        assert status == 200
        assert "frame-ancestors" in headers.get("content-security-policy", ""), headers
