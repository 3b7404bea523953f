"""test_scalars_binary.py -- GET /api/v1/scalars?format=binary: the columns of format=columns in bytes.

The binary form exists to make the dashboard's answers smaller and cheaper to read; it must never make them
different. Each test decodes the binary answer (binary_columns.py, written from docs/API.md) and compares
it with format=columns and with the row form from the same real vizd, value for value and bit for bit
(NaN and the infinities against their strings), totals and the sampled flag included; and checks that a
series is sent as float32 exactly when every value of it survives double -> float -> double.
"""

import gzip
import http.client
import json
import math
import random
import struct

import pytest

from binary_columns import MEDIA_TYPE, decode
from harness import assert_error

ALL_FIELDS = "step,value,wall_time"
WORDS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def bits(x):
    """The 8 bytes of an answer's number: strings are the JSON form of NaN and the infinities."""
    return struct.pack("<d", WORDS[x] if isinstance(x, str) else float(x))


def exact_json(resp):
    """The answer as JSON with "-0" kept a negative zero (Python reads it as the integer 0)."""
    return json.loads(resp.body, parse_int=lambda text: -0.0 if text == "-0" else int(text))


def float32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def write_runs(client):
    """Runs that between them take every encoding: a long float32 curve with spikes and non-finite values
    (reduced), a float32 curve with one double among its values, plain doubles, steps far from zero on
    both sides, and a short run sent whole."""
    rng = random.Random(13)
    steps = list(range(0, 60000))
    values = [float32(2.0 / (1 + s * 1e-3) + rng.random() * 0.1) for s in steps]
    values[777] = float32(1e30)
    values[30001] = -float32(1e-45)  # the smallest float32 subnormal
    values[45000] = "NaN"
    values[50000] = "-Infinity"
    walls = [1764000000.0 + s * 0.25 + rng.randrange(1000000) * 1e-6 for s in steps]
    for i in range(0, len(steps), 20000):
        client.write_ok({"run": "float32", "scalars": [{"tag": "loss", "steps": steps[i:i + 20000],
                                                        "values": values[i:i + 20000],
                                                        "wall_times": walls[i:i + 20000]}]})
    mixed = [float32(v) for v in (0.1, 0.2, 0.3, 0.4)] + [0.1] + [float32(0.6)]
    client.write_ok({"run": "mixed", "scalars": [{"tag": "loss", "steps": list(range(6)), "values": mixed}]})
    doubles = [0.1, 0.30000000000000004, 1e-300, 5e-324, 1.7976931348623157e308, 1e21, -0.0, 1e-7,
               9007199254740993.0, "Infinity", 1764000000.123456]
    client.write_ok({"run": "doubles", "scalars": [{"tag": "loss", "steps": list(range(len(doubles))),
                                                    "values": doubles}]})
    big = [-2**63, -2**62, -2**53 - 1, -2**53, -300, -1, 0, 1, 2**31, 2**53 - 1, 2**53, 2**53 + 1, 2**62, 2**63 - 1]
    client.write_ok({"run": "big-steps", "scalars": [{"tag": "loss", "steps": big,
                                                      "values": [float(i) for i in range(len(big))]}]})
    client.write_ok({"run": "short", "scalars": [{"tag": "loss", "steps": [0, 5, 9], "values": [0.1, 0.2, 0.3],
                                                  "wall_times": [1.5, 2.5, 3.5]}]})


def get_binary(client, tag, runs, **params):
    resp = client.scalars(tag, runs, format="binary", **params)
    assert resp.status == 200, resp
    assert resp.content_type == MEDIA_TYPE
    return decode(resp.body)


def assert_same_points(client, runs, tag="loss", fields=ALL_FIELDS, **params):
    """The binary answer against format=columns and the row form; returns the points compared."""
    rows = client.scalars(tag, runs, **params)
    columns = client.scalars(tag, runs, format="columns", fields=fields, **params)
    assert rows.status == 200 and columns.status == 200, (rows, columns)
    binary = get_binary(client, tag, runs, fields=fields, **params)
    rows, columns = exact_json(rows), exact_json(columns)
    assert binary["tag"] == columns["tag"] == tag
    assert [s["run"] for s in binary["series"]] == [s["run"] for s in rows["series"]] == runs
    compared = 0
    for b, c, r in zip(binary["series"], columns["series"], rows["series"]):
        assert (b["total"], b["sampled"]) == (c["total"], c["sampled"]) == (r["total"], r["sampled"])
        assert b["count"] == len(r["points"])
        for key, index in (("steps", 0), ("wall_times", 1), ("values", 2)):
            if key not in c:
                assert key not in b and key not in b["encodings"]
                continue
            assert len(b[key]) == len(c[key]) == b["count"]
            for i, point in enumerate(r["points"]):
                if key == "steps":
                    assert b[key][i] == c[key][i] == point[0], (b["run"], i)
                else:
                    assert bits(b[key][i]) == bits(c[key][i]) == bits(point[index]), (b["run"], key, i)
        compared += b["count"]
    return binary, compared


