"""test_histograms.py -- histograms through the HTTP API: writing (JSON items and raw bodies), reading
(/api/v1/histograms, /api/v1/distributions), step thinning, several runs per read, tags, events, and
every refusal of bad input.

Equality with real PyTorch and TensorBoard, tensor by tensor, is in test_histograms_oracle.py; this file
checks the API's own rules. Refusals run on the module's shared daemon (empty_client): each must answer
4xx with the JSON error whose path names the offending field, and leave the database empty (no run, no
tag) -- a request with one bad item stores nothing.
"""

import struct
import time

import pytest

from harness import EventStream, assert_error, assert_nothing_stored
from histogram_oracle import num, tensorboard_view

BASIS_POINTS = [0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000]


def hist(tag, values, step=None, **extra):
    item = {"tag": tag, "values": values}
    if step is not None:
        item["step"] = step
    item.update(extra)
    return item


def buckets_item(tag, step=0, **overrides):
    item = {"tag": tag, "step": step, "min": 0.0, "max": 3.0, "num": 6, "sum": 9.0, "sum_squares": 17.0,
            "bucket_limits": [0.0, 1.0, 2.0, 3.0], "bucket_counts": [0, 1, 2, 3]}
    item.update(overrides)
    return item


def post_raw(client, params, body):
    return client.post("/api/v1/histograms", body=body, content_type="application/octet-stream", params=params)


def floats32(values):
    return struct.pack("<%df" % len(values), *values)


def floats64(values):
    return struct.pack("<%dd" % len(values), *values)


def read(client, kind, tag, runs, **params):
    if isinstance(runs, str):
        runs = [runs]
    pairs = [("tag", tag)] + [("run", r) for r in runs] + sorted(params.items())
    return client.get("/api/v1/" + kind, params=pairs)


def series_of(client, kind, tag, run, **params):
    resp = read(client, kind, tag, run, **params)
    assert resp.status == 200, resp
    assert resp.json["tag"] == tag
    (series,) = resp.json["series"]
    assert series["run"] == run
    return series


def steps_of(client, tag, run, kind="histograms", **params):
    return [s["step"] for s in series_of(client, kind, tag, run, **params)["steps"]]


# ---- writing ---------------------------------------------------------------------------------------

def test_a_write_answers_how_many_histograms_it_wrote(client):
    answer = client.write_ok({"run": "r", "histograms": [
        hist("a", [1.0, 2.0], step=0), hist("b", [3.0], step=0), buckets_item("c")]})
    assert answer["run"] == "r"
    assert answer["written"]["histograms"] == 3
    assert sorted(client.tags(kind="histograms")["r"]["histograms"]) == ["a", "b", "c"]


def test_a_histogram_without_step_gets_the_tags_last_step_plus_one(client):
    client.write_ok({"run": "r", "histograms": [hist("new", [1.0])]})
    assert steps_of(client, "new", "r") == [0]
    client.write_ok({"run": "r", "histograms": [hist("t", [1.0], step=41)]})
    client.write_ok({"run": "r", "histograms": [hist("t", [2.0]), hist("other", [5.0]), hist("t", [3.0])]})
    assert steps_of(client, "t", "r") == [41, 42, 43]
    assert steps_of(client, "other", "r") == [0]
    resp = post_raw(client, {"run": "r", "tag": "t"}, floats32([4.0]))
    assert resp.status == 200, resp
    assert resp.json["written"]["histograms"] == 1
    assert steps_of(client, "t", "r") == [41, 42, 43, 44]
    # precomputed buckets count up the same way
    client.write_ok({"run": "r", "histograms": [{k: v for k, v in buckets_item("t").items() if k != "step"}]})
    assert steps_of(client, "t", "r") == [41, 42, 43, 44, 45]


