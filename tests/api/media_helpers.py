"""media_helpers.py -- what the image, tensor and text API tests (test_media.py) share.

  make_image(fmt, ...)   real image files made with Pillow (PNG, JPEG, GIF, WebP lossy / lossless /
                         extended), deterministic for a given seed
  b64(bytes)             standard base64 text, as a client puts it in "data"
  items_of(...)          GET /api/v1/images|tensors|texts for one run and tag, checked for shape
  fetch_blob(...)        GET a blob url, asserting 200
  db_counts(path)        rows per media table straight from the SQLite file or PostgreSQL database (blobs,
                         images, tensors, texts, series, runs), for "nothing was stored" and "stored once"
"""

import base64
import io
import sqlite3

import numpy as np
from PIL import Image

import pgcluster

IMAGE_CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}

MEDIA_TABLES = ("runs", "series", "blobs", "images", "tensors", "texts")


def noise(width, height, mode="RGB", seed=0):
    """A width x height Pillow image of seeded noise (so every call with the same seed gives the same
    pixels, and different seeds give different files)."""
    rng = np.random.RandomState(seed)
    channels = {"RGB": 3, "RGBA": 4, "L": 1}[mode]
    pixels = rng.randint(0, 256, size=(height, width, channels), dtype=np.uint8)
    if channels == 1:
        pixels = pixels[:, :, 0]
    return Image.fromarray(pixels, mode)


def make_image(fmt, width=37, height=21, seed=0, mode="RGB", **save_kwargs):
    """The bytes of a real image file. fmt: png, jpeg, gif, webp (lossy, VP8), webp-lossless (VP8L),
    webp-alpha (lossy with alpha: a VP8X extended file), jpeg-progressive."""
    image = noise(width, height, "RGBA" if fmt == "webp-alpha" else mode, seed)
    out = io.BytesIO()
    if fmt == "png":
        image.save(out, "PNG", **save_kwargs)
    elif fmt == "jpeg":
        image.save(out, "JPEG", quality=90, **save_kwargs)
    elif fmt == "jpeg-progressive":
        image.save(out, "JPEG", quality=90, progressive=True, **save_kwargs)
    elif fmt == "gif":
        image.convert("P").save(out, "GIF", **save_kwargs)
    elif fmt == "webp":
        image.save(out, "WEBP", quality=80, **save_kwargs)
    elif fmt == "webp-lossless":
        image.save(out, "WEBP", lossless=True, **save_kwargs)
    elif fmt == "webp-alpha":
        image.save(out, "WEBP", quality=80, **save_kwargs)
    else:
        raise ValueError(fmt)
    return out.getvalue()


def image_type(fmt):
    """The "type" the listing must give for a make_image format."""
    return fmt.split("-")[0]


def b64(data):
    return base64.b64encode(data).decode("ascii")


def items_of(client, kind, tag, run):
    """The items of one (run, tag) from GET /api/v1/<kind>, asserting a well-formed 200 answer."""
    resp = client.get("/api/v1/" + kind, params=[("tag", tag), ("run", run)])
    assert resp.status == 200, resp
    assert resp.content_type.split(";")[0].strip() == "application/json", resp
    assert resp.json["tag"] == tag, resp.json
    (series,) = resp.json["series"]
    assert series["run"] == run, series
    return series["items"]


def fetch_blob(client, url, headers=None):
    assert url.startswith("/api/v1/blobs/"), url
    resp = client.get(url, headers=headers)
    assert resp.status == 200, resp
    return resp


def _connect(db_path):
    return sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)


def db_counts(db_path):
    """{table: row count} for the media tables of a vizd database file (readable while vizd runs:
    WAL lets a reader in beside the writer), or of a PostgreSQL database (the same tables)."""
    if str(db_path).startswith("postgresql://"):
        row = pgcluster.sql(db_path, "SELECT " + ", ".join("(SELECT count(*) FROM %s)" % t for t in MEDIA_TABLES))[0]
        return {table: int(count) for table, count in zip(MEDIA_TABLES, row)}
    conn = _connect(db_path)
    try:
        return {table: conn.execute("SELECT count(*) FROM %s" % table).fetchone()[0] for table in MEDIA_TABLES}
    finally:
        conn.close()