@pytest.mark.parametrize("points", [1, 7, 1000, 100000])
def test_binary_carries_exactly_the_points_of_columns_and_rows(client, points):
    write_runs(client)
    runs = ["float32", "mixed", "doubles", "big-steps", "short"]
    _, compared = assert_same_points(client, runs, points=points)
    assert compared > 0


def test_values_go_as_float32_only_when_every_one_survives_it(client):
    write_runs(client)
    binary, _ = assert_same_points(client, ["float32", "mixed", "doubles", "big-steps"], points=1000)
    encodings = {s["run"]: s["encodings"] for s in binary["series"]}
    assert encodings["float32"] == {"steps": "zigzag-delta-varint", "wall_times": "float64", "values": "float32"}
    assert encodings["mixed"]["values"] == "float64", "one double among float32 values"
    assert encodings["doubles"]["values"] == "float64"
    assert encodings["big-steps"]["values"] == "float32", "small integers are exact in float32"


def test_the_reduced_binary_keeps_spikes_and_non_finite_values(client):
    write_runs(client)
    (series,) = get_binary(client, "loss", ["float32"], points=100)["series"]
    assert series["sampled"] is True and series["total"] == 60000
    pairs = dict(zip(series["steps"], series["values"]))
    assert pairs[777] == float32(1e30) and bits(pairs[30001]) == bits(-float32(1e-45))
    assert pairs[50000] == -math.inf
    nan_series = get_binary(client, "loss", ["float32"], points=1, start=45000, end=45000)["series"][0]
    assert nan_series["steps"] == [45000] and math.isnan(nan_series["values"][0])


def test_steps_far_from_zero_on_both_sides_round_trip(client):
    write_runs(client)
    (series,) = get_binary(client, "loss", ["big-steps"], points=100)["series"]
    assert series["steps"] == [-2**63, -2**62, -2**53 - 1, -2**53, -300, -1, 0, 1, 2**31, 2**53 - 1, 2**53, 2**53 + 1,
                               2**62, 2**63 - 1]
    # One bucket: its first (and minimum) and last (and maximum) point, 2^64 - 1 apart, a delta that wraps.
    (series,) = get_binary(client, "loss", ["big-steps"], points=1)["series"]
    assert series["steps"] == [-2**63, 2**63 - 1] and series["sampled"] is True


def test_step_ranges_empty_ranges_and_missing_tags(client):
    write_runs(client)
    _, compared = assert_same_points(client, ["float32", "short"], points=300, start=29990, end=45010)
    assert compared > 300
    binary, compared = assert_same_points(client, ["float32", "short"], points=10, start=70000, end=80000)
    assert compared == 0
    for s in binary["series"]:
        assert s["count"] == s["total"] == 0 and s["steps"] == [] and s["values"] == [] and s["wall_times"] == []
    binary, _ = assert_same_points(client, ["short"], tag="nope")
    assert binary["series"][0]["count"] == 0


def test_fields_choose_the_columns_as_for_json_columns(client):
    write_runs(client)
    plain = get_binary(client, "loss", ["short"])["series"][0]
    assert set(plain["encodings"]) == {"steps", "values"} and "wall_times" not in plain
    assert plain["steps"] == [0, 5, 9] and plain["values"] == [0.1, 0.2, 0.3]
    only_walls = get_binary(client, "loss", ["short"], fields="wall_time")["series"][0]
    assert only_walls["encodings"] == {"wall_times": "float64"} and only_walls["wall_times"] == [1.5, 2.5, 3.5]
    for fields in ("value", "wall_time,step", "value,step,wall_time"):
        assert_same_points(client, ["float32", "short"], fields=fields, points=50)


def test_binary_is_under_half_the_bytes_of_json_columns(client):
    write_runs(client)
    columns = client.scalars("loss", ["float32"], format="columns", points=1000)
    binary = client.scalars("loss", ["float32"], format="binary", points=1000)
    assert len(binary.body) < 0.5 * len(columns.body), (len(binary.body), len(columns.body))


def test_binary_is_gzip_compressed_for_a_client_that_accepts_it(client):
    write_runs(client)
    path = client.url("/api/v1/scalars", [("tag", "loss"), ("run", "float32"), ("format", "binary")])
    answers = []
    for headers in ({}, {"Accept-Encoding": "gzip"}):
        conn = http.client.HTTPConnection(client.host, client.port, timeout=30)
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        answers.append((resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()))
        conn.close()
    (status, plain_headers, plain), (gz_status, gz_headers, packed) = answers
    assert status == gz_status == 200
    assert "content-encoding" not in plain_headers and gz_headers["content-encoding"] == "gzip"
    assert plain_headers["vary"] == gz_headers["vary"] == "Accept-Encoding"
    assert gz_headers["content-type"] == plain_headers["content-type"] == MEDIA_TYPE
    assert gzip.decompress(packed) == plain
    assert len(packed) < len(plain)