def test_the_same_step_written_again_replaces_the_histogram(client):
    client.write_ok({"run": "r", "histograms": [hist("t", [1.0, 1.0], step=5)]})
    client.write_ok({"run": "r", "histograms": [hist("t", [-2.0, 7.0, 7.5], step=5)]})
    series = series_of(client, "histograms", "t", "r")
    assert series["total"] == 1
    (step,) = series["steps"]
    assert (step["step"], num(step["min"]), num(step["max"]), num(step["num"])) == (5, -2.0, 7.5, 3.0)
    assert client.tags(kind="histograms")["r"]["histograms"]["t"]["count"] == 1


def test_wall_time_is_kept_and_defaults_to_the_time_received(client):
    before = time.time()
    client.write_ok({"run": "r", "histograms": [hist("t", [1.0], step=0, wall_time=1764000000.5),
                                                hist("t", [1.0], step=1)]})
    resp = post_raw(client, {"run": "r", "tag": "t", "step": 2}, floats32([1.0]))
    assert resp.status == 200, resp
    after = time.time()
    for kind in ("histograms", "distributions"):
        walls = [s["wall_time"] for s in series_of(client, kind, "t", "r")["steps"]]
        assert walls[0] == 1764000000.5
        assert before - 1 <= walls[1] <= after + 1 and before - 1 <= walls[2] <= after + 1, walls


def test_one_write_may_mix_scalars_and_histograms(client):
    answer = client.write_ok({"run": "r", "scalars": [{"tag": "loss", "step": 3, "value": 0.5}],
                              "histograms": [hist("w", [0.1, 0.2], step=3)]})
    assert answer["written"]["scalars"] == 1 and answer["written"]["histograms"] == 1
    tags = client.tags(run="r")["r"]
    assert list(tags["scalars"]) == ["loss"] and list(tags["histograms"]) == ["w"]


def test_a_histogram_read_answers_every_documented_field(client):
    client.write_ok({"run": "r", "histograms": [hist("t", [1.0, 2.0, 2.0, "NaN", 3.0], step=4,
                                                     wall_time=1764000000.0)]})
    (step,) = series_of(client, "histograms", "t", "r")["steps"]
    assert set(step) == {"step", "wall_time", "min", "max", "num", "sum", "sum_squares", "buckets"}
    assert (num(step["min"]), num(step["max"]), num(step["num"])) == (1.0, 3.0, 4.0)
    assert (num(step["sum"]), num(step["sum_squares"])) == (8.0, 18.0)
    buckets = step["buckets"]
    assert all(len(b) == 3 for b in buckets)
    assert sum(b[2] for b in buckets) == 4
    assert buckets[0][0] == 1.0 and buckets[-1][1] == 3.0
    assert all(b[0] <= b[1] for b in buckets)
    assert all(a[1] == b[0] for a, b in zip(buckets, buckets[1:]))  # contiguous
    (dist,) = series_of(client, "distributions", "t", "r")["steps"]
    assert set(dist) == {"step", "wall_time", "percentiles"}
    assert [p[0] for p in dist["percentiles"]] == BASIS_POINTS
    values = [num(p[1]) for p in dist["percentiles"]]
    assert values[0] == 1.0 and values[-1] == 3.0 and values == sorted(values)


def test_nan_values_are_left_out_and_infinities_count_in_num_min_max_and_sum_only(client):
    client.write_ok({"run": "r", "histograms": [
        hist("t", ["NaN", 1.0, "Infinity", 2.0, "-Infinity", "NaN"], step=0),
        hist("only_nan", ["NaN", "NaN"], step=0)]})
    (step,) = series_of(client, "histograms", "t", "r")["steps"]
    assert num(step["num"]) == 4.0
    assert step["min"] == "-Infinity" and step["max"] == "Infinity"
    assert step["sum"] == "NaN"  # Infinity + -Infinity
    assert sum(b[2] for b in step["buckets"]) == 2  # only 1.0 and 2.0 are in a bucket
    (step,) = series_of(client, "histograms", "only_nan", "r")["steps"]
    assert num(step["num"]) == 0.0 and step["buckets"] == []
    (dist,) = series_of(client, "distributions", "only_nan", "r")["steps"]
    assert [num(p[1]) for p in dist["percentiles"]] == [0.0] * 9


