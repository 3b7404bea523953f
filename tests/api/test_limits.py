"""test_limits.py -- the documented limits of docs/API.md that bound what one request may make vizd hold
or every later answer carry (issue 9): each refusal is a 4xx naming its field, and stores nothing."""

import base64
import json
import struct
import zlib

import pytest

from harness import assert_error


def b64(data):
    return base64.b64encode(data).decode("ascii")


def runs_of(client):
    resp = client.get("/api/v1/runs")
    assert resp.status == 200, resp
    return {run["name"]: run for run in resp.json["runs"]}


# ---- description and hparams: 64 KiB each ----------------------------------------------------------

def test_a_description_of_64_kib_is_stored_and_one_byte_more_is_refused_naming_it(empty_client):
    client = empty_client
    client.write_ok({"run": "r", "description": "d" * 65536})
    assert runs_of(client)["r"]["description"] == "d" * 65536
    resp = client.write({"run": "r", "description": "é" * 32768 + "x"})  # 65,537 bytes of UTF-8
    assert_error(resp, 413, "too_large", path="description")
    assert runs_of(client)["r"]["description"] == "d" * 65536


def test_hparams_over_64_kib_as_json_are_refused_naming_them_and_the_old_ones_stay(empty_client):
    client = empty_client
    client.write_ok({"run": "r", "hparams": {"lr": 0.1}})
    fits = {"note": "n" * (65536 - len('{"note":""}'))}
    client.write_ok({"run": "r", "hparams": fits})
    assert runs_of(client)["r"]["hparams"] == fits
    over = {"note": "n" * (65536 - len('{"note":""}') + 1)}
    assert_error(client.write({"run": "r", "hparams": over}), 413, "too_large", path="hparams")
    many_keys = {"k%05d" % i: i for i in range(10000)}  # about 110 KB as JSON
    assert_error(client.write({"run": "r2", "hparams": many_keys, "scalars": [{"tag": "t", "value": 1}]}),
                 413, "too_large", path="hparams")
    runs = runs_of(client)
    assert runs["r"]["hparams"] == fits and "r2" not in runs


# ---- image headers: at most 8,192 pixels per side and 40,000,000 in all ----------------------------

def png_declaring(width, height):
    """A tiny, valid PNG (one real row of pixels compressed) whose header declares width x height."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * (width + 1)))
            + chunk(b"IEND", b""))


def test_a_tiny_png_declaring_30000_by_30000_pixels_is_refused_as_json_and_as_a_raw_upload(empty_client):
    client = empty_client
    bomb = png_declaring(30000, 30000)
    assert len(bomb) < 1000
    resp = client.write({"run": "r", "images": [{"tag": "ok", "step": 0, "data": b64(png_declaring(4, 3))},
                                                {"tag": "bomb", "step": 0, "data": b64(bomb)}]})
    assert_error(resp, 413, "too_large", path="images[1].data")
    assert "30000 x 30000" in resp.json["error"]["message"], resp.json
    raw = client.post("/api/v1/images", body=bomb, content_type="image/png", params={"run": "r", "tag": "bomb"})
    assert_error(raw, 413, "too_large", path="body")
    assert runs_of(client) == {}


@pytest.mark.parametrize("width,height,accepted", [(8192, 4882, True), (8193, 10, False), (10, 8193, False),
                                                   (8192, 8192, False), (6400, 6250, True), (6400, 6251, False)])
def test_image_size_limits_hold_at_their_edges(empty_client, width, height, accepted):
    resp = empty_client.post("/api/v1/images", body=png_declaring(width, height), content_type="image/png",
                             params={"run": "r", "tag": "edge"})
    if accepted:
        assert resp.status == 200, resp
    else:
        assert_error(resp, 413, "too_large", path="body")


# ---- distinct tags per write, and tag listings in pages --------------------------------------------

def test_ten_thousand_distinct_tags_are_accepted_and_one_more_is_refused_naming_it(empty_client):
    client = empty_client
    items = [{"tag": "t%05d" % i, "value": i} for i in range(10000)]
    client.write_ok({"run": "ok", "scalars": items + items})  # repeats are no new tags
    over = items + [{"tag": "one-more", "value": 0}]
    resp = client.write({"run": "over", "scalars": over})
    assert_error(resp, 413, "too_large", path="scalars[10000].tag")
    hist = [{"tag": "h%05d" % i, "step": 0, "values": [1.0]} for i in range(10001)]
    assert_error(client.write({"run": "over", "histograms": hist}), 413, "too_large", path="histograms[10000].tag")
    assert set(runs_of(client)) == {"ok"}


def test_the_distinct_tag_count_reads_escaped_spellings_as_the_same_tag(empty_client):
    """The count runs on the body's bytes before the parse: a tag spelled with an escape ("t\\u0031" is
    "t1") must not count as one more tag, and "tag" keys in a text or nested in hparams are no item's tag."""
    client = empty_client
    items = ", ".join('{"tag": "t%d", "value": %d}' % (i, i) for i in range(10000))
    body = ('{"run": "esc", "description": "\\"tag\\": \\"x\\"", "hparams": {"nested": [%s]}, '
            '"scalars": [%s, {"tag": "t\\u0031", "value": -1}], '
            '"texts": [{"tag": "note", "step": 0, "text": "%s"}]}'
            % (", ".join('{"tag": "y%d"}' % i for i in range(20)), items, '{\\"tag\\":\\"z\\"}' * 20000))
    resp = client.post("/api/v1/write", body=body)
    assert resp.status == 200, resp
    assert resp.json["written"]["scalars"] == 10001 and resp.json["written"]["texts"] == 1
    one_more = body.replace('"scalars": [', '"scalars": [{"tag": "extra", "value": 1}, ', 1)
    assert_error(client.post("/api/v1/write", body=one_more), 413, "too_large", path="scalars[10000].tag")


def test_tags_come_in_pages_that_together_list_every_series_once(empty_client):
    client = empty_client
    client.write_ok({"run": "a", "scalars": [{"tag": "s%03d" % i, "value": i} for i in range(250)],
                     "texts": [{"tag": "x%d" % i, "step": 0, "text": "t"} for i in range(5)]})
    client.write_ok({"run": "b", "scalars": [{"tag": "s%03d" % i, "value": i} for i in range(100)]})
    seen, pages, after = [], 0, None
    while True:
        params = {"limit": 64} if after is None else {"limit": 64, "after": after}
        resp = client.get("/api/v1/tags", params=params)
        assert resp.status == 200, resp
        pages += 1
        for run, kinds in resp.json["runs"].items():
            for kind, tags in kinds.items():
                seen.extend((run, kind, tag) for tag in tags)
        assert len(seen) <= pages * 64
        after = resp.json["next"]
        if after is None:
            break
        assert isinstance(after, str)
    assert pages == 6 and len(seen) == 355 and len(set(seen)) == 355, (pages, len(seen))
    whole = client.get("/api/v1/tags").json
    assert whole["next"] is None and sum(len(t) for k in whole["runs"].values() for t in k.values()) == 355
    only_b = client.get("/api/v1/tags", params={"run": "b", "kind": "scalars", "limit": 60}).json
    assert len(only_b["runs"]["b"]["scalars"]) == 60 and only_b["next"] is not None
    for bad in ({"limit": 0}, {"limit": 10001}, {"limit": "x"}):
        assert_error(client.get("/api/v1/tags", params=bad), 400, "invalid_value", path="limit")
    assert_error(client.get("/api/v1/tags", params={"after": "-1"}), 400, "invalid_value", path="after")
