"""test_scalars_columns.py -- GET /api/v1/scalars?format=columns: the same points as the row form, in arrays.

The columnar form exists to make the dashboard's answers smaller; it must never make them different. Each
test reads both forms from one real vizd and compares them point by point, bit for bit (NaN and the
infinities as their strings), including totals and the sampled flag.
"""

import random
import struct

import pytest

from harness import assert_error

ALL_FIELDS = "step,value,wall_time"


def same(a, b):
    """Two answer values are the same: equal strings ("NaN"...), or the same double bit for bit."""
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return struct.pack("<d", float(a)) == struct.pack("<d", float(b))


def float32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def write_runs(client):
    """Three runs: a long float32 curve with spikes and non-finite values (reduced), a short one (sent
    whole), and one with awkward doubles; wall times with microseconds."""
    rng = random.Random(13)
    steps = list(range(0, 60000))
    values = [float32(2.0 / (1 + s * 1e-3) + rng.random() * 0.1) for s in steps]
    values[777] = 1e30
    values[30001] = -5e-324
    values[45000] = "NaN"
    values[50000] = "-Infinity"
    walls = [1764000000.0 + s * 0.25 + rng.randrange(1000000) * 1e-6 for s in steps]
    for i in range(0, len(steps), 20000):
        client.write_ok({"run": "long", "scalars": [{"tag": "loss", "steps": steps[i:i + 20000],
                                                     "values": values[i:i + 20000],
                                                     "wall_times": walls[i:i + 20000]}]})
    client.write_ok({"run": "short", "scalars": [{"tag": "loss", "steps": [0, 5, 9], "values": [0.1, 0.2, 0.3],
                                                  "wall_times": [1.5, 2.5, 3.5]}]})
    awkward = [0.1, 0.30000000000000004, 1e-300, 5e-324, 1.7976931348623157e308, 1e21, -0.0, 1e-7,
               float32(0.1), 9007199254740993.0, "Infinity"]
    client.write_ok({"run": "awkward", "scalars": [{"tag": "loss", "steps": list(range(len(awkward))),
                                                    "values": awkward}]})


def assert_same_points(client, runs, **params):
    rows = client.scalars("loss", runs, **params)
    columns = client.scalars("loss", runs, format="columns", fields=ALL_FIELDS, **params)
    assert rows.status == 200, rows
    assert columns.status == 200, columns
    assert rows.json["tag"] == columns.json["tag"] == "loss"
    assert [s["run"] for s in rows.json["series"]] == [s["run"] for s in columns.json["series"]] == runs
    compared = 0
    for row_series, column_series in zip(rows.json["series"], columns.json["series"]):
        assert "points" not in column_series
        assert row_series["total"] == column_series["total"]
        assert row_series["sampled"] == column_series["sampled"]
        points = row_series["points"]
        assert len(column_series["steps"]) == len(column_series["wall_times"]) == len(column_series["values"]) == len(points)
        for i, (step, wall, value) in enumerate(points):
            assert column_series["steps"][i] == step, (row_series["run"], i)
            assert same(column_series["wall_times"][i], wall), (row_series["run"], i)
            assert same(column_series["values"][i], value), (row_series["run"], i, column_series["values"][i], value)
        compared += len(points)
    return compared


@pytest.mark.parametrize("points", [1, 7, 1000, 100000])
def test_columns_carry_exactly_the_points_of_the_row_form(client, points):
    write_runs(client)
    compared = assert_same_points(client, ["long", "short", "awkward"], points=points)
    assert compared > 0


def test_columns_and_rows_agree_on_a_step_range_too(client):
    write_runs(client)
    assert assert_same_points(client, ["long", "short"], points=300, start=29990, end=45010) > 300


def test_the_reduced_columns_keep_the_spikes(client):
    write_runs(client)
    series = client.series("loss", "long", format="columns", points=100)
    assert series["sampled"] is True and series["total"] == 60000
    pairs = dict(zip(series["steps"], series["values"]))
    assert pairs[777] == 1e30 and pairs[30001] == -5e-324 and pairs[50000] == "-Infinity"


def test_columns_leave_wall_times_out_unless_asked(client):
    write_runs(client)
    plain = client.series("loss", "short", format="columns")
    assert set(plain) == {"run", "steps", "values", "total", "sampled"}
    assert plain["steps"] == [0, 5, 9] and plain["values"] == [0.1, 0.2, 0.3]
    with_walls = client.series("loss", "short", format="columns", fields="wall_time,value,step")
    assert with_walls["wall_times"] == [1.5, 2.5, 3.5]
    only_values = client.series("loss", "short", format="columns", fields="value")
    assert set(only_values) == {"run", "values", "total", "sampled"}


def test_a_tag_the_run_lacks_gives_empty_columns(client):
    write_runs(client)
    series = client.series("nope", "short", format="columns", fields=ALL_FIELDS)
    assert series["steps"] == [] and series["wall_times"] == [] and series["values"] == []
    assert series["total"] == 0


def test_columns_are_much_smaller_than_rows_without_wall_times(client):
    write_runs(client)
    rows = client.scalars("loss", ["long"], points=1000)
    columns = client.scalars("loss", ["long"], format="columns", points=1000)
    assert len(columns.body) < 0.7 * len(rows.body), (len(columns.body), len(rows.body))


@pytest.mark.parametrize("params,key", [
    ({"format": "column"}, "format"),
    ({"format": "columns", "points": 0}, "format"),
    ({"format": "columns", "fields": "step,walltime"}, "fields"),
    ({"format": "columns", "fields": ""}, "fields"),
    ({"format": "columns", "fields": "step,"}, "fields"),
    ({"format": "columns", "fields": "value,value"}, "fields"),
    ({"fields": "step,value"}, "fields"),
    ({"format": "csv", "fields": "step"}, "fields"),
])
def test_bad_columnar_parameters_are_a_400_naming_the_key(client, params, key):
    write_runs(client)
    assert_error(client.scalars("loss", ["short"], **params), 400, "invalid_value", key)
