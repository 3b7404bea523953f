"""test_scalars.py -- GET /api/v1/scalars: runs, step ranges, M4 reduction, export and CSV.

The reduction is the reason vizd exists: TensorBoard's reservoir sample hides a one-step spike, vizd's
M4 envelope (first/min/max/last per step bucket) must never do so. These tests check the bound on the
number of points (at most 4N), that every returned point is a real point, that the extremes survive,
and that points=0 exports everything.
"""

import csv
import io

import pytest

from harness import assert_error, values_of


def write_series(client, run, tag, steps, values, chunk=200_000):
    for i in range(0, len(steps), chunk):
        client.write_ok({"run": run, "scalars": [{"tag": tag, "steps": steps[i:i + chunk],
                                                  "values": values[i:i + chunk]}]})


def assert_real_points_in_step_order(series, stored):
    steps = [p[0] for p in series["points"]]
    assert steps == sorted(set(steps)), "points not in strictly increasing step order"
    for step, _, value in series["points"]:
        assert step in stored, step
        assert value == stored[step], (step, value, stored[step])


def test_several_runs_are_answered_in_one_call(client):
    client.write_ok({"run": "a", "scalars": [{"tag": "loss", "steps": [0, 1], "values": [1.0, 0.5]}]})
    client.write_ok({"run": "b", "scalars": [{"tag": "loss", "steps": [0, 1, 2], "values": [2.0, 1.0, 0.1]}]})
    client.write_ok({"run": "c", "scalars": [{"tag": "loss", "steps": [0], "values": [9.0]}]})
    resp = client.scalars("loss", ["b", "a"])
    assert resp.status == 200, resp
    assert resp.json["tag"] == "loss"
    series = {s["run"]: s for s in resp.json["series"]}
    assert len(resp.json["series"]) == 2 and set(series) == {"a", "b"}
    assert values_of(series["a"]) == {0: 1.0, 1: 0.5}
    assert values_of(series["b"]) == {0: 2.0, 1: 1.0, 2: 0.1}
    assert series["a"]["total"] == 2 and series["b"]["total"] == 3


def test_a_tag_the_run_lacks_gives_an_empty_series(client):
    client.write_ok({"run": "a", "scalars": [{"tag": "loss", "step": 0, "value": 1.0}]})
    series = client.series("nope", "a")
    assert series["points"] == []
    assert series["total"] == 0
    assert series["sampled"] is False


def test_an_unknown_run_is_a_404_naming_run(client):
    client.write_ok({"run": "a", "scalars": [{"tag": "loss", "step": 0, "value": 1.0}]})
    assert_error(client.scalars("loss", "nope"), 404, "not_found", "run")
    assert_error(client.scalars("loss", ["a", "nope"]), 404, "not_found", "run")


def test_a_scalars_query_without_tag_is_a_400_naming_tag(client):
    client.write_ok({"run": "a", "scalars": [{"tag": "loss", "step": 0, "value": 1.0}]})
    assert_error(client.get("/api/v1/scalars", params={"run": "a"}), 400, path="tag")


def test_a_non_numeric_points_parameter_is_a_400_naming_points(client):
    client.write_ok({"run": "a", "scalars": [{"tag": "loss", "step": 0, "value": 1.0}]})
    assert_error(client.scalars("loss", "a", points="lots"), 400, "invalid_value", "points")
    assert_error(client.scalars("loss", "a", points=-1), 400, "invalid_value", "points")


def test_a_non_integer_start_is_a_400_naming_start(client):
    client.write_ok({"run": "a", "scalars": [{"tag": "loss", "step": 0, "value": 1.0}]})
    assert_error(client.scalars("loss", "a", start="1.5"), 400, "invalid_value", "start")
    assert_error(client.scalars("loss", "a", end="soon"), 400, "invalid_value", "end")


def test_start_and_end_limit_the_step_range_inclusively(client):
    steps = list(range(0, 100, 2))
    write_series(client, "r", "t", steps, [float(s) for s in steps])
    series = client.series("t", "r", start=10, end=20)
    assert [p[0] for p in series["points"]] == [10, 12, 14, 16, 18, 20]
    assert series["total"] == 6
    assert [p[0] for p in client.series("t", "r", start=91)["points"]] == [92, 94, 96, 98]
    assert [p[0] for p in client.series("t", "r", end=3)["points"]] == [0, 2]
    assert client.series("t", "r", start=31, end=31)["points"] == []


def test_a_range_with_at_most_n_points_is_returned_whole(client):
    steps = list(range(300))
    write_series(client, "r", "t", steps, [s * 0.5 for s in steps])
    series = client.series("t", "r", points=300)
    assert series["sampled"] is False
    assert series["total"] == 300
    assert values_of(series) == {s: s * 0.5 for s in steps}