def test_bins_n_gives_n_equal_bins(client):
    values = [float(i) for i in range(100)]  # 0..99 in 10 bins of width 9.9: ten values each
    client.write_ok({"run": "r", "histograms": [hist("json", values, step=0, bins=10)]})
    resp = post_raw(client, {"run": "r", "tag": "raw", "step": 0, "bins": 10, "dtype": "float64"}, floats64(values))
    assert resp.status == 200, resp
    for tag in ("json", "raw"):
        (step,) = series_of(client, "histograms", tag, "r")["steps"]
        buckets = [[num(x) for x in b] for b in step["buckets"]]
        assert len(buckets) == 10, buckets
        assert [b[2] for b in buckets] == [10.0] * 10
        assert buckets[0][0] == 0.0 and buckets[-1][1] == 99.0
        for i, (left, right, _) in enumerate(buckets):
            assert right - left == pytest.approx(9.9, rel=1e-12), (i, left, right)
    # Without bins the same data get TensorBoard's exponential edges: many more buckets.
    client.write_ok({"run": "r", "histograms": [hist("default", values, step=0)]})
    (step,) = series_of(client, "histograms", "default", "r")["steps"]
    assert len(step["buckets"]) > 10
    assert len(step["buckets"]) == len(tensorboard_view(values).buckets)


def test_bins_zero_means_tensorboards_edges(client):
    values = [0.5, 1.5, 2.5, -3.0]
    client.write_ok({"run": "r", "histograms": [hist("a", values, step=0, bins=0), hist("b", values, step=0)]})
    a = series_of(client, "histograms", "a", "r")["steps"][0]
    b = series_of(client, "histograms", "b", "r")["steps"][0]
    assert a["buckets"] == b["buckets"]


# ---- reading: thinning, several runs, unknown runs --------------------------------------------------

@pytest.fixture
def client_250(client):
    """A run with 250 histogram steps 0, 2, 4, ... 498 of one tag."""
    client.write_ok({"run": "r", "histograms": [hist("t", [float(i), i + 0.5], step=2 * i) for i in range(250)]})
    return client