@pytest.mark.parametrize("params,key", [
    ({"format": "binaries"}, "format"),
    ({"format": "BINARY"}, "format"),
    ({"format": ""}, "format"),
    ({"format": "binary", "points": 0}, "format"),
    ({"format": "binary", "fields": "step,walltime"}, "fields"),
    ({"format": "binary", "fields": ""}, "fields"),
    ({"format": "binary", "fields": "value,value"}, "fields"),
])
def test_bad_binary_parameters_are_a_400_naming_the_key(client, params, key):
    write_runs(client)
    assert_error(client.scalars("loss", ["short"], **params), 400, "invalid_value", key)



def write_tensor_events(logdir, run, dtype_name, patterns):
    """An event file of run whose tag "loss" holds, step after step, scalar tensors of the given raw bit
    patterns (float32 or float64): the bytes reach vizd as they are, NaN payloads included."""
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboard.compat.proto.tensor_pb2 import TensorProto
    from tensorboard.compat.proto.types_pb2 import DT_DOUBLE, DT_FLOAT
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    dtype, pack = (DT_FLOAT, "<I") if dtype_name == "float32" else (DT_DOUBLE, "<Q")
    writer = EventFileWriter(str(logdir / run))
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
    for step, pattern in enumerate(patterns):
        tensor = TensorProto(dtype=dtype, tensor_content=struct.pack(pack, pattern))
        summary = Summary(value=[Summary.Value(tag="loss", metadata=metadata, tensor=tensor)])
        writer.add_event(Event(wall_time=1764000000.5 + step, step=step, summary=summary))
    writer.close()


def imported_binary(vizd_factory, tmp_path, runs):
    """runs: {name: (dtype_name, bit patterns)} written as event files, followed by a vizd, and read back
    in the binary form with every column."""
    from harness import wait_for

    logdir = tmp_path / "runs"
    vizd = vizd_factory(args=["--logdir", str(logdir)])
    for run, (dtype_name, patterns) in runs.items():
        write_tensor_events(logdir, run, dtype_name, patterns)

    def served():
        tags = vizd.client.get("/api/v1/tags").json["runs"]
        return all(tags.get(run, {}).get("scalars", {}).get("loss", {}).get("count") == len(patterns)
                   for run, (_, patterns) in runs.items())

    assert wait_for(served, 5.0), vizd.client.get("/api/v1/tags").json
    return get_binary(vizd.client, "loss", list(runs), fields=ALL_FIELDS)["series"]


def widened(float_bits):
    """The bits of the double a float32 widens to: sign, exponent, the payload shifted up 29 bits."""
    return [struct.unpack("<Q", struct.pack("<d", struct.unpack("<f", struct.pack("<I", b))[0]))[0]
            for b in float_bits]


def value_bits(series):
    return [struct.unpack("<Q", bits(v))[0] for v in series["values"]]


def test_non_finite_values_from_event_files_come_back_bit_for_bit(vizd_factory, tmp_path):
    """Event files carry NaN and the infinities (a diverged loss) and -0; a float32 tensor's values go out
    as float32, widened to exactly the doubles vizd stored."""
    float_bits = [0x7FC00000, 0x7F800000, 0xFF800000, 0x80000000, 0x3F000000]
    (series,) = imported_binary(vizd_factory, tmp_path, {"f32": ("float32", float_bits)})
    assert series["encodings"]["values"] == "float32"
    assert value_bits(series) == widened(float_bits)
    assert series["steps"] == list(range(len(float_bits))) and series["wall_times"][1] == 1764000001.5


@pytest.mark.sqlite_only  # the PostgreSQL store sends values to the server as text: no NaN sign or payload
def test_nan_signs_and_payloads_from_event_files_come_back_bit_for_bit(vizd_factory, tmp_path):
    """The SQLite store keeps a double's 8 bytes, so a NaN's sign and payload come back too: as float32
    when the payload is a float32's (shifted up 29 bits), else the run goes as float64."""
    float_bits = [0xFFC00000, 0x7FC00001, 0x3F000000]
    double_bits = [0x3FF0000000000000, 0x7FF8000000000001, 0xFFF0000000000000]
    f32, f64 = imported_binary(vizd_factory, tmp_path, {"f32": ("float32", float_bits),
                                                        "f64": ("float64", double_bits)})
    assert f32["encodings"]["values"] == "float32" and f64["encodings"]["values"] == "float64"
    assert value_bits(f32) == widened(float_bits)
    assert value_bits(f64) == double_bits