def test_points_n_gives_at_most_4n_points_of_the_real_series(client):
    steps = list(range(20_000))
    values = [((s * 7919) % 1000) / 10.0 for s in steps]
    write_series(client, "r", "t", steps, values)
    series = client.series("t", "r", points=50)
    assert series["sampled"] is True
    assert series["total"] == 20_000
    assert 0 < len(series["points"]) <= 200
    assert_real_points_in_step_order(series, dict(zip(steps, values)))
    assert series["points"][0][0] == 0 and series["points"][-1][0] == 19_999


def test_the_reduction_keeps_an_isolated_spike_and_the_minimum(client):
    steps = list(range(100_000))
    values = [0.0] * 100_000
    values[31_337] = 1e6
    values[77_777] = -3.25
    write_series(client, "r", "loss", steps, values)
    series = client.series("loss", "r", points=100)
    assert series["sampled"] is True
    assert series["total"] == 100_000
    assert len(series["points"]) <= 400
    assert_real_points_in_step_order(series, dict(zip(steps, values)))
    got = values_of(series)
    assert got.get(31_337) == 1e6
    assert got.get(77_777) == -3.25
    assert {step for step, value in got.items() if value != 0.0} == {31_337, 77_777}
    assert got.get(0) == 0.0 and got.get(99_999) == 0.0


def test_the_default_reduction_is_to_1000_buckets(client):
    steps = list(range(10_000))
    values = [float(s % 97) for s in steps]
    values[4321] = 1e9
    write_series(client, "r", "t", steps, values)
    series = client.series("t", "r")
    assert series["sampled"] is True
    assert series["total"] == 10_000
    assert len(series["points"]) <= 4000
    assert 1e9 in [p[2] for p in series["points"]]


def test_the_reduction_applies_to_the_requested_range_only(client):
    steps = list(range(10_000))
    values = [0.0] * 10_000
    values[500] = 99.0     # outside the range: must not show
    values[3_333] = 42.0   # inside: must show
    values[3_334] = -42.0
    write_series(client, "r", "t", steps, values)
    series = client.series("t", "r", start=2_000, end=5_999, points=10)
    assert series["total"] == 4_000
    assert series["sampled"] is True
    assert len(series["points"]) <= 40
    assert all(2_000 <= p[0] <= 5_999 for p in series["points"])
    assert series["points"][0][0] == 2_000 and series["points"][-1][0] == 5_999
    got = values_of(series)
    assert got.get(3_333) == 42.0 and got.get(3_334) == -42.0
    assert 99.0 not in got.values()


def test_nan_is_never_a_buckets_minimum_or_maximum(client):
    # One bucket (points=1) over 2000 points: M4 keeps first, min, max, last. A NaN in the middle is
    # neither first nor last, so it must not appear, and it must not hide the real extremes.
    steps = list(range(2_000))
    values = [1.0] * 2_000
    values[1_000] = "NaN"
    values[600] = -5.0
    values[1_400] = 5.0
    write_series(client, "r", "t", steps, values)
    series = client.series("t", "r", points=1)
    assert series["sampled"] is True
    assert len(series["points"]) <= 4
    got = values_of(series)
    assert got == {0: 1.0, 600: -5.0, 1_400: 5.0, 1_999: 1.0}


def test_a_nan_at_a_buckets_edge_is_kept(client):
    steps = list(range(2_000))
    values = [1.0] * 2_000
    values[0] = "NaN"
    values[1_999] = "NaN"
    values[900] = 7.0
    write_series(client, "r", "t", steps, values)
    got = values_of(client.series("t", "r", points=1))
    assert got[0] == "NaN"
    assert got[1_999] == "NaN"
    assert got[900] == 7.0
    assert 1.0 in got.values()


def test_infinities_are_a_buckets_extremes(client):
    steps = list(range(2_000))
    values = [1.0] * 2_000
    values[500] = "Infinity"
    values[1_500] = "-Infinity"
    write_series(client, "r", "t", steps, values)
    got = values_of(client.series("t", "r", points=1))
    assert got == {0: 1.0, 500: "Infinity", 1_500: "-Infinity", 1_999: 1.0}


def test_points_zero_returns_every_point(client):
    steps = list(range(5_000))
    values = [s / 3.0 for s in steps]
    write_series(client, "r", "t", steps, values)
    assert client.series("t", "r")["sampled"] is True
    series = client.series("t", "r", points=0)
    assert series["sampled"] is False
    assert series["total"] == 5_000
    assert values_of(series) == dict(zip(steps, values))
    assert [p[0] for p in series["points"]] == steps


