"""test_media.py -- images, tensors and texts through the HTTP API (issue 4).

What is checked:
- round trips byte for byte: PNG, JPEG, GIF and WebP files made with Pillow, sent as JSON base64 and as
  raw bodies, come back at their url with the same bytes, the right Content-Type, and width, height and
  type in the listing; tensors (from real torch: a conv weight, a feature map captured by a forward hook)
  come back bit for bit with their shape, dtype, min and max; texts come back verbatim;
- every refusal answers 4xx with the JSON error naming the field, and stores nothing: the runs and tags
  the API shows are unchanged, and so are the row counts of the database file read after vizd stopped;
- identical bytes are stored once (one row in blobs, the same url), and deleting a run removes only the
  blobs no other run uses;
- blobs carry a strong ETag, Cache-Control immutable, and If-None-Match answers 304;
- a tensor blob served a few channels at a time (?shape=...&channels=A:B) holds exactly those channels of
  every sample, bit for bit as numpy slices them, with an ETag of its own; a bad range or shape is a 400
  naming the field;
- a tensor blob reduced to tiles of at most N x N (?shape=...&size=N[&channels=A:B]) is every plane's area
  mean (each input pixel weighted by how much of it an output pixel covers), float32, as a numpy oracle
  computes it; a bad size is a 400 naming "size".

Each test starts its own daemon (start-up takes tens of milliseconds), so the database file of a refusal
test can be read after that daemon has stopped.
"""

import hashlib
import io
import re
import struct

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from harness import assert_error
from media_helpers import (IMAGE_CONTENT_TYPES, b64, db_counts, fetch_blob, image_type,
                           items_of, make_image)

IMAGE_FORMATS = ["png", "jpeg", "jpeg-progressive", "gif", "webp", "webp-lossless", "webp-alpha"]
MAX_TENSOR_ELEMENTS = 16_777_216
MAX_TEXT_BYTES = 1024 * 1024
WALL = 1764000000.5


def post_image(client, body, content_type="application/octet-stream", **params):
    return client.post("/api/v1/images", body=body, content_type=content_type, params=params)


def post_tensor(client, body, **params):
    return client.post("/api/v1/tensors", body=body, content_type="application/octet-stream", params=params)


def le_bytes(array, dtype):
    """The little-endian bytes of a numpy array or torch tensor as float32 / float64."""
    if isinstance(array, torch.Tensor):
        array = array.detach().cpu().numpy()
    return np.ascontiguousarray(array, dtype="<f4" if dtype == "float32" else "<f8").tobytes()


def written(**kinds):
    out = {"scalars": 0, "histograms": 0, "images": 0, "tensors": 0, "texts": 0, "graph": 0}
    out.update(kinds)
    return out


def assert_blob(client, url, data, content_type):
    resp = fetch_blob(client, url)
    assert resp.content_type == content_type, (url, resp.headers)
    assert resp.body == data, "the bytes at %s differ from those posted (%d vs %d bytes)" % (
        url, len(resp.body), len(data))
    return resp


def check_image_item(client, item, data, fmt, width, height):
    assert item["width"] == width and item["height"] == height, item
    assert item["type"] == image_type(fmt), item
    assert_blob(client, item["url"], data, IMAGE_CONTENT_TYPES[image_type(fmt)])


# ---- images: round trips ---------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", IMAGE_FORMATS)
def test_an_image_round_trips_byte_for_byte_through_json_base64(client, fmt):
    data = make_image(fmt, 37, 21)
    answer = client.write_ok({"run": "r", "images": [
        {"tag": "inputs", "step": 3, "index": 0, "wall_time": WALL, "data": b64(data)}]})
    assert answer == {"run": "r", "written": written(images=1)}
    (item,) = items_of(client, "images", "inputs", "r")
    assert item["step"] == 3 and item["index"] == 0 and item["wall_time"] == WALL, item
    check_image_item(client, item, data, fmt, 37, 21)


@pytest.mark.parametrize("fmt", IMAGE_FORMATS)
def test_an_image_round_trips_byte_for_byte_through_a_raw_body(client, fmt):
    data = make_image(fmt, 21, 37, seed=1)
    resp = post_image(client, data, content_type=IMAGE_CONTENT_TYPES[image_type(fmt)], run="r", tag="inputs",
                      step=7, index=2)
    assert resp.status == 200, resp
    assert resp.json == {"run": "r", "written": {"images": 1}, "step": 7}
    (item,) = items_of(client, "images", "inputs", "r")
    assert item["step"] == 7 and item["index"] == 2, item
    assert isinstance(item["wall_time"], float), item
    check_image_item(client, item, data, fmt, 21, 37)


def test_width_and_height_are_read_from_the_header_of_every_format_at_many_sizes(client):
    """Sizes that catch swapped or byte-swapped fields: 1x1, wide, tall, and above 255 and 4095 (VP8L
    packs 14-bit fields, JPEG 16-bit big-endian, GIF 16-bit little-endian)."""
    sizes = [(1, 1), (300, 7), (7, 300), (4100, 2), (2, 4100)]
    expected, items = [], []
    for fmt in IMAGE_FORMATS:
        for (w, h) in sizes:
            data = make_image(fmt, w, h, seed=len(items))
            items.append({"tag": "sizes", "step": 0, "index": len(items), "data": b64(data)})
            expected.append((fmt, w, h, data))
    client.write_ok({"run": "r", "images": items})
    listed = items_of(client, "images", "sizes", "r")
    assert [i["index"] for i in listed] == list(range(len(expected)))
    for item, (fmt, w, h, data) in zip(listed, expected):
        assert (item["type"], item["width"], item["height"]) == (image_type(fmt), w, h), (fmt, item)
        check_image_item(client, item, data, fmt, w, h)


def test_several_images_per_step_come_back_in_step_and_index_order(client):
    files = {(step, index): make_image("png", 8 + index, 5 + step, seed=10 * step + index)
             for step in (0, 1, 2) for index in (0, 1, 2)}
    order = [(2, 1), (0, 2), (1, 0), (0, 0), (2, 0), (1, 2), (0, 1), (2, 2)]  # (1, 1) goes in raw
    client.write_ok({"run": "r", "images": [
        {"tag": "grid", "step": s, "index": i, "data": b64(files[(s, i)])} for (s, i) in order]})
    assert post_image(client, files[(1, 1)], run="r", tag="grid", step=1, index=1).status == 200
    listed = items_of(client, "images", "grid", "r")
    assert [(i["step"], i["index"]) for i in listed] == sorted(files)
    for item in listed:
        check_image_item(client, item, files[(item["step"], item["index"])], "png", 8 + item["index"],
                         5 + item["step"])
    assert len({item["url"] for item in listed}) == 9
    tags = client.tags(kind="images")["r"]["images"]["grid"]
    assert tags["first_step"] == 0 and tags["last_step"] == 2, tags


def test_an_image_without_step_or_index_gets_the_next_step_and_index_0(client):
    a, b, c = (make_image("png", seed=s) for s in range(3))
    client.write_ok({"run": "r", "images": [{"tag": "t", "step": 4, "data": b64(a)}]})
    client.write_ok({"run": "r", "images": [{"tag": "t", "data": b64(b)}]})
    resp = post_image(client, c, run="r", tag="t")
    assert resp.status == 200 and resp.json["step"] == 6, resp
    listed = items_of(client, "images", "t", "r")
    assert [(i["step"], i["index"]) for i in listed] == [(4, 0), (5, 0), (6, 0)]
    for item, data in zip(listed, (a, b, c)):
        assert_blob(client, item["url"], data, "image/png")


def test_writing_the_same_step_and_index_again_replaces_the_image(client):
    old, new = make_image("png", 10, 10, seed=1), make_image("jpeg", 12, 9, seed=2)
    client.write_ok({"run": "r", "images": [{"tag": "t", "step": 0, "index": 1, "data": b64(old)}]})
    assert post_image(client, new, run="r", tag="t", step=0, index=1).status == 200
    (item,) = items_of(client, "images", "t", "r")
    check_image_item(client, item, new, "jpeg", 12, 9)


