"""test_write_paths.py -- the rules every write path shares, checked on each of them.

vizd has four ways in: POST /api/v1/write (JSON) and the raw uploads POST /api/v1/histograms, /images and
/tensors. Each must refuse an oversize body (413), bad names (300 bytes, control characters) and wrong
types with a JSON error naming the field, store nothing of a refused request, accept unicode and markup as
names verbatim, and keep serving afterwards.
"""

import struct
import zlib

import pytest

from harness import assert_error


def png(width=2, height=2):
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


FLOATS = struct.pack("<4f", 1.0, 2.0, float("nan"), float("inf"))

# (kind, path, extra query, body, content type) for the raw paths
RAW_PATHS = [
    ("histograms", "/api/v1/histograms", {}, FLOATS, "application/octet-stream"),
    ("images", "/api/v1/images", {}, png(), "image/png"),
    ("tensors", "/api/v1/tensors", {"shape": "2,2"}, FLOATS, "application/octet-stream"),
]


def raw_post(client, path, run, tag, extra, body, content_type, step="0"):
    params = dict(extra, run=run, tag=tag)
    if step is not None:
        params["step"] = step
    return client.post(path, body=body, content_type=content_type, params=params)


def json_post(client, run, tag):
    return client.post("/api/v1/write", json_body={"run": run, "scalars": [{"tag": tag, "step": 0, "value": 1.0}]})


def assert_nothing_stored(client):
    assert client.get("/api/v1/runs").json == {"runs": []}
    assert client.get("/api/v1/tags").json == {"runs": {}, "next": None}


@pytest.mark.parametrize("kind,path,extra,body,content_type", RAW_PATHS, ids=[p[0] for p in RAW_PATHS])
def test_a_raw_body_over_the_limit_is_413_and_stores_nothing(vizd_factory, kind, path, extra, body, content_type):
    vizd = vizd_factory(args=("--max-body", "1000"))
    big = body + b"\x00" * 4096
    resp = raw_post(vizd.client, path, "r", "t", extra, big, content_type)
    assert_error(resp, 413, "body_too_large")
    assert_nothing_stored(vizd.client)
    assert vizd.client.healthz().status == 200


@pytest.mark.parametrize("kind,path,extra,body,content_type", RAW_PATHS, ids=[p[0] for p in RAW_PATHS])
@pytest.mark.parametrize("field", ["run", "tag"])
@pytest.mark.parametrize("bad", ["x" * 300, "a\tb", "a\x7fb", ""], ids=["300 bytes", "tab", "DEL", "empty"])
def test_a_raw_upload_with_a_bad_name_is_refused_naming_it(empty_client, kind, path, extra, body, content_type, field, bad):
    names = {"run": "r", "tag": "t", field: bad}
    resp = raw_post(empty_client, path, names["run"], names["tag"], extra, body, content_type)
    assert_error(resp, 400, path=field)
    assert_nothing_stored(empty_client)


@pytest.mark.parametrize("kind,path,extra,body,content_type", RAW_PATHS, ids=[p[0] for p in RAW_PATHS])
@pytest.mark.parametrize("name", ["损失/训练 ✓", "<script>alert(1)</script>", "é" * 128])
def test_a_raw_upload_takes_unicode_and_markup_names_verbatim(vizd, kind, path, extra, body, content_type, name):
    resp = raw_post(vizd.client, path, name, name, extra, body, content_type)
    assert resp.status == 200, resp
    tags = vizd.client.get("/api/v1/tags").json["runs"]
    assert list(tags) == [name]
    assert list(tags[name][kind]) == [name]


@pytest.mark.parametrize("kind,path,extra,body,content_type", RAW_PATHS, ids=[p[0] for p in RAW_PATHS])
@pytest.mark.parametrize("step", ["1.5", "abc", "9223372036854775808", ""])
def test_a_raw_upload_with_a_step_that_is_not_an_int64_is_refused_naming_step(empty_client, kind, path, extra, body,
                                                                               content_type, step):
    resp = raw_post(empty_client, path, "r", "t", extra, body, content_type, step=step)
    assert_error(resp, 400, path="step")
    assert_nothing_stored(empty_client)


@pytest.mark.parametrize("kind,path,extra,body,content_type", RAW_PATHS, ids=[p[0] for p in RAW_PATHS])
def test_a_raw_upload_without_run_or_tag_is_refused_naming_it(empty_client, kind, path, extra, body, content_type):
    resp = empty_client.post(path, body=body, content_type=content_type, params=dict(extra, tag="t", step="0"))
    assert_error(resp, 400, "missing_field", "run")
    resp = empty_client.post(path, body=body, content_type=content_type, params=dict(extra, run="r", step="0"))
    assert_error(resp, 400, "missing_field", "tag")
    assert_nothing_stored(empty_client)


def test_non_finite_floats_in_raw_bodies_are_kept_where_they_mean_something(vizd):
    # A histogram leaves NaN out and counts Infinity beyond the buckets; a tensor keeps every value as sent.
    client = vizd.client
    assert raw_post(client, "/api/v1/histograms", "r", "h", {}, FLOATS, "application/octet-stream").status == 200
    step = client.get("/api/v1/histograms", params={"run": "r", "tag": "h"}).json["series"][0]["steps"][0]
    assert step["num"] == 3 and step["max"] == "Infinity" and step["min"] == 1
    assert raw_post(client, "/api/v1/tensors", "r", "w", {"shape": "4"}, FLOATS, "application/octet-stream").status == 200
    item = client.get("/api/v1/tensors", params={"run": "r", "tag": "w"}).json["series"][0]["items"][0]
    assert (item["min"], item["max"]) == (1, 2)
    assert client.get(item["url"]).body == FLOATS


def test_after_every_kind_of_refusal_the_daemon_still_serves(empty_client):
    for kind, path, extra, body, content_type in RAW_PATHS:
        raw_post(empty_client, path, "x" * 300, "t", extra, body, content_type)
        raw_post(empty_client, path, "r", "t", extra, b"\x01\x02\x03", content_type)
    empty_client.post("/api/v1/write", body=b"{not json")
    assert empty_client.healthz().status == 200
    assert json_post(empty_client, "r", "t").status == 200


@pytest.mark.parametrize("kind,path,extra,body,content_type", RAW_PATHS, ids=[p[0] for p in RAW_PATHS])
def test_a_raw_upload_takes_its_wall_time_from_the_query(vizd, kind, path, extra, body, content_type):
    resp = vizd.client.post(path, body=body, content_type=content_type,
                            params=dict(extra, run="r", tag="t", step="3", wall_time="1764000000.25"))
    assert resp.status == 200, resp
    tag = vizd.client.get("/api/v1/tags").json["runs"]["r"][kind]["t"]
    assert tag["last_wall_time"] == 1764000000.25


@pytest.mark.parametrize("kind,path,extra,body,content_type", RAW_PATHS, ids=[p[0] for p in RAW_PATHS])
@pytest.mark.parametrize("wall_time", ["abc", "", "inf", "nan"])
def test_a_raw_upload_with_a_bad_wall_time_is_refused_naming_it(empty_client, kind, path, extra, body, content_type,
                                                                 wall_time):
    resp = empty_client.post(path, body=body, content_type=content_type,
                             params=dict(extra, run="r", tag="t", step="0", wall_time=wall_time))
    assert_error(resp, 400, path="wall_time")
    assert_nothing_stored(empty_client)