def test_csv_format_answers_text_csv_with_one_line_per_point(client):
    client.write_ok({"run": "a", "scalars": [{"tag": "t", "steps": [0, 1, 2], "values": [0.1, "NaN", "-Infinity"],
                                              "wall_times": [1764000000.5, 1764000001.0, 1764000002.25]}]})
    client.write_ok({"run": "b", "scalars": [{"tag": "t", "steps": [5], "values": [1e-300],
                                              "wall_times": [1764000003.0]}]})
    resp = client.scalars("t", ["a", "b"], format="csv")
    assert resp.status == 200, resp
    assert resp.content_type.split(";")[0].strip() == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.body.decode("utf-8"))))
    assert rows[0] == ["run", "step", "wall_time", "value"]
    body = sorted(rows[1:])
    assert [r[:2] for r in body] == [["a", "0"], ["a", "1"], ["a", "2"], ["b", "5"]]
    assert [float(r[2]) for r in body] == [1764000000.5, 1764000001.0, 1764000002.25, 1764000003.0]
    assert body[0][3] != "" and float(body[0][3]) == 0.1
    assert body[1][3] == "NaN"
    assert body[2][3] == "-Infinity"
    assert float(body[3][3]) == 1e-300


def test_csv_quotes_a_run_name_holding_commas_and_quotes(client):
    run = 'lr=0.1,bs="64"'
    client.write_ok({"run": run, "scalars": [{"tag": "t", "step": 3, "value": 2.5}]})
    resp = client.scalars("t", run, format="csv")
    assert resp.status == 200, resp
    rows = list(csv.reader(io.StringIO(resp.body.decode("utf-8"))))
    assert rows[1][0] == run and rows[1][1] == "3" and float(rows[1][3]) == 2.5


def test_csv_with_points_zero_exports_every_point(client):
    steps = list(range(3_000))
    write_series(client, "r", "t", steps, [float(s) for s in steps])
    resp = client.scalars("t", "r", format="csv", points=0)
    assert resp.status == 200, resp
    rows = list(csv.reader(io.StringIO(resp.body.decode("utf-8"))))
    assert len(rows) == 3_001
    assert [int(r[1]) for r in rows[1:]] == steps


def test_json_format_is_the_default_and_can_be_asked_for(client):
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 0, "value": 1.0}]})
    default = client.scalars("t", "r")
    asked = client.scalars("t", "r", format="json")
    assert default.content_type.split(";")[0].strip() == "application/json"
    assert asked.status == 200 and asked.json == default.json


@pytest.mark.slow
def test_a_million_point_series_reduces_to_at_most_4n_points_with_both_spikes(client):
    n = 1_000_000
    steps = list(range(n))
    values = [0.0] * n
    values[123_457] = 1e6
    values[987_653] = -1e6
    write_series(client, "r", "t", steps, values, chunk=250_000)
    series = client.series("t", "r", points=1000)
    assert series["total"] == n
    assert len(series["points"]) <= 4000
    got = values_of(series)
    assert got[123_457] == 1e6 and got[987_653] == -1e6


def test_a_run_lacking_the_tag_among_several_gets_an_empty_series_of_its_own(client):
    client.write_ok({"run": "a", "scalars": [{"tag": "loss", "step": 0, "value": 1.0}]})
    client.write_ok({"run": "b", "scalars": [{"tag": "acc", "step": 0, "value": 1.0}]})
    resp = client.scalars("loss", ["a", "b"])
    assert resp.status == 200, resp
    series = {s["run"]: s for s in resp.json["series"]}
    assert values_of(series["a"]) == {0: 1.0}
    assert series["b"]["points"] == [] and series["b"]["total"] == 0


def test_interleaved_and_gap_filling_writes_read_back_in_order_and_reduce_exactly(client):
    # Even steps first, then odd ones, then a block of steps inside an earlier gap: the store must
    # merge points that fall between and inside existing blocks.
    evens = list(range(0, 6_000, 2))
    odds = list(range(1, 6_000, 2))
    late = list(range(10_000, 12_000))
    gap = list(range(8_000, 9_000))
    expected = {}
    for steps in (evens, late, odds, gap):
        values = [float(s % 101) for s in steps]
        client.write_ok({"run": "r", "scalars": [{"tag": "t", "steps": steps, "values": values}]})
        expected.update(zip(steps, values))
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 3_001, "value": 1e9},
                                             {"tag": "t", "step": 8_500, "value": -1e9}]})
    expected[3_001], expected[8_500] = 1e9, -1e9
    series = client.series("t", "r", points=0)
    assert [p[0] for p in series["points"]] == sorted(expected)
    assert values_of(series) == expected
    reduced = client.series("t", "r", points=20)
    assert reduced["total"] == len(expected)
    assert len(reduced["points"]) <= 80
    assert_real_points_in_step_order(reduced, expected)
    got = values_of(reduced)
    assert got[3_001] == 1e9 and got[8_500] == -1e9