# (the form types, text/plain among them, are refused on every write: see test_cross_site.py)
@pytest.mark.parametrize("content_type", ["text/html", "image/svg+xml", "image/jpeg", "application/json",
                                          "application/octet-stream", None])
def test_a_raw_image_is_typed_by_its_magic_bytes_not_by_its_content_type(client, content_type):
    data = make_image("png", 13, 11)
    resp = post_image(client, data, content_type=content_type, run="r", tag="t", step=0)
    assert resp.status == 200, resp
    (item,) = items_of(client, "images", "t", "r")
    check_image_item(client, item, data, "png", 13, 11)


def test_a_write_with_every_media_kind_answers_the_counts_per_kind(client):
    png, jpeg = make_image("png"), make_image("jpeg")
    answer = client.write_ok({"run": "r",
                              "scalars": [{"tag": "loss", "step": 0, "value": 1.0}],
                              "images": [{"tag": "a", "step": 0, "data": b64(png)},
                                         {"tag": "a", "step": 0, "index": 1, "data": b64(jpeg)},
                                         {"tag": "b", "step": 0, "data": b64(png)}],
                              "tensors": [{"tag": "w", "step": 0, "shape": [2], "data": b64(le_bytes([1, 2], "float32"))}],
                              "texts": [{"tag": "n", "step": 0, "text": "x"}, {"tag": "n", "step": 1, "text": "y"}]})
    assert answer == {"run": "r", "written": written(scalars=1, images=3, tensors=1, texts=2)}
    tags = client.tags()["r"]
    assert sorted(tags["images"]) == ["a", "b"] and tags["images"]["a"]["count"] == 2, tags
    assert list(tags["tensors"]) == ["w"] and list(tags["texts"]) == ["n"], tags
    assert tags["texts"]["n"]["count"] == 2, tags


# ---- refusals: 4xx naming the field, nothing stored ------------------------------------------------

SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">' \
      b'<script>alert(1)</script><rect width="10" height="10"/></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def _png():
    return make_image("png", 16, 16, seed=99)


def _wrong_magic():
    data = bytearray(_png())
    data[0] = 0x88  # \x88PNG...: one bit off the signature
    return bytes(data)


def _bmp():
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "BMP")
    return out.getvalue()


def _jpeg_cut_before_its_frame_header():
    data = make_image("jpeg", 16, 16, seed=98)
    sof = data.index(b"\xff\xc0")
    return data[:sof + 4]  # the SOF0 marker and length, not its height and width


def _valid_tensor_item(tag="w", step=0, **extra):
    item = {"tag": tag, "step": step, "shape": [2, 3], "data": b64(le_bytes(np.arange(6), "float32"))}
    item.update(extra)
    return item


def _display(**display):
    return _valid_tensor_item(display=display)


class Refusal:
    """One request that must be refused. send(client) posts it; run "keep" already holds data."""

    def __init__(self, name, path, doc=None, raw=None, code="invalid_value", status=400):
        self.name, self.path, self.doc, self.raw, self.code, self.status = name, path, doc, raw, code, status

    def send(self, client):
        if self.doc is not None:
            doc = self.doc() if callable(self.doc) else self.doc
            return client.write(doc)
        endpoint, params, body = self.raw()
        return client.post("/api/v1/" + endpoint, body=body, content_type="application/octet-stream",
                           params=params)


def image_doc(data, run="fresh"):
    return lambda: {"run": run, "images": [{"tag": "img", "step": 0, "data": data() if callable(data) else data}]}


def tensor_doc(item, run="fresh"):
    return lambda: {"run": run, "tensors": [item() if callable(item) else item]}


def text_doc(text, run="fresh"):
    return lambda: {"run": run, "texts": [{"tag": "notes", "step": 0, "text": text}]}


def raw_image(body, **params):
    return lambda: ("images", dict({"run": "fresh", "tag": "img", "step": 0}, **params), body())


def raw_tensor(body, **params):
    return lambda: ("tensors", dict({"run": "fresh", "tag": "w", "step": 0}, **params), body())


def _batch_last_image_bad():
    good = [{"tag": "img", "step": 1, "data": b64(make_image("png", seed=201))},
            {"tag": "new_img", "step": 0, "data": b64(make_image("gif", seed=202))}]
    return {"run": "keep", "images": good + [{"tag": "img", "step": 2, "data": b64(SVG)}]}


def _batch_last_tensor_bad():
    return {"run": "keep", "tensors": [
        _valid_tensor_item("w", 1, data=b64(le_bytes(np.arange(6) + 100, "float32"))),
        _valid_tensor_item("w2", 0, data=b64(le_bytes(np.arange(6) + 200, "float32"))),
        _valid_tensor_item("w", 2, data=b64(le_bytes(np.arange(5), "float32")))]}


def _batch_of_every_kind_last_text_bad():
    return {"run": "keep", "description": "changed", "hparams": {"lr": 9},
            "scalars": [{"tag": "loss", "step": 1, "value": 0.5}],
            "histograms": [{"tag": "h", "step": 0, "values": [1.0, 2.0]}],
            "images": [{"tag": "img", "step": 1, "data": b64(make_image("webp", seed=203))}],
            "tensors": [_valid_tensor_item("w", 1, data=b64(le_bytes(np.arange(6) + 300, "float32")))],
            "texts": [{"tag": "notes", "step": 1, "text": "fine"}, {"tag": "notes", "step": 2, "text": "a\u0000b"}]}