def test_250_steps_are_thinned_to_100_evenly_spread_keeping_the_first_and_the_last(client_250):
    for kind in ("histograms", "distributions"):
        series = series_of(client_250, kind, "t", "r")
        assert series["total"] == 250
        steps = [s["step"] for s in series["steps"]]
        assert len(steps) == 100
        assert steps[0] == 0 and steps[-1] == 498
        assert steps == sorted(set(steps))
        assert set(steps) <= set(range(0, 500, 2))
        # evenly spread: 249 gaps of one step shared among 99 kept gaps, so each is 2 or 3 stored steps
        gaps = {(b - a) // 2 for a, b in zip(steps, steps[1:])}
        assert gaps <= {2, 3}, sorted(gaps)


def test_steps_zero_returns_every_step_and_steps_n_at_most_n(client_250):
    assert steps_of(client_250, "t", "r", steps=0) == list(range(0, 500, 2))
    assert steps_of(client_250, "t", "r", kind="distributions", steps=0) == list(range(0, 500, 2))
    assert steps_of(client_250, "t", "r", steps=1000) == list(range(0, 500, 2))
    ten = steps_of(client_250, "t", "r", steps=10)
    assert len(ten) == 10 and ten[0] == 0 and ten[-1] == 498
    assert steps_of(client_250, "t", "r", steps=2) == [0, 498]
    assert len(steps_of(client_250, "t", "r", steps=249)) == 249
    assert steps_of(client_250, "t", "r", steps=250) == list(range(0, 500, 2))
    # a thinned step is a whole stored step, not a mixture
    series = series_of(client_250, "histograms", "t", "r", steps=10)
    for s in series["steps"]:
        i = s["step"] // 2
        assert (num(s["min"]), num(s["max"]), num(s["num"])) == (float(i), i + 0.5, 2.0)


def test_one_read_answers_several_runs_in_the_order_asked(client):
    client.write_ok({"run": "a", "histograms": [hist("t", [1.0], step=0), hist("t", [2.0], step=1)]})
    client.write_ok({"run": "b", "histograms": [hist("t", [10.0, 20.0], step=5)]})
    client.write_ok({"run": "c", "scalars": [{"tag": "t", "step": 0, "value": 1.0}],
                     "histograms": [hist("other", [1.0], step=0)]})
    for kind in ("histograms", "distributions"):
        resp = read(client, kind, "t", ["b", "c", "a"])
        assert resp.status == 200, resp
        assert resp.json["tag"] == "t"
        series = resp.json["series"]
        assert [s["run"] for s in series] == ["b", "c", "a"]
        assert [s["total"] for s in series] == [1, 0, 2]
        assert [[x["step"] for x in s["steps"]] for s in series] == [[5], [], [0, 1]]


def test_an_unknown_run_is_404_naming_run(client):
    client.write_ok({"run": "a", "histograms": [hist("t", [1.0], step=0)]})
    for kind in ("histograms", "distributions"):
        assert_error(read(client, kind, "t", ["nope"]), 404, "not_found", "run")
        assert_error(read(client, kind, "t", ["a", "nope"]), 404, "not_found", "run")


def test_a_tag_the_run_lacks_gives_an_empty_series(client):
    client.write_ok({"run": "a", "histograms": [hist("t", [1.0], step=0)]})
    series = series_of(client, "histograms", "missing", "a")
    assert series["total"] == 0 and series["steps"] == []


def test_tags_of_kind_histograms_lists_them(client):
    client.write_ok({"run": "a", "histograms": [hist("w/fc1", [1.0], step=3, wall_time=1764000000.0),
                                                hist("w/fc1", [2.0], step=9, wall_time=1764000009.0),
                                                hist("w/fc2", [2.0], step=1)],
                     "scalars": [{"tag": "loss", "step": 0, "value": 1.0}]})
    client.write_ok({"run": "s", "scalars": [{"tag": "loss", "step": 0, "value": 1.0}]})
    tags = client.tags(kind="histograms")
    assert set(tags) == {"a"}
    assert set(tags["a"]) == {"histograms"}
    fc1 = tags["a"]["histograms"]["w/fc1"]
    assert (fc1["count"], fc1["first_step"], fc1["last_step"]) == (2, 3, 9)
    assert fc1["last_wall_time"] == 1764000009.0
    assert set(tags["a"]["histograms"]) == {"w/fc1", "w/fc2"}
    assert client.tags(kind="histograms", run="a") == tags
    assert "histograms" not in client.tags(kind="scalars").get("a", {})
    assert set(client.tags()["a"]) == {"scalars", "histograms"}
    (run,) = [r for r in client.runs() if r["name"] == "a"]
    assert run["counts"]["histograms"] == 3


def subscribe(vizd):
    stream = EventStream(vizd.port)
    try:
        stream.read_headers(timeout=1)
    except TimeoutError:
        pass  # a server may hold the headers back until the first event
    return stream


def test_events_name_the_histograms_kind(vizd):
    client = vizd.client
    with subscribe(vizd) as stream:
        client.write_ok({"run": "r", "histograms": [hist("a", [1.0], step=7), hist("b", [1.0], step=3)]})
        name, data = stream.next_event()
        assert name == "write"
        assert (data["run"], data["kinds"], sorted(data["tags"]), data["last_step"]) == \
            ("r", ["histograms"], ["a", "b"], 7)
        resp = post_raw(client, {"run": "r", "tag": "raw", "step": 11}, floats32([1.0, 2.0]))
        assert resp.status == 200, resp
        name, data = stream.next_event()
        assert (name, data["run"], data["kinds"], data["tags"], data["last_step"]) == \
            ("write", "r", ["histograms"], ["raw"], 11)
        client.write_ok({"run": "r", "scalars": [{"tag": "loss", "step": 1, "value": 1.0}],
                         "histograms": [hist("a", [1.0], step=8)]})
        name, data = stream.next_event()
        assert sorted(data["kinds"]) == ["histograms", "scalars"]
        assert sorted(data["tags"]) == ["a", "loss"]


def test_a_refused_histogram_write_publishes_no_event(vizd):
    client = vizd.client
    with subscribe(vizd) as stream:
        assert client.write({"run": "bad", "histograms": [hist("t", [], step=0)]}).status == 400
        assert post_raw(client, {"run": "bad", "tag": "t"}, b"\0" * 7).status == 400
        client.write_ok({"run": "good", "histograms": [hist("t", [1.0], step=1)]})
        name, data = stream.next_event()
        assert (name, data["run"]) == ("write", "good")


# ---- names -------------------------------------------------------------------------------------------

def test_a_script_tag_is_accepted_and_answered_verbatim(client):
    tag = "<script>alert('x')</script> & \"q\""
    run = "<b>run</b>"
    client.write_ok({"run": run, "histograms": [hist(tag, [1.0], step=0)]})
    resp = post_raw(client, {"run": run, "tag": tag, "step": 1}, floats32([2.0]))
    assert resp.status == 200, resp
    assert resp.json["run"] == run
    assert list(client.tags(kind="histograms")[run]["histograms"]) == [tag]
    for kind in ("histograms", "distributions"):
        resp = read(client, kind, tag, run)
        assert resp.status == 200, resp
        assert resp.content_type.split(";")[0] == "application/json"
        assert resp.json["tag"] == tag and resp.json["series"][0]["run"] == run
        assert [s["step"] for s in resp.json["series"][0]["steps"]] == [0, 1]


def test_a_tag_of_256_bytes_is_accepted(client):
    tag = "é" * 128  # 256 bytes of UTF-8
    client.write_ok({"run": "r", "histograms": [hist(tag, [1.0], step=0)]})
    resp = post_raw(client, {"run": "r", "tag": "t" * 256, "step": 0}, floats32([1.0]))
    assert resp.status == 200, resp
    assert set(client.tags(kind="histograms")["r"]["histograms"]) == {tag, "t" * 256}


# ---- refusals: 4xx naming the field, nothing stored ------------------------------------------------

def refused_write(client, doc, path, status=400, code=None):
    resp = client.write(doc)
    err = assert_error(resp, status, code, path)
    assert_nothing_stored(client)
    return err


def refused_raw(client, params, body, path, status=400, code=None):
    resp = post_raw(client, params, body)
    err = assert_error(resp, status, code, path)
    assert_nothing_stored(client)
    return err


def test_empty_values_are_refused(empty_client):
    refused_write(empty_client, {"run": "r", "histograms": [hist("t", [], step=0)]},
                  "histograms[0].values", code="invalid_value")


@pytest.mark.parametrize("values,path", [
    ("1,2,3", "histograms[0].values"),
    ({"a": 1}, "histograms[0].values"),
    (None, "histograms[0].values"),
    ([1.0, "x"], "histograms[0].values[1]"),
    ([1.0, 2.0, None], "histograms[0].values[2]"),
    ([1.0, [2.0]], "histograms[0].values[1]"),
    ([True], "histograms[0].values[0]"),
    (["nan"], "histograms[0].values[0]"),
])
def test_values_that_are_not_numbers_are_refused_naming_the_value(empty_client, values, path):
    refused_write(empty_client, {"run": "r", "histograms": [hist("t", values, step=0)]}, path, code="invalid_value")


def test_unequal_bucket_arrays_are_refused(empty_client):
    refused_write(empty_client, {"run": "r", "histograms": [
        buckets_item("t", bucket_limits=[1.0, 2.0, 3.0], bucket_counts=[1, 2])]},
        ("histograms[0].bucket_counts", "histograms[0].bucket_limits"), code="invalid_value")


def test_empty_bucket_arrays_are_refused(empty_client):
    refused_write(empty_client, {"run": "r", "histograms": [buckets_item("t", bucket_limits=[], bucket_counts=[])]},
                  ("histograms[0].bucket_limits", "histograms[0].bucket_counts"), code="invalid_value")


@pytest.mark.parametrize("counts,path", [
    ([0, 1, -1, 3], "histograms[0].bucket_counts[2]"),
    ([0, 1, 2, "NaN"], "histograms[0].bucket_counts[3]"),
    ([0, "Infinity", 2, 3], "histograms[0].bucket_counts[1]"),
    ([-0.5, 1, 2, 3], "histograms[0].bucket_counts[0]"),
    ([0, 1, "two", 3], "histograms[0].bucket_counts[2]"),
])
def test_negative_or_non_finite_counts_are_refused_naming_the_count(empty_client, counts, path):
    refused_write(empty_client, {"run": "r", "histograms": [buckets_item("t", bucket_counts=counts)]}, path,
                  code="invalid_value")


@pytest.mark.parametrize("limits,path", [
    ([0.0, 2.0, 1.0, 3.0], "histograms[0].bucket_limits[2]"),
    ([0.0, 1.0, 1.0, 3.0], "histograms[0].bucket_limits[2]"),
    ([3.0, 2.0, 1.0, 0.0], "histograms[0].bucket_limits[1]"),
    ([0.0, 1.0, 2.0, "NaN"], "histograms[0].bucket_limits[3]"),
])
def test_limits_that_do_not_increase_are_refused_naming_the_limit(empty_client, limits, path):
    refused_write(empty_client, {"run": "r", "histograms": [buckets_item("t", bucket_limits=limits)]}, path,
                  code="invalid_value")


@pytest.mark.parametrize("field", ["min", "max", "num", "sum", "sum_squares", "bucket_limits", "bucket_counts"])
def test_a_precomputed_histogram_missing_a_field_is_refused_naming_it(empty_client, field):
    item = buckets_item("t")
    del item[field]
    refused_write(empty_client, {"run": "r", "histograms": [item]}, "histograms[0].%s" % field,
                  code="missing_field")


@pytest.mark.parametrize("overrides,path", [
    ({"min": 5.0}, ("histograms[0].min", "histograms[0].max")),        # min > max
    ({"num": -1}, "histograms[0].num"),
    ({"num": "NaN"}, "histograms[0].num"),
    ({"min": "NaN"}, "histograms[0].min"),
    ({"max": "oops"}, "histograms[0].max"),
    ({"sum": [1]}, "histograms[0].sum"),
    ({"bucket_limits": "0,1,2,3"}, "histograms[0].bucket_limits"),
])
def test_bad_precomputed_summary_fields_are_refused_naming_them(empty_client, overrides, path):
    refused_write(empty_client, {"run": "r", "histograms": [buckets_item("t", **overrides)]}, path,
                  code="invalid_value")


def test_neither_values_nor_buckets_is_refused_naming_a_missing_field(empty_client):
    refused_write(empty_client, {"run": "r", "histograms": [{"tag": "t", "step": 0}]},
                  ("histograms[0].values", "histograms[0].bucket_limits", "histograms[0].min"),
                  code="missing_field")


def test_values_and_bucket_limits_together_are_refused(empty_client):
    item = buckets_item("t")
    item["values"] = [1.0, 2.0]
    refused_write(empty_client, {"run": "r", "histograms": [item]},
                  ("histograms[0].values", "histograms[0].bucket_limits"), code="invalid_value")


@pytest.mark.parametrize("field,value", [
    ("bucket_counts", [0, 1]),
    ("min", -5.0),
    ("max", 9.0),
    ("num", 3),
    ("sum", 1.0),
    ("sum_squares", 2.0),
])
def test_values_with_any_field_of_the_bucket_form_are_refused(empty_client, field, value):
    """The two forms do not mix: a field of the precomputed form beside raw values would be dropped
    silently (the same reason unknown keys are refused), so the request is refused naming it."""
    refused_write(empty_client, {"run": "r", "histograms": [hist("t", [1.0], step=0, **{field: value})]},
                  ("histograms[0].values", "histograms[0].%s" % field), code="invalid_value")


@pytest.mark.parametrize("bins", [-1, 20000, 10001, 2.5, "3", True, None])
def test_bad_bins_in_a_write_are_refused(empty_client, bins):
    refused_write(empty_client, {"run": "r", "histograms": [hist("t", [1.0, 2.0], step=0, bins=bins)]},
                  "histograms[0].bins", code="invalid_value")


@pytest.mark.parametrize("bins", ["-1", "20000", "10001", "2.5", "x", ""])
def test_bad_bins_in_a_raw_upload_are_refused(empty_client, bins):
    refused_raw(empty_client, {"run": "r", "tag": "t", "step": 0, "bins": bins}, floats32([1.0, 2.0]), "bins",
                code="invalid_value")


def test_bins_on_a_precomputed_histogram_is_refused(empty_client):
    """bins says how to bin raw values; beside buckets it would be dropped silently."""
    refused_write(empty_client, {"run": "r", "histograms": [buckets_item("t", bins=5)]},
                  "histograms[0].bins", code="invalid_value")


def test_only_the_last_bad_histogram_of_a_batch_refuses_the_whole_batch(empty_client):
    good = [hist("a", [1.0, 2.0], step=i) for i in range(5)] + [buckets_item("b")]
    refused_write(empty_client, {"run": "r", "scalars": [{"tag": "loss", "step": 0, "value": 1.0}],
                                 "histograms": good + [buckets_item("c", bucket_counts=[0, 1, 2, -3])]},
                  "histograms[6].bucket_counts[3]", code="invalid_value")
    refused_write(empty_client, {"run": "r", "histograms": good + [hist("c", [], step=0)]},
                  "histograms[6].values", code="invalid_value")
    refused_write(empty_client, {"run": "r", "histograms": good + [hist("x" * 300, [1.0], step=0)]},
                  "histograms[6].tag", code="invalid_value")


def test_a_bad_scalar_refuses_the_histograms_of_the_same_write(empty_client):
    refused_write(empty_client, {"run": "r", "histograms": [hist("a", [1.0], step=0)],
                                 "scalars": [{"tag": "loss", "step": 0, "value": "oops"}]},
                  "scalars[0].value", code="invalid_value")


@pytest.mark.parametrize("tag,code", [
    ("x" * 300, "invalid_value"),
    ("x" * 257, "invalid_value"),
    ("", "invalid_value"),
    ("a\nb", "invalid_value"),
    ("a\u007fb", "invalid_value"),
    (7, "invalid_value"),
])
def test_a_bad_tag_is_refused_naming_it(empty_client, tag, code):
    refused_write(empty_client, {"run": "r", "histograms": [hist(tag, [1.0], step=0)]}, "histograms[0].tag",
                  code=code)


def test_a_missing_tag_is_refused_naming_it(empty_client):
    refused_write(empty_client, {"run": "r", "histograms": [{"step": 0, "values": [1.0]}]}, "histograms[0].tag",
                  code="missing_field")


@pytest.mark.parametrize("item,path", [
    ({"tag": "t", "step": 1.5, "values": [1.0]}, "histograms[0].step"),
    ({"tag": "t", "step": "1", "values": [1.0]}, "histograms[0].step"),
    ({"tag": "t", "step": 0, "wall_time": "now", "values": [1.0]}, "histograms[0].wall_time"),
    ({"tag": "t", "step": 0, "values": [1.0], "valuez": [2.0]}, "histograms[0].valuez"),
])
def test_bad_step_wall_time_or_an_unknown_field_is_refused_naming_it(empty_client, item, path):
    refused_write(empty_client, {"run": "r", "histograms": [item]}, path, code="invalid_value")


@pytest.mark.parametrize("histograms,path", [
    ({"tag": "t", "values": [1.0]}, "histograms"),
    ("t", "histograms"),
    ([[1.0, 2.0]], "histograms[0]"),
    ([hist("t", [1.0], step=0), 5], "histograms[1]"),
])
def test_histograms_of_the_wrong_shape_are_refused(empty_client, histograms, path):
    refused_write(empty_client, {"run": "r", "histograms": histograms}, path, code="invalid_value")


@pytest.mark.parametrize("dtype,body", [
    (None, b"\0" * 7),
    ("float32", b"\0" * 7),
    ("float32", b"\0" * 9),
    ("float64", b"\0" * 12),
    ("float64", b"\0" * 4),
])
def test_a_raw_body_that_is_not_whole_floats_is_refused(empty_client, dtype, body):
    params = {"run": "r", "tag": "t", "step": 0}
    if dtype:
        params["dtype"] = dtype
    refused_raw(empty_client, params, body, "body", code="invalid_value")


@pytest.mark.parametrize("dtype", [None, "float32", "float64"])
def test_an_empty_raw_body_is_refused(empty_client, dtype):
    params = {"run": "r", "tag": "t", "step": 0}
    if dtype:
        params["dtype"] = dtype
    refused_raw(empty_client, params, b"", "body", code="invalid_value")


@pytest.mark.parametrize("dtype", ["int8", "float16", "FLOAT32", "f4", "float", ""])
def test_an_unknown_dtype_is_refused(empty_client, dtype):
    refused_raw(empty_client, {"run": "r", "tag": "t", "step": 0, "dtype": dtype}, b"\0" * 16, "dtype",
                code="invalid_value")


@pytest.mark.parametrize("params,path,code", [
    ({"tag": "t", "step": 0}, "run", "missing_field"),
    ({"run": "r", "step": 0}, "tag", "missing_field"),
    ({"run": "r", "tag": "x" * 300, "step": 0}, "tag", "invalid_value"),
    ({"run": "r" * 300, "tag": "t", "step": 0}, "run", "invalid_value"),
    ({"run": "r", "tag": "a\tb", "step": 0}, "tag", "invalid_value"),
    ({"run": "r", "tag": "t", "step": "1.5"}, "step", "invalid_value"),
    ({"run": "r", "tag": "t", "step": "x"}, "step", "invalid_value"),
    ({"run": "r", "tag": "t", "step": "9223372036854775808"}, "step", "invalid_value"),
])
def test_bad_raw_upload_parameters_are_refused_naming_them(empty_client, params, path, code):
    refused_raw(empty_client, params, floats32([1.0]), path, code=code)


@pytest.mark.parametrize("kind", ["histograms", "distributions"])
@pytest.mark.parametrize("params,status,path", [
    ([("run", "r")], 400, "tag"),
    ([("tag", "t")], 400, "run"),
    ([("tag", "t"), ("run", "r"), ("steps", "-1")], 400, "steps"),
    ([("tag", "t"), ("run", "r"), ("steps", "x")], 400, "steps"),
    ([("tag", "x" * 300), ("run", "r")], 400, "tag"),
    ([("tag", "t"), ("run", "nope")], 404, "run"),
])
def test_bad_reads_are_refused_naming_the_parameter(empty_client, kind, params, status, path):
    resp = empty_client.get("/api/v1/" + kind, params=params)
    assert_error(resp, status, path=path)


def test_wrong_methods_are_405(empty_client):
    assert_error(empty_client.request("PUT", "/api/v1/histograms"), 405, "method_not_allowed")
    assert_error(empty_client.post("/api/v1/distributions", json_body={}), 405, "method_not_allowed")
    assert_error(empty_client.delete("/api/v1/distributions"), 405, "method_not_allowed")
