"""test_gzip.py -- gzip content coding: JSON and CSV answers, buffered and streamed, and the embedded
dashboard files, compressed only for a client that sends Accept-Encoding: gzip; each decodes to exactly
the identity answer; ETags differ per encoding and If-None-Match works for each; tiny answers, blobs and
clients without the header get identity.
"""

import gzip
import http.client
import random

GZ = {"Accept-Encoding": "gzip"}


def raw_get(client, path, params=None, headers=None):
    """A GET whose body is left as sent (http.client never decodes Content-Encoding)."""
    conn = http.client.HTTPConnection(client.host, client.port, timeout=30)
    try:
        conn.request("GET", client.url(path, params), headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def write_run_data(client):
    rng = random.Random(7)
    steps = list(range(5000))
    client.write_ok({"run": "a", "scalars": [{"tag": "loss", "steps": steps, "values": [rng.random() for _ in steps]}],
                     "histograms": [{"tag": "w", "step": s, "values": [rng.gauss(0, 1) for _ in range(500)]}
                                    for s in range(50)]})


def assert_same_in_both_encodings(client, path, params, content_type):
    status, plain_headers, plain = raw_get(client, path, params)
    assert status == 200 and plain_headers["content-type"].startswith(content_type)
    assert "content-encoding" not in plain_headers
    assert plain_headers.get("vary") == "Accept-Encoding"
    status, gz_headers, packed = raw_get(client, path, params, GZ)
    assert status == 200
    assert gz_headers["content-encoding"] == "gzip"
    assert gz_headers.get("vary") == "Accept-Encoding"
    assert gz_headers["content-type"] == plain_headers["content-type"]
    assert gzip.decompress(packed) == plain
    assert len(packed) < len(plain) / 2
    return gz_headers


def test_buffered_json_answer_is_gzip_of_the_identity_answer(client):
    write_run_data(client)
    headers = assert_same_in_both_encodings(client, "/api/v1/histograms", [("tag", "w"), ("run", "a")],
                                            "application/json")
    assert "content-length" in headers  # buffered: compressed whole, sent with its length


def test_streamed_scalars_json_and_csv_every_point_are_compressed(client):
    write_run_data(client)
    for fmt, ctype in (("json", "application/json"), ("csv", "text/csv")):
        assert_same_in_both_encodings(client, "/api/v1/scalars",
                                      [("tag", "loss"), ("run", "a"), ("points", "0"), ("format", fmt)], ctype)
    assert_same_in_both_encodings(client, "/api/v1/scalars", [("tag", "loss"), ("run", "a")], "application/json")


def test_no_gzip_without_the_header_or_when_refused(client):
    write_run_data(client)
    params = [("tag", "w"), ("run", "a")]
    for headers in ({}, {"Accept-Encoding": "identity"}, {"Accept-Encoding": "gzip;q=0"},
                    {"Accept-Encoding": "br, deflate"}, {"Accept-Encoding": "*, gzip;q=0"}):
        status, got, body = raw_get(client, "/api/v1/histograms", params, headers)
        assert status == 200 and "content-encoding" not in got, headers
        assert body.startswith(b"{")
    for headers in ({"Accept-Encoding": "deflate, GZIP;q=0.5"}, {"Accept-Encoding": "*"}):
        status, got, _ = raw_get(client, "/api/v1/histograms", params, headers)
        assert got.get("content-encoding") == "gzip", headers


def test_tiny_answers_are_not_compressed(client):
    status, headers, body = raw_get(client, "/api/v1/status", None, GZ)
    assert status == 200 and len(body) < 1024
    assert "content-encoding" not in headers and body.startswith(b"{")
    status, headers, body = raw_get(client, "/healthz", None, GZ)
    assert "content-encoding" not in headers and body.strip() == b"ok"


def test_errors_stay_identity(client):
    status, headers, body = raw_get(client, "/api/v1/scalars", [("run", "a")], GZ)
    assert status == 400 and "content-encoding" not in headers and b"error" in body


def test_static_assets_precompressed_with_their_own_etag(client):
    status, plain_headers, plain = raw_get(client, "/index.html")
    assert status == 200 and "content-encoding" not in plain_headers
    status, gz_headers, packed = raw_get(client, "/index.html", None, GZ)
    assert status == 200 and gz_headers["content-encoding"] == "gzip"
    assert gz_headers["vary"] == plain_headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(packed) == plain
    plain_tag, gz_tag = plain_headers["etag"], gz_headers["etag"]
    assert gz_tag == plain_tag[:-1] + '-gz"'
    # If-None-Match matches each form's own ETag
    status, h, body = raw_get(client, "/index.html", None, dict(GZ, **{"If-None-Match": gz_tag}))
    assert status == 304 and body == b"" and h["etag"] == gz_tag
    status, h, body = raw_get(client, "/index.html", None, {"If-None-Match": plain_tag})
    assert status == 304 and h["etag"] == plain_tag
    # ... and not the other form's: the client must get the form it can decode
    status, h, body = raw_get(client, "/index.html", None, {"If-None-Match": gz_tag})
    assert status == 200 and "content-encoding" not in h and body == plain
    status, h, body = raw_get(client, "/index.html", None, dict(GZ, **{"If-None-Match": plain_tag}))
    assert status == 200 and h["content-encoding"] == "gzip" and gzip.decompress(body) == plain


def test_vendored_script_is_served_compressed(client):
    status, h, body = raw_get(client, "/vendor/chart.umd.js", None, GZ)
    assert status == 200 and h["content-encoding"] == "gzip"
    plain = raw_get(client, "/vendor/chart.umd.js")[2]
    assert gzip.decompress(body) == plain and len(body) < len(plain) / 2