REFUSALS = [
    # images in JSON
    Refusal("svg", "images[0].data", doc=image_doc(b64(SVG))),
    Refusal("html", "images[0].data", doc=image_doc(b64(HTML))),
    Refusal("wrong magic", "images[0].data", doc=image_doc(lambda: b64(_wrong_magic()))),
    Refusal("bmp", "images[0].data", doc=image_doc(lambda: b64(_bmp()))),
    Refusal("png header cut in IHDR", "images[0].data", doc=image_doc(lambda: b64(_png()[:20]))),
    Refusal("png signature only", "images[0].data", doc=image_doc(lambda: b64(_png()[:8]))),
    Refusal("jpeg cut before its size", "images[0].data", doc=image_doc(lambda: b64(_jpeg_cut_before_its_frame_header()))),
    Refusal("gif cut before its size", "images[0].data", doc=image_doc(lambda: b64(make_image("gif")[:8]))),
    Refusal("webp cut in its header", "images[0].data", doc=image_doc(lambda: b64(make_image("webp")[:24]))),
    Refusal("empty image", "images[0].data", doc=image_doc("")),
    Refusal("invalid base64 characters", "images[0].data", doc=image_doc(lambda: "!!" + b64(_png())[2:])),
    Refusal("invalid base64 padding inside", "images[0].data", doc=image_doc(lambda: "iVBO=" + b64(_png())[5:])),
    Refusal("invalid base64 length", "images[0].data", doc=image_doc(lambda: b64(_png()) + "A")),
    Refusal("data not a string", "images[0].data", doc=image_doc(12345)),
    Refusal("negative index", "images[0].index",
            doc=lambda: {"run": "fresh", "images": [{"tag": "img", "step": 0, "index": -1, "data": b64(_png())}]}),
    Refusal("unknown image key", "images[0].colormap",
            doc=lambda: {"run": "fresh", "images": [{"tag": "img", "step": 0, "data": b64(_png()), "colormap": "x"}]}),
    # images as raw bodies
    Refusal("raw svg", "body", raw=raw_image(lambda: SVG)),
    Refusal("raw html", "body", raw=raw_image(lambda: HTML)),
    Refusal("raw wrong magic", "body", raw=raw_image(_wrong_magic)),
    Refusal("raw png header cut", "body", raw=raw_image(lambda: _png()[:20])),
    Refusal("raw empty body", "body", raw=raw_image(lambda: b"")),
    Refusal("raw negative index", "index", raw=raw_image(_png, index=-1)),
    # tensors in JSON
    Refusal("data one byte short", "tensors[0].data",
            doc=tensor_doc(lambda: _valid_tensor_item(data=b64(le_bytes(np.arange(6), "float32")[:-1])))),
    Refusal("data one element long", "tensors[0].data",
            doc=tensor_doc(lambda: _valid_tensor_item(data=b64(le_bytes(np.arange(7), "float32"))))),
    Refusal("float32 data sent as float64", "tensors[0].data",
            doc=tensor_doc(lambda: _valid_tensor_item(dtype="float64"))),
    Refusal("9 dimensions", "tensors[0].shape",
            doc=tensor_doc(lambda: _valid_tensor_item(shape=[1] * 9, data=b64(le_bytes([1.0], "float32"))))),
    Refusal("negative dimension", "tensors[0].shape",
            doc=tensor_doc(lambda: _valid_tensor_item(shape=[-2, -3]))),
    Refusal("one negative dimension", "tensors[0].shape",
            doc=tensor_doc(lambda: _valid_tensor_item(shape=[6, -1]))),
    Refusal("16777217 elements", "tensors[0].shape",
            doc=tensor_doc(lambda: _valid_tensor_item(shape=[MAX_TENSOR_ELEMENTS + 1]))),
    Refusal("4097x4096 elements", "tensors[0].shape",
            doc=tensor_doc(lambda: _valid_tensor_item(shape=[4097, 4096]))),
    Refusal("elements overflowing uint64", "tensors[0].shape",
            doc=tensor_doc(lambda: _valid_tensor_item(shape=[2 ** 32, 2 ** 32, 0]))),
    Refusal("empty shape", "tensors[0].shape", doc=tensor_doc(lambda: _valid_tensor_item(shape=[]))),
    Refusal("fractional dimension", "tensors[0].shape", doc=tensor_doc(lambda: _valid_tensor_item(shape=[2, 3.0]))),
    Refusal("missing shape", "tensors[0].shape", code="missing_field",
            doc=tensor_doc(lambda: {"tag": "w", "step": 0, "data": b64(le_bytes([1.0], "float32"))})),
    Refusal("dtype float16", "tensors[0].dtype", doc=tensor_doc(lambda: _valid_tensor_item(dtype="float16"))),
    Refusal("dtype int32", "tensors[0].dtype", doc=tensor_doc(lambda: _valid_tensor_item(dtype="int32"))),
    Refusal("dtype FLOAT32", "tensors[0].dtype", doc=tensor_doc(lambda: _valid_tensor_item(dtype="FLOAT32"))),
    Refusal("dtype not a string", "tensors[0].dtype", doc=tensor_doc(lambda: _valid_tensor_item(dtype=4))),
    Refusal("tensor invalid base64", "tensors[0].data", doc=tensor_doc(lambda: _valid_tensor_item(data="AAAA$AAA"))),
    Refusal("display unknown key", "tensors[0].display.palette", doc=tensor_doc(lambda: _display(palette="bwr"))),
    Refusal("display colormap rainbow", "tensors[0].display.colormap",
            doc=tensor_doc(lambda: _display(colormap="rainbow"))),
    Refusal("display kind unknown", "tensors[0].display.kind", doc=tensor_doc(lambda: _display(kind="surface"))),
    Refusal("display normalize unknown", "tensors[0].display.normalize",
            doc=tensor_doc(lambda: _display(normalize="minmax"))),
    Refusal("display image_weight 2", "tensors[0].display.image_weight",
            doc=tensor_doc(lambda: _display(image_weight=2))),
    Refusal("display image_weight -0.1", "tensors[0].display.image_weight",
            doc=tensor_doc(lambda: _display(image_weight=-0.1))),
    Refusal("display image_weight string", "tensors[0].display.image_weight",
            doc=tensor_doc(lambda: _display(image_weight="0.5"))),
    Refusal("display overlay not a string", "tensors[0].display.overlay", doc=tensor_doc(lambda: _display(overlay=3))),
    Refusal("display not an object", "tensors[0].display",
            doc=tensor_doc(lambda: _valid_tensor_item(display="bwr"))),
    # tensors as raw bodies
    Refusal("raw data length", "body", raw=raw_tensor(lambda: le_bytes(np.arange(5), "float32"), shape="2,3")),
    Refusal("raw float32 data as float64", "body",
            raw=raw_tensor(lambda: le_bytes(np.arange(6), "float32"), shape="2,3", dtype="float64")),
    Refusal("raw 9 dimensions", "shape", raw=raw_tensor(lambda: le_bytes([1.0], "float32"), shape="1,1,1,1,1,1,1,1,1")),
    Refusal("raw negative dimension", "shape", raw=raw_tensor(lambda: le_bytes(np.arange(6), "float32"), shape="-2,-3")),
    Refusal("raw 16777217 elements", "shape", raw=raw_tensor(lambda: b"", shape=str(MAX_TENSOR_ELEMENTS + 1))),
    Refusal("raw 4096x4097 elements", "shape", raw=raw_tensor(lambda: b"", shape="4096,4097")),
    Refusal("raw malformed shape", "shape", raw=raw_tensor(lambda: le_bytes(np.arange(6), "float32"), shape="2,,3")),
    Refusal("raw missing shape", "shape", code="missing_field",
            raw=raw_tensor(lambda: le_bytes(np.arange(6), "float32"))),
    Refusal("raw dtype float16", "dtype", raw=raw_tensor(lambda: le_bytes(np.arange(6), "float32"), shape="2,3",
                                                         dtype="float16")),
    Refusal("raw colormap rainbow", ("colormap", "display.colormap"),
            raw=raw_tensor(lambda: le_bytes(np.arange(6), "float32"), shape="2,3", colormap="rainbow")),
    Refusal("raw kind unknown", ("kind", "display.kind"),
            raw=raw_tensor(lambda: le_bytes(np.arange(6), "float32"), shape="2,3", kind="surface")),
    # texts
    Refusal("text with NUL", "texts[0].text", doc=text_doc("before\u0000after")),
    Refusal("text 1 MiB + 1 byte", "texts[0].text", doc=text_doc("x" * (MAX_TEXT_BYTES + 1))),
    Refusal("text over 1 MiB in UTF-8 bytes", "texts[0].text", doc=text_doc("\u00e9" * (MAX_TEXT_BYTES // 2 + 1))),
    Refusal("text not a string", "texts[0].text", doc=text_doc(["a"])),
    Refusal("text missing", "texts[0].text", code="missing_field",
            doc=lambda: {"run": "fresh", "texts": [{"tag": "notes", "step": 0}]}),
    # batches where only the last item is bad, into the run that already holds data
    Refusal("batch last image bad", "images[2].data", doc=_batch_last_image_bad),
    Refusal("batch last tensor bad", "tensors[2].data", doc=_batch_last_tensor_bad),
    Refusal("batch of every kind, last text bad", "texts[1].text", doc=_batch_of_every_kind_last_text_bad),
]


def seed_keep(client):
    """Run "keep": one item of every media kind (and a scalar), so that a refused request touching it
    has something to damage."""
    client.write_ok({"run": "keep", "description": "kept",
                     "scalars": [{"tag": "loss", "step": 0, "value": 1.0}],
                     "images": [{"tag": "img", "step": 0, "data": b64(make_image("png", seed=200))}],
                     "tensors": [_valid_tensor_item("w", 0)],
                     "texts": [{"tag": "notes", "step": 0, "text": "kept"}]})


def snapshot(client):
    return {
        "runs": client.runs(),
        "tags": client.tags(),
        "images": items_of(client, "images", "img", "keep"),
        "tensors": items_of(client, "tensors", "w", "keep"),
        "texts": items_of(client, "texts", "notes", "keep"),
    }


@pytest.mark.parametrize("case", REFUSALS, ids=[r.name for r in REFUSALS])
def test_a_refused_request_names_the_field_and_stores_nothing(vizd, case):
    assert_refused_and_nothing_stored(vizd, case)


def _cut_after_header(fmt):
    data = make_image(fmt, 16, 16, seed=97)
    if fmt == "png":
        return data[:33]  # signature and a whole IHDR chunk (with its CRC); no IDAT, no IEND
    if fmt == "jpeg":
        sof = data.index(b"\xff\xc0")
        return data[:sof + 2 + 17]  # up to the end of the frame header; no scan, no EOI
    if fmt == "gif":
        return data[:13]  # header and logical screen descriptor; no image data, no trailer
    return data[:30]  # webp: RIFF header (whose size field says more follows) and the VP8 frame header


def _png_without_its_end():
    data = make_image("png", 16, 16, seed=96)
    assert data.endswith(b"IEND\xaeB`\x82")
    return data[:-12]


def _png_ihdr_of_the_wrong_length():
    data = make_image("png", 16, 16, seed=95)
    return data[:8] + struct.pack(">I", 99) + data[12:]  # IHDR is always 13 bytes long


TRUNCATED = [Refusal("%s cut after its header" % fmt, "images[0].data", doc=image_doc(lambda fmt=fmt: b64(_cut_after_header(fmt))))
             for fmt in ("png", "jpeg", "gif", "webp")] + [
    Refusal("png without IEND", "images[0].data", doc=image_doc(lambda: b64(_png_without_its_end()))),
    Refusal("raw png cut after its header", "body", raw=raw_image(lambda: _cut_after_header("png"))),
    Refusal("png IHDR of the wrong length", "images[0].data", doc=image_doc(lambda: b64(_png_ihdr_of_the_wrong_length()))),
]


@pytest.mark.parametrize("case", TRUNCATED, ids=[r.name for r in TRUNCATED])
def test_an_image_truncated_after_a_valid_header_is_refused_and_nothing_stored(vizd, case):
    """API.md: "SVG, HTML, unknown or truncated data are refused" -- truncated data, not only a truncated
    header: a file that stops after its header is not an image a browser can show."""
    assert_refused_and_nothing_stored(vizd, case)


def assert_refused_and_nothing_stored(vizd, case):
    client = vizd.client
    seed_keep(client)
    before = snapshot(client)
    rows_before = db_counts(vizd.db_path)
    assert rows_before["blobs"] == 2, rows_before

    resp = case.send(client)
    assert_error(resp, case.status, code=case.code, path=case.path)

    assert snapshot(client) == before
    assert vizd.stop() == 0, vizd.stderr
    assert db_counts(vizd.db_path) == rows_before


# ---- what is accepted at the limits ------------------------------------------------------------------

def test_a_tensor_of_8_dimensions_is_accepted(client):
    data = le_bytes(np.arange(2 ** 8, dtype=np.float32) - 100, "float32")
    client.write_ok({"run": "r", "tensors": [{"tag": "t", "step": 0, "shape": [2] * 8, "data": b64(data)}]})
    (item,) = items_of(client, "tensors", "t", "r")
    assert item["shape"] == [2] * 8 and item["min"] == -100 and item["max"] == 155, item
    assert_blob(client, item["url"], data, "application/octet-stream")


@pytest.mark.slow
def test_a_tensor_of_exactly_16777216_elements_is_accepted(client):
    """64 MiB of float32 values: exactly the element limit and exactly the default body limit."""
    values = np.linspace(-1.0, 1.0, MAX_TENSOR_ELEMENTS, dtype=np.float32)
    data = le_bytes(values, "float32")
    resp = post_tensor(client, data, run="r", tag="big", step=0, shape="4096,4096")
    assert resp.status == 200, resp
    (item,) = items_of(client, "tensors", "big", "r")
    assert item["shape"] == [4096, 4096] and item["min"] == -1.0 and item["max"] == 1.0, item
    assert_blob(client, item["url"], data, "application/octet-stream")


def test_a_text_of_exactly_1_mib_is_accepted(client):
    text = ("\u00e9" * (MAX_TEXT_BYTES // 2 - 1)) + "ab"  # 1 MiB of UTF-8, 2-byte characters
    assert len(text.encode("utf-8")) == MAX_TEXT_BYTES
    client.write_ok({"run": "r", "texts": [{"tag": "long", "step": 0, "text": text}]})
    (item,) = items_of(client, "texts", "long", "r")
    assert item["text"] == text


# ---- identical bytes are stored once ---------------------------------------------------------------

def test_identical_image_bytes_posted_three_times_in_two_runs_are_one_blob_with_one_url(vizd):
    client = vizd.client
    data = make_image("png", 30, 20, seed=5)
    client.write_ok({"run": "a", "images": [{"tag": "x", "step": 0, "data": b64(data)}]})
    assert post_image(client, data, content_type="image/png", run="a", tag="y", step=3).status == 200
    client.write_ok({"run": "b", "images": [{"tag": "x", "step": 9, "index": 4, "data": b64(data)}]})
    urls = [items_of(client, "images", tag, run)[0]["url"] for (run, tag) in (("a", "x"), ("a", "y"), ("b", "x"))]
    assert len(set(urls)) == 1, urls
    assert_blob(client, urls[0], data, "image/png")
    assert db_counts(vizd.db_path)["blobs"] == 1
    assert vizd.stop() == 0
    counts = db_counts(vizd.db_path)
    assert counts["blobs"] == 1 and counts["images"] == 3, counts


def test_identical_tensor_bytes_are_one_blob_and_different_bytes_are_not(vizd):
    client = vizd.client
    data = le_bytes(np.linspace(-1, 1, 24), "float32")
    other = bytearray(data)
    other[-1] ^= 1  # one bit differs
    client.write_ok({"run": "a", "tensors": [{"tag": "w", "step": 0, "shape": [2, 3, 4], "data": b64(data)},
                                             {"tag": "v", "step": 0, "shape": [24], "data": b64(data)}]})
    assert post_tensor(client, data, run="b", tag="w", step=0, shape="4,6").status == 200
    assert post_tensor(client, bytes(other), run="b", tag="w", step=1, shape="4,6").status == 200
    urls = [items_of(client, "tensors", "w", "a")[0]["url"], items_of(client, "tensors", "v", "a")[0]["url"]]
    b_items = items_of(client, "tensors", "w", "b")
    assert [i["shape"] for i in b_items] == [[4, 6], [4, 6]]
    urls.append(b_items[0]["url"])
    assert len(set(urls)) == 1 and b_items[1]["url"] != urls[0], (urls, b_items)
    assert_blob(client, urls[0], data, "application/octet-stream")
    assert_blob(client, b_items[1]["url"], bytes(other), "application/octet-stream")
    assert db_counts(vizd.db_path)["blobs"] == 2


def _png_that_is_whole_float32s():
    """A complete PNG file whose length is a multiple of 4, so its bytes are also a float32 tensor."""
    for seed in range(100):
        data = make_image("png", 9, 9, seed=seed)
        if len(data) % 4 == 0:
            return data
    raise AssertionError("no PNG of a length divisible by 4 in 100 seeds")


@pytest.mark.parametrize("first", ["image", "tensor"])
def test_an_image_and_a_tensor_with_identical_bytes_each_keep_their_own_content_type(client, first):
    """Identical bytes are stored once, but an image is served as an image and a tensor as
    application/octet-stream ("raw little-endian values"), whichever of them was written first."""
    data = _png_that_is_whole_float32s()
    posts = {
        "image": lambda: post_image(client, data, run="r", tag="img", step=0),
        "tensor": lambda: post_tensor(client, data, run="r", tag="t", step=0, shape=str(len(data) // 4)),
    }
    for kind in (first, "tensor" if first == "image" else "image"):
        assert posts[kind]().status == 200
    (image,) = items_of(client, "images", "img", "r")
    (tensor,) = items_of(client, "tensors", "t", "r")
    assert image["type"] == "png", image
    assert_blob(client, image["url"], data, "image/png")
    assert_blob(client, tensor["url"], data, "application/octet-stream")


# ---- blobs over HTTP: ETag, 304, immutable caching ---------------------------------------------------

STRONG_ETAG = re.compile(r'^"[\x21\x23-\x7e\x80-\xff]*"$')  # RFC 9110 entity-tag without W/


def test_a_blob_has_a_strong_etag_and_immutable_caching_and_if_none_match_answers_304(client):
    png, gif = make_image("png", seed=1), make_image("gif", seed=2)
    tensor = le_bytes(np.arange(4), "float64")
    client.write_ok({"run": "r", "images": [{"tag": "a", "step": 0, "data": b64(png)},
                                            {"tag": "b", "step": 0, "data": b64(gif)}],
                     "tensors": [{"tag": "t", "step": 0, "shape": [4], "dtype": "float64", "data": b64(tensor)}]})
    etags = set()
    for tag, kind, data, ctype in (("a", "images", png, "image/png"), ("b", "images", gif, "image/gif"),
                                   ("t", "tensors", tensor, "application/octet-stream")):
        (item,) = items_of(client, kind, tag, "r")
        resp = assert_blob(client, item["url"], data, ctype)
        etag = resp.headers.get("etag", "")
        assert STRONG_ETAG.match(etag), "not a strong ETag: %r" % etag
        assert "immutable" in resp.headers.get("cache-control", ""), resp.headers
        etags.add(etag)
        again = fetch_blob(client, item["url"])
        assert again.headers.get("etag") == etag and again.body == data

        cached = client.get(item["url"], headers={"If-None-Match": etag})
        assert cached.status == 304, cached
        assert cached.body == b"", cached
        assert cached.headers.get("etag") == etag, cached.headers  # RFC 9110 15.4.5: a 304 repeats it
        assert "immutable" in cached.headers.get("cache-control", ""), cached.headers

        stale = client.get(item["url"], headers={"If-None-Match": '"not-this-one"'})
        assert stale.status == 200 and stale.body == data, stale

        head = client.request("HEAD", item["url"])
        assert head.status == 200 and head.body == b"", head
        assert head.headers.get("etag") == etag and head.content_type == ctype, head.headers
    assert len(etags) == 3, etags


# ---- a channel slice of a tensor blob ------------------------------------------------------------------

@pytest.mark.parametrize("shape,dtype", [((64, 14, 14), "float32"), ((2, 8, 5, 3), "float64")])
def test_a_channel_slice_of_a_tensor_is_those_channels_bit_for_bit(client, shape, dtype):
    array = np.random.default_rng(5).standard_normal(shape)
    data = le_bytes(array, dtype)
    client.write_ok({"run": "r", "tensors": [{"tag": "fm", "step": 0, "shape": list(shape), "dtype": dtype,
                                              "data": b64(data)}]})
    (item,) = items_of(client, "tensors", "fm", "r")
    shape_text = ",".join(map(str, shape))
    channels = shape[-3]
    etags = set()
    for first, last in ((0, channels // 2), (channels // 2, channels), (1, 2), (0, channels)):
        params = {"shape": shape_text, "channels": "%d:%d" % (first, last)}
        if dtype == "float64":
            params["dtype"] = dtype
        resp = client.get(item["url"], params=params)
        assert resp.status == 200, resp
        assert resp.content_type == "application/octet-stream", resp.headers
        want = le_bytes(array[..., first:last, :, :], dtype)
        assert resp.body == want, "channels %d:%d: %d bytes, want %d" % (first, last, len(resp.body), len(want))
        etag = resp.headers.get("etag", "")
        assert STRONG_ETAG.match(etag) and "immutable" in resp.headers.get("cache-control", ""), resp.headers
        cached = client.get(item["url"], params=params, headers={"If-None-Match": etag})
        assert cached.status == 304, cached
        etags.add(etag)
    whole = fetch_blob(client, item["url"])
    assert whole.body == data
    assert len(etags | {whole.headers.get("etag")}) == 5, etags  # every slice and the whole: an ETag each


def assert_blob_query_refused(client, params, field):
    """A 16 x 4 x 4 float32 tensor blob asked for with `params`: a 400 naming `field`, and the daemon keeps
    serving the whole blob."""
    data = le_bytes(np.arange(16 * 4 * 4), "float32")
    client.write_ok({"run": "r", "tensors": [{"tag": "fm", "step": 0, "shape": [16, 4, 4], "data": b64(data)}]})
    (item,) = items_of(client, "tensors", "fm", "r")
    resp = client.get(item["url"], params=params)
    assert_error(resp, 400, path=field)
    assert fetch_blob(client, item["url"]).body == data


@pytest.mark.parametrize("params,field", [
    ({"channels": "0:8"}, "shape"),
    ({"shape": "16,4,4"}, "channels"),
    ({"shape": "16,4,4", "channels": "8"}, "channels"),
    ({"shape": "16,4,4", "channels": "8:8"}, "channels"),
    ({"shape": "16,4,4", "channels": "4:2"}, "channels"),
    ({"shape": "16,4,4", "channels": "0:17"}, "channels"),
    ({"shape": "16,4,4", "channels": "-1:3"}, "channels"),
    ({"shape": "16,4,4", "channels": "0:3x"}, "channels"),
    ({"shape": "16,16", "channels": "0:1"}, "channels"),
    ({"shape": "8,4,4", "channels": "0:1"}, "shape"),     # not the stored tensor's size
    ({"shape": "16,4,4", "channels": "0:1", "dtype": "float64"}, "shape"),  # its bytes are 16x4x4 float32
    ({"shape": "16,4,4", "channels": "0:1", "dtype": "int8"}, "dtype"),
    ({"shape": "16,4,x", "channels": "0:1"}, "shape"),
])
def test_a_bad_channel_slice_is_refused_naming_the_field(client, params, field):
    assert_blob_query_refused(client, params, field)


def test_an_image_has_no_channels_to_slice(client):
    png = make_image("png", seed=3)
    client.write_ok({"run": "r", "images": [{"tag": "a", "step": 0, "data": b64(png)}]})
    (item,) = items_of(client, "images", "a", "r")
    size = len(png)
    resp = client.get(item["url"], params={"shape": "%d,1,1" % size, "channels": "0:1"})
    assert resp.status == 400, resp


# ---- a tensor blob reduced to tiles (?size=N) ----------------------------------------------------------

def tile_size(h, w, side):
    """The reduced plane's height and width: the longer side becomes `side` (rounded to nearest)."""
    longer = max(h, w)
    if longer <= side:
        return h, w
    return max(1, (h * side + longer // 2) // longer), max(1, (w * side + longer // 2) // longer)


def area_matrix(n_in, n_out):
    """[n_out, n_in]: output pixel k covers [k * n_in / n_out, (k + 1) * n_in / n_out); each input pixel
    counts with the length of its overlap, over the span's length."""
    m = np.zeros((n_out, n_in))
    for k in range(n_out):
        lo, hi = k * n_in / n_out, (k + 1) * n_in / n_out
        for i in range(int(np.floor(lo)), min(n_in, int(np.ceil(hi)))):
            m[k, i] = (min(hi, i + 1) - max(lo, i)) / (hi - lo)
    return m


def area_mean(array, side):
    """numpy oracle: every plane of the last two axes reduced by area averaging to tile_size(..., side)."""
    h, w = array.shape[-2:]
    oh, ow = tile_size(h, w, side)
    rows, cols = area_matrix(h, oh), area_matrix(w, ow)
    return rows @ array.astype(np.float64) @ cols.T  # (k,h) @ (...,h,w) @ (w,j): one matmul per side


@pytest.mark.parametrize("shape,dtype,side,channels", [
    ((64, 224, 224), "float32", 64, None),     # a VGG feature map, 3.5 input pixels per output pixel
    ((64, 224, 224), "float32", 56, (8, 40)),  # an exact 4 x 4 block mean of a page of channels
    ((2, 5, 30, 17), "float64", 7, (1, 4)),    # a batch, float64 in, uneven sides
    ((3, 9, 11), "float32", 64, None),         # already small: unchanged, as float32
    ((100, 3), "float32", 10, None),           # a 2-D heatmap, a very tall one
])
def test_a_tensor_reduced_to_tiles_is_the_area_mean_of_each_plane(client, shape, dtype, side, channels):
    array = np.random.default_rng(11).standard_normal(shape) * 3 + 1
    client.write_ok({"run": "r", "tensors": [{"tag": "fm", "step": 0, "shape": list(shape), "dtype": dtype,
                                              "data": b64(le_bytes(array, dtype))}]})
    (item,) = items_of(client, "tensors", "fm", "r")
    params = {"shape": ",".join(map(str, shape)), "size": str(side)}
    if dtype == "float64":
        params["dtype"] = dtype
    part = array
    if channels:
        params["channels"] = "%d:%d" % channels
        part = array[..., channels[0]:channels[1], :, :]
    resp = client.get(item["url"], params=params)
    assert resp.status == 200, resp
    assert resp.content_type == "application/octet-stream", resp.headers
    want = area_mean(part.astype(np.float32) if dtype == "float32" else part, side)
    got = np.frombuffer(resp.body, dtype="<f4")
    assert got.size == want.size, (got.size, want.shape)
    np.testing.assert_allclose(got.reshape(want.shape), want, rtol=2e-6, atol=2e-6)
    oh, ow = tile_size(shape[-2], shape[-1], side)
    assert want.shape[-2:] == (oh, ow) and max(oh, ow) <= side
    etag = resp.headers.get("etag", "")
    assert STRONG_ETAG.match(etag) and "immutable" in resp.headers.get("cache-control", ""), resp.headers
    assert client.get(item["url"], params=params, headers={"If-None-Match": etag}).status == 304
    other = client.get(item["url"], params={**params, "size": str(side + 1)})
    assert other.status == 200 and other.headers.get("etag") != etag  # each size its own ETag


def test_a_reduced_4x4_block_is_its_exact_mean(client):
    """A hand-made case the oracle need not be trusted for: each 2 x 2 block of a 4 x 4 plane."""
    plane = np.arange(16, dtype=np.float32).reshape(1, 4, 4)
    client.write_ok({"run": "r", "tensors": [{"tag": "fm", "step": 0, "shape": [1, 4, 4],
                                              "data": b64(le_bytes(plane, "float32"))}]})
    (item,) = items_of(client, "tensors", "fm", "r")
    resp = client.get(item["url"], params={"shape": "1,4,4", "size": "2"})
    assert resp.status == 200, resp
    assert np.frombuffer(resp.body, dtype="<f4").tolist() == [2.5, 4.5, 10.5, 12.5]


@pytest.mark.parametrize("params,field", [
    ({"shape": "16,4,4", "size": "0"}, "size"),
    ({"shape": "16,4,4", "size": "-3"}, "size"),
    ({"shape": "16,4,4", "size": "4097"}, "size"),
    ({"shape": "16,4,4", "size": "99999999999999999999"}, "size"),
    ({"shape": "16,4,4", "size": "8px"}, "size"),
    ({"shape": "16,4,4", "size": ""}, "size"),
    ({"shape": "16,4,4", "size": "2.5"}, "size"),
    ({"size": "8"}, "shape"),
    ({"shape": "256", "size": "8"}, "shape"),        # one dimension: no plane to reduce
    ({"shape": "8,4,4", "size": "2"}, "shape"),      # not the stored tensor's size
    ({"shape": "16,4,4", "size": "2", "channels": "3:3"}, "channels"),
])
def test_a_bad_tile_size_is_refused_naming_the_field(client, params, field):
    assert_blob_query_refused(client, params, field)


def test_an_image_has_no_tiles_to_reduce(client):
    png = make_image("png", seed=3)
    client.write_ok({"run": "r", "images": [{"tag": "a", "step": 0, "data": b64(png)}]})
    (item,) = items_of(client, "images", "a", "r")
    assert_error(client.get(item["url"], params={"shape": "%d,1" % len(png), "size": "1"}), 400, path="size")


def blob_name(content_type, data):
    return hashlib.sha256(content_type.encode() + b"\0" + data).hexdigest()


def test_a_blob_url_names_its_content_so_a_new_database_never_reuses_it_for_other_bytes(vizd_factory):
    """Blob URLs are cached for a year: in a fresh database the first blob must not get the URL the
    first blob of another database had (ids 1, 2, ... did), and equal bytes get the same URL anywhere."""
    first, second = make_image("png", seed=1), make_image("png", seed=2)
    tensor = le_bytes(np.arange(3), "float64")
    urls = []
    for data in (first, second):
        daemon = vizd_factory()
        daemon.client.write_ok({"run": "r", "images": [{"tag": "a", "step": 0, "data": b64(data)}],
                                "tensors": [{"tag": "t", "step": 0, "shape": [3], "dtype": "float64",
                                             "data": b64(tensor)}]})
        (item,) = items_of(daemon.client, "images", "a", "r")
        assert item["url"] == "/api/v1/blobs/" + blob_name("image/png", data), item
        assert_blob(daemon.client, item["url"], data, "image/png")
        (t,) = items_of(daemon.client, "tensors", "t", "r")
        assert t["url"] == "/api/v1/blobs/" + blob_name("application/octet-stream", tensor), t
        urls.append((item["url"], t["url"]))
        daemon.stop()
    assert urls[0][0] != urls[1][0] and urls[0][1] == urls[1][1], urls


def test_if_none_match_is_answered_without_the_blob_and_an_unknown_name_stays_404(client):
    data = make_image("png")
    client.write_ok({"run": "r", "images": [{"tag": "a", "step": 0, "data": b64(data)}]})
    (item,) = items_of(client, "images", "a", "r")
    name = item["url"].rsplit("/", 1)[1]
    resp = client.get(item["url"], headers={"If-None-Match": '"%s"' % name})
    assert resp.status == 304 and resp.headers.get("etag") == '"%s"' % name, resp
    other = "/api/v1/blobs/" + blob_name("image/png", b"not stored")
    assert_error(client.get(other, headers={"If-None-Match": "*"}), 404, "not_found")


def test_if_none_match_with_a_list_or_a_weak_form_of_the_etag_answers_304(client):
    """RFC 9110 13.1.2: If-None-Match takes a list of entity tags, or *, compared weakly."""
    data = make_image("png")
    client.write_ok({"run": "r", "images": [{"tag": "a", "step": 0, "data": b64(data)}]})
    (item,) = items_of(client, "images", "a", "r")
    etag = fetch_blob(client, item["url"]).headers["etag"]
    for header in ('"other", ' + etag, "W/" + etag, "*"):
        resp = client.get(item["url"], headers={"If-None-Match": header})
        assert resp.status == 304, (header, resp)


@pytest.mark.parametrize("path", ["/api/v1/blobs/999999", "/api/v1/blobs/0", "/api/v1/blobs/-1", "/api/v1/blobs/abc",
                                  "/api/v1/blobs/1x", "/api/v1/blobs/", "/api/v1/blobs/1",
                                  "/api/v1/blobs/" + "0" * 64, "/api/v1/blobs/" + "A" * 64,
                                  "/api/v1/blobs/" + "a" * 63])
def test_an_unknown_blob_is_a_json_404(client, path):
    client.write_ok({"run": "r", "images": [{"tag": "a", "step": 0, "data": b64(make_image("png"))}]})
    assert_error(client.get(path), 404, "not_found")


# ---- deleting a run removes its orphaned blobs, keeps shared ones ------------------------------------

def test_deleting_a_run_removes_its_orphaned_blobs_and_keeps_those_another_run_uses(vizd):
    client = vizd.client
    only_a_img, shared_img, only_b_img = (make_image("png", seed=s) for s in (1, 2, 3))
    only_a_t, shared_t = le_bytes(np.arange(6), "float32"), le_bytes(np.arange(6) * -1.5, "float32")
    client.write_ok({"run": "a",
                     "images": [{"tag": "i", "step": 0, "data": b64(only_a_img)},
                                {"tag": "i", "step": 1, "data": b64(shared_img)}],
                     "tensors": [{"tag": "t", "step": 0, "shape": [6], "data": b64(only_a_t)},
                                 {"tag": "t", "step": 1, "shape": [6], "data": b64(shared_t)}],
                     "texts": [{"tag": "n", "step": 0, "text": "a"}]})
    client.write_ok({"run": "b",
                     "images": [{"tag": "j", "step": 5, "data": b64(shared_img)},
                                {"tag": "j", "step": 6, "data": b64(only_b_img)}],
                     "tensors": [{"tag": "u", "step": 0, "shape": [3, 2], "data": b64(shared_t)}]})
    a_imgs, a_ts = items_of(client, "images", "i", "a"), items_of(client, "tensors", "t", "a")
    assert db_counts(vizd.db_path)["blobs"] == 5

    resp = client.delete("/api/v1/runs", params={"run": "a"})
    assert resp.status == 200 and resp.json == {"deleted": "a"}, resp
    assert [r["name"] for r in client.runs()] == ["b"]
    counts = db_counts(vizd.db_path)
    assert counts["blobs"] == 3 and counts["images"] == 2 and counts["tensors"] == 1 and counts["texts"] == 0, counts
    assert_error(client.get(a_imgs[0]["url"]), 404, "not_found")
    assert_error(client.get(a_ts[0]["url"]), 404, "not_found")
    assert_blob(client, a_imgs[1]["url"], shared_img, "image/png")
    assert_blob(client, a_ts[1]["url"], shared_t, "application/octet-stream")
    b_imgs = items_of(client, "images", "j", "b")
    assert [i["url"] for i in b_imgs][0] == a_imgs[1]["url"]
    assert_blob(client, b_imgs[1]["url"], only_b_img, "image/png")
    (b_t,) = items_of(client, "tensors", "u", "b")
    assert_blob(client, b_t["url"], shared_t, "application/octet-stream")

    assert client.delete("/api/v1/runs", params={"run": "b"}).status == 200
    assert vizd.stop() == 0
    assert db_counts(vizd.db_path) == {"runs": 0, "series": 0, "blobs": 0, "images": 0, "tensors": 0, "texts": 0}


def test_a_blob_id_is_never_reused_for_other_bytes_after_a_delete(client):
    """The ETag is the blob's identity: a url once served must never serve other bytes."""
    first, second = make_image("png", seed=1), make_image("png", seed=2)
    client.write_ok({"run": "a", "images": [{"tag": "i", "step": 0, "data": b64(first)}]})
    (old,) = items_of(client, "images", "i", "a")
    old_etag = fetch_blob(client, old["url"]).headers["etag"]
    assert client.delete("/api/v1/runs", params={"run": "a"}).status == 200
    client.write_ok({"run": "a", "images": [{"tag": "i", "step": 0, "data": b64(second)}]})
    (new,) = items_of(client, "images", "i", "a")
    assert new["url"] != old["url"]
    assert fetch_blob(client, new["url"]).headers["etag"] != old_etag
    assert_error(client.get(old["url"]), 404, "not_found")


# ---- tensors from real torch -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def conv_weight():
    torch.manual_seed(0)
    return nn.Conv2d(64, 128, 3).weight.detach().clone()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_torch_conv_weight_round_trips_bit_exact_through_json(client, conv_weight, dtype):
    weight = conv_weight.to(torch.float32 if dtype == "float32" else torch.float64)
    assert list(weight.shape) == [128, 64, 3, 3]
    data = le_bytes(weight, dtype)
    display = {"kind": "kernels", "colormap": "bwr", "normalize": "symmetric"}
    answer = client.write_ok({"run": "r", "tensors": [{"tag": "features.0.weight", "step": 0, "shape": list(weight.shape),
                                                       "dtype": dtype, "wall_time": WALL, "data": b64(data),
                                                       "display": display}]})
    assert answer["written"] == written(tensors=1)
    (item,) = items_of(client, "tensors", "features.0.weight", "r")
    assert item["shape"] == [128, 64, 3, 3] and item["dtype"] == dtype, item
    assert item["step"] == 0 and item["index"] == 0 and item["wall_time"] == WALL, item
    assert item["min"] == weight.min().item() and item["max"] == weight.max().item(), item
    assert item["display"] == display, item
    body = assert_blob(client, item["url"], data, "application/octet-stream").body
    dtype_np = "<f4" if dtype == "float32" else "<f8"
    back = torch.from_numpy(np.frombuffer(body, dtype=dtype_np).copy()).reshape(item["shape"])
    assert torch.equal(back, weight)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_torch_conv_weight_round_trips_bit_exact_through_a_raw_body(client, conv_weight, dtype):
    weight = conv_weight.to(torch.float32 if dtype == "float32" else torch.float64)
    data = le_bytes(weight, dtype)
    resp = post_tensor(client, data, run="r", tag="conv.weight", step=12, index=1, shape="128,64,3,3",
                       dtype=dtype, kind="kernels", colormap="bwr", normalize="tile")
    assert resp.status == 200 and resp.json == {"run": "r", "written": {"tensors": 1}, "step": 12}, resp
    (item,) = items_of(client, "tensors", "conv.weight", "r")
    assert (item["step"], item["index"], item["shape"], item["dtype"]) == (12, 1, [128, 64, 3, 3], dtype), item
    assert item["min"] == weight.min().item() and item["max"] == weight.max().item(), item
    assert item["display"] == {"kind": "kernels", "colormap": "bwr", "normalize": "tile"}, item
    assert_blob(client, item["url"], data, "application/octet-stream")


def test_a_feature_map_captured_by_a_forward_hook_round_trips_raw(client):
    torch.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, stride=2), nn.ReLU())
    captured = {}
    hooks = [model[1].register_forward_hook(lambda m, i, o: captured.__setitem__("relu1", o.detach().clone())),
             model[2].register_forward_hook(lambda m, i, o: captured.__setitem__("conv2", o.detach().clone()))]
    with torch.no_grad():
        model(torch.randn(1, 3, 32, 32))
    for h in hooks:
        h.remove()
    relu1, conv2 = captured["relu1"], captured["conv2"]
    assert list(relu1.shape) == [1, 8, 32, 32] and list(conv2.shape) == [1, 16, 15, 15]

    cases = [("features/relu1", relu1, "float32", {"kind": "feature_maps", "colormap": "viridis", "normalize": "tile"}),
             ("features/conv2", conv2.double(), "float64", {"kind": "feature_maps", "colormap": "gray",
                                                            "normalize": "global"})]
    for tag, fmap, dtype, display in cases:
        data = le_bytes(fmap, dtype)
        resp = post_tensor(client, data, run="cnn", tag=tag, step=0, dtype=dtype,
                           shape=",".join(str(d) for d in fmap.shape), **display)
        assert resp.status == 200, resp
        (item,) = items_of(client, "tensors", tag, "cnn")
        assert item["shape"] == list(fmap.shape) and item["dtype"] == dtype, item
        assert item["min"] == fmap.min().item() and item["max"] == fmap.max().item(), item
        assert item["display"] == display, item
        assert_blob(client, item["url"], data, "application/octet-stream")
    assert items_of(client, "tensors", "features/relu1", "cnn")[0]["min"] == 0.0  # after a ReLU


def test_a_class_activation_map_keeps_its_overlay_hints(client):
    image = make_image("png", 32, 32, seed=3)
    cam = torch.rand(7, 7, generator=torch.Generator().manual_seed(2))
    display = {"kind": "heatmap", "colormap": "jet", "normalize": "global", "overlay": "inputs", "image_weight": 0.5}
    client.write_ok({"run": "r", "images": [{"tag": "inputs", "step": 0, "data": b64(image)}],
                     "tensors": [{"tag": "cam", "step": 0, "shape": [7, 7], "data": b64(le_bytes(cam, "float32")),
                                  "display": display}]})
    (item,) = items_of(client, "tensors", "cam", "r")
    assert item["display"] == display and item["dtype"] == "float32", item
    assert_blob(client, item["url"], le_bytes(cam, "float32"), "application/octet-stream")


def test_tensor_min_and_max_are_of_the_finite_values_and_null_when_there_are_none(client):
    mixed = np.array([np.nan, -np.inf, 3.5, -2.25, np.inf, 0.0], dtype=np.float32)
    none = np.array([np.nan, np.inf, -np.inf], dtype=np.float64)
    client.write_ok({"run": "r", "tensors": [
        {"tag": "mixed", "step": 0, "shape": [6], "data": b64(le_bytes(mixed, "float32"))},
        {"tag": "none", "step": 0, "shape": [3], "dtype": "float64", "data": b64(le_bytes(none, "float64"))}]})
    (m,) = items_of(client, "tensors", "mixed", "r")
    (n,) = items_of(client, "tensors", "none", "r")
    assert (m["min"], m["max"]) == (-2.25, 3.5), m
    assert (n["min"], n["max"]) == (None, None), n
    assert_blob(client, m["url"], le_bytes(mixed, "float32"), "application/octet-stream")
    assert_blob(client, n["url"], le_bytes(none, "float64"), "application/octet-stream")


def test_a_tensor_without_dtype_or_display_is_float32_with_empty_display(client):
    data = le_bytes([1.5, -0.5], "float32")
    client.write_ok({"run": "r", "tensors": [{"tag": "t", "data": b64(data), "shape": [2]}]})
    assert post_tensor(client, data, run="r", tag="t", shape="2,1").status == 200
    items = items_of(client, "tensors", "t", "r")
    assert [(i["step"], i["shape"], i["dtype"], i["display"]) for i in items] == [
        (0, [2], "float32", {}), (1, [2, 1], "float32", {})], items
    assert items[0]["url"] == items[1]["url"]  # the same bytes, stored once


# ---- texts -------------------------------------------------------------------------------------------

MARKDOWN = (
    "# Résumé — run 7 ✓\n\n"
    "| layer | ∑ params |\n|---|---:|\n| conv1 | 9 408 |\n\n"
    "<script>alert('xss')</script> <img src=x onerror=alert(1)> &amp; &lt;b&gt;\n"
    "```python\nprint(\"héllo\\n\")\t# tab\n```\n"
    "Emoji 🧪🔥, CJK 漢字, RTL שלום, combining e\u0301, line sep \u2028, BOM \ufeff, escape \x1b[31m, DEL \x7f\r\n"
    "trailing spaces   \n\n\n"
)


def test_markdown_with_unicode_and_script_round_trips_verbatim(client):
    texts = [MARKDOWN, "second at the same step", "\\ \" ' / \\u0041 not an escape"]
    answer = client.write_ok({"run": "r", "texts": [
        {"tag": "notes", "step": 2, "index": i, "wall_time": WALL, "text": t} for i, t in enumerate(texts)]})
    assert answer["written"] == written(texts=3)
    items = items_of(client, "texts", "notes", "r")
    assert [(i["step"], i["index"], i["wall_time"]) for i in items] == [(2, 0, WALL), (2, 1, WALL), (2, 2, WALL)]
    assert [i["text"] for i in items] == texts
    assert "url" not in items[0]
    tags = client.tags(kind="texts")["r"]["texts"]["notes"]
    assert tags["count"] == 3 and tags["first_step"] == tags["last_step"] == 2, tags


def test_an_empty_text_round_trips(client):
    client.write_ok({"run": "r", "texts": [{"tag": "t", "step": 0, "text": ""}]})
    assert [i["text"] for i in items_of(client, "texts", "t", "r")] == [""]


def test_texts_without_step_count_up_and_are_not_stored_as_blobs(vizd):
    client = vizd.client
    client.write_ok({"run": "r", "texts": [{"tag": "t", "text": "a"}, {"tag": "t", "text": "b"}]})
    client.write_ok({"run": "r", "texts": [{"tag": "t", "text": "a"}]})
    items = items_of(client, "texts", "t", "r")
    assert [(i["step"], i["index"], i["text"]) for i in items] == [(0, 0, "a"), (1, 0, "b"), (2, 0, "a")]
    counts = db_counts(vizd.db_path)
    assert counts["texts"] == 3 and counts["blobs"] == 0, counts


# ---- reads -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["images", "tensors", "texts"])
def test_a_read_of_several_runs_answers_one_series_per_run_in_order(client, kind):
    item = {"images": lambda s: {"data": b64(make_image("png", seed=s))},
            "tensors": lambda s: {"shape": [1], "data": b64(le_bytes([float(s)], "float32"))},
            "texts": lambda s: {"text": "t%d" % s}}[kind]
    client.write_ok({"run": "b", kind: [dict(tag="x", step=1, **item(1))]})
    client.write_ok({"run": "a", kind: [dict(tag="x", step=0, **item(0)), dict(tag="x", step=1, **item(2))]})
    client.write_ok({"run": "c", kind: [dict(tag="other", step=0, **item(3))]})
    resp = client.get("/api/v1/" + kind, params=[("tag", "x"), ("run", "b"), ("run", "c"), ("run", "a")])
    assert resp.status == 200, resp
    assert [s["run"] for s in resp.json["series"]] == ["b", "c", "a"]
    assert [len(s["items"]) for s in resp.json["series"]] == [1, 0, 2]


@pytest.mark.parametrize("kind", ["images", "tensors", "texts"])
def test_a_read_of_an_unknown_run_is_a_404_naming_run(client, kind):
    client.write_ok({"run": "a", "texts": [{"tag": "x", "step": 0, "text": "t"}]})
    assert_error(client.get("/api/v1/" + kind, params={"tag": "x", "run": "nope"}), 404, "not_found", "run")
    assert_error(client.get("/api/v1/" + kind, params={"tag": "x"}), 400, path="run")
    assert_error(client.get("/api/v1/" + kind, params={"run": "a"}), 400, path="tag")


def test_replacing_an_image_or_tensor_removes_its_old_bytes_unless_another_item_uses_them(vizd):
    client = vizd.client
    first, second, kept = (make_image("png", seed=s) for s in (11, 12, 13))
    t_first, t_second = le_bytes(np.arange(4), "float32"), le_bytes(np.arange(4) * 2.5, "float32")
    client.write_ok({"run": "r", "images": [{"tag": "i", "step": 0, "data": b64(first)},
                                            {"tag": "keep", "step": 0, "data": b64(kept)}],
                     "tensors": [{"tag": "t", "step": 0, "shape": [4], "data": b64(t_first)}]})
    old_image_url = items_of(client, "images", "i", "r")[0]["url"]
    assert db_counts(vizd.db_path)["blobs"] == 3
    client.write_ok({"run": "r", "images": [{"tag": "i", "step": 0, "data": b64(second)}],
                     "tensors": [{"tag": "t", "step": 0, "shape": [4], "data": b64(t_second)}]})
    assert db_counts(vizd.db_path)["blobs"] == 3  # first and t_first went, second and t_second came
    assert_error(client.get(old_image_url), 404, "not_found")
    assert_blob(client, items_of(client, "images", "i", "r")[0]["url"], second, "image/png")
    # replacing with bytes another item still shows keeps them
    client.write_ok({"run": "r", "images": [{"tag": "i", "step": 0, "data": b64(kept)}]})
    assert db_counts(vizd.db_path)["blobs"] == 2  # second went; kept is shared by two items now
    client.write_ok({"run": "r", "images": [{"tag": "i", "step": 0, "data": b64(first)}]})
    assert db_counts(vizd.db_path)["blobs"] == 3
    assert_blob(client, items_of(client, "images", "keep", "r")[0]["url"], kept, "image/png")
