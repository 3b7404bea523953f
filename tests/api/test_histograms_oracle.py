"""test_histograms_oracle.py -- vizd's histograms and distributions against real PyTorch and TensorBoard.

The issue's demand: the same tensors binned by torch's make_histogram (what SummaryWriter.add_histogram
writes) and read back by TensorBoard's own histogram plugin conversion and distribution compressor must
equal vizd's answers. Each tensor goes to a real vizd three ways -- JSON "values", a raw float64 body and,
for float32 data, a raw float32 body -- into three runs, and one GET with all three runs answers them.

How exact (histogram_oracle.py explains the pipeline):
  - buckets: counts exactly; limits exactly. TensorBoard keeps [left, right, count] in a float32 tensor,
    so vizd's doubles must equal TensorBoard's served numbers after rounding to float32, and must equal
    bit for bit the doubles torch's HistogramProto holds (TensorBoard's rule applied without the cast).
  - min, max, num: exactly torch's. sum, sum_squares: to 1e-9 relative. numpy sums pairwise and dot
    products with BLAS, vizd in order; the rounding of any order is bounded by n * eps * sum(|x|), so
    sum is compared relative to sum(|x|), which is |sum| itself unless the data cancel (as 1e21 and
    -1e21 do, where the "true" sum depends on the order and neither side is wrong).
  - distributions: to 1e-6 relative of TensorBoard's compress_histogram over its float32 buckets (the
    float32 rounding of the edges moves a percentile by up to ~1.2e-7 of the bucket's edges), and to
    1e-12 relative of the same TensorBoard function over the unrounded (float64) buckets.

NaN is left out by vizd (server/histogram.c); torch would turn min, max and sum into NaN, so the
oracle for data with NaN is the same data without it. +-Infinity is a value beyond the last edge for
both: counted in num/min/max/sum, in no bucket.
"""

import math
import struct

import numpy as np
import pytest
import torch

from histogram_oracle import (BASIS_POINTS, as_numpy, f32, json_value, make_proto, num, same_float,
                              tensorboard_view, view_of_proto, default_bins)

WALL_TIME = 1764000000.25


# ---- writing the same tensor three ways ------------------------------------------------------------

def post_json(client, run, tag, step, values, bins=None, wall_time=WALL_TIME):
    item = {"tag": tag, "step": step, "wall_time": wall_time,
            "values": [json_value(x) for x in as_numpy(values).tolist()]}
    if bins is not None:
        item["bins"] = bins
    answer = client.write_ok({"run": run, "histograms": [item]})
    assert answer["run"] == run
    assert answer["written"]["histograms"] == 1


def post_raw(client, run, tag, step, values, dtype, bins=None, explicit_dtype=True):
    array = as_numpy(values).astype("<f4" if dtype == "float32" else "<f8")
    params = {"run": run, "tag": tag, "step": step}
    if explicit_dtype or dtype != "float32":
        params["dtype"] = dtype
    if bins is not None:
        params["bins"] = bins
    resp = vizd_post_raw(client, params, array.tobytes())
    assert resp.status == 200, resp
    assert resp.json["run"] == run
    assert resp.json["written"]["histograms"] == 1


def vizd_post_raw(client, params, body):
    return client.post("/api/v1/histograms", body=body, content_type="application/octet-stream", params=params)


def post_every_way(client, tag, step, values, bins=None):
    """Write values as JSON (run "json"), raw float64 ("raw64") and, when they are float32 data, raw
    float32 ("raw32", the default dtype, given no dtype parameter). Returns the runs written."""
    post_json(client, "json", tag, step, values, bins=bins)
    post_raw(client, "raw64", tag, step, values, "float64", bins=bins)
    runs = ["json", "raw64"]
    if as_numpy(values).dtype == np.float32:
        post_raw(client, "raw32", tag, step, values, "float32", bins=bins, explicit_dtype=False)
        runs.append("raw32")
    return runs


def read(client, kind, tag, runs, **params):
    pairs = [("tag", tag)] + [("run", r) for r in runs] + [("steps", 0)] + sorted(params.items())
    resp = client.get("/api/v1/" + kind, params=pairs)
    assert resp.status == 200, resp
    assert resp.content_type.split(";")[0] == "application/json", resp
    assert resp.json["tag"] == tag
    assert [s["run"] for s in resp.json["series"]] == runs
    return resp.json["series"]


# ---- comparing ---------------------------------------------------------------------------------------

def check_stats(step, view, values):
    """min, max, num exactly as torch's proto; sum and sum_squares to 1e-9 (see the module doc)."""
    proto = view.proto
    where = "step %s" % step["step"]
    assert same_float(num(step["min"]), proto.min), (where, step["min"], proto.min)
    assert same_float(num(step["max"]), proto.max), (where, step["max"], proto.max)
    assert num(step["num"]) == proto.num, (where, step["num"], proto.num)
    finite = values[np.isfinite(values)]
    scale = float(np.abs(finite).sum()) if finite.size else 0.0
    got_sum, want_sum = num(step["sum"]), proto.sum
    if math.isfinite(want_sum):
        assert abs(got_sum - want_sum) <= 1e-9 * scale, (where, "sum", got_sum, want_sum)
    else:
        assert same_float(got_sum, want_sum), (where, "sum", got_sum, want_sum)
    got_sq, want_sq = num(step["sum_squares"]), proto.sum_squares
    if math.isfinite(want_sq):
        assert math.isclose(got_sq, want_sq, rel_tol=1e-9, abs_tol=0.0), (where, "sum_squares", got_sq, want_sq)
    else:
        assert same_float(got_sq, want_sq), (where, "sum_squares", got_sq, want_sq)


def check_buckets(step, view):
    got = [[num(x) for x in b] for b in step["buckets"]]
    where = "step %s" % step["step"]
    assert len(got) == len(view.buckets), (where, len(got), len(view.buckets), got[:3], view.buckets[:3])
    for i, (g, tb, exact) in enumerate(zip(got, view.buckets, view.buckets_f64)):
        # TensorBoard stored [left, right, count] as float32: vizd's doubles rounded the same way must
        # be exactly TensorBoard's numbers.
        assert [f32(x) for x in g] == tb, (where, "bucket", i, "vizd", g, "tensorboard (float32)", tb)
        # And before that rounding, the very doubles of torch's HistogramProto.
        assert all(same_float(a, b) for a, b in zip(g, exact)), (where, "bucket", i, "vizd", g, "proto", exact)


def check_percentiles(step, view, rel=1e-6):
    got = step["percentiles"]
    where = "step %s" % step["step"]
    assert [p[0] for p in got] == BASIS_POINTS, got
    for (bp, value), (tb_bp, tb), (_, exact) in zip(got, view.percentiles, view.percentiles_f64):
        value = num(value)
        assert bp == tb_bp
        if math.isnan(tb) or math.isnan(exact):
            # TensorBoard's lerp gives 0 * Infinity = NaN at an infinite edge; vizd gives the end point
            # there (server/histogram.c). Either way the answer must be a number, not "NaN".
            assert not math.isnan(value), (where, bp, value)
            continue
        if math.isinf(tb):
            assert value == tb, (where, bp, "vizd", value, "tensorboard", tb)
            continue
        assert math.isclose(value, tb, rel_tol=rel, abs_tol=0.0), \
            (where, bp, "vizd", value, "tensorboard (float32 buckets)", tb)
        assert math.isclose(value, exact, rel_tol=1e-12, abs_tol=0.0), \
            (where, bp, "vizd", value, "tensorboard's compress_histogram on float64 buckets", exact)


def check_against_tensorboard(client, tag, runs, cases, bins="tensorflow"):
    """cases: [(step, values)] written to every run of runs. Compares both reads of every run."""
    views = {step: tensorboard_view(oracle_values(values), bins) for step, values in cases}
    arrays = {step: as_numpy(values).astype(np.float64) for step, values in cases}
    for series in read(client, "histograms", tag, runs):
        assert series["total"] == len(cases), series["total"]
        assert [s["step"] for s in series["steps"]] == [step for step, _ in cases]
        for s in series["steps"]:
            where = (series["run"], s["step"])
            assert isinstance(s["wall_time"], (int, float)), where
            check_stats(s, views[s["step"]], arrays[s["step"]])
            check_buckets(s, views[s["step"]])
    for series in read(client, "distributions", tag, runs):
        assert series["total"] == len(cases)
        assert [s["step"] for s in series["steps"]] == [step for step, _ in cases]
        for s in series["steps"]:
            check_percentiles(s, views[s["step"]])
    return views


def oracle_values(values):
    """What torch sees: the data as vizd counts it, i.e. without NaN (see the module doc)."""
    array = as_numpy(values)
    return array[~np.isnan(array)]


# ---- the tensors -----------------------------------------------------------------------------------

def test_the_seed_example_equals_tensorboard_for_json_raw_float32_and_raw_float64(client):
    """The tutorial's add_histogram loop: torch.randn((100, 20)) * 1 + mean, one step per mean."""
    torch.manual_seed(0)
    cases = []
    for step, mean in enumerate(range(-10, 10)):
        values = torch.randn((100, 20)) * 1 + mean
        runs = post_every_way(client, "distribution centers", step, values)
        cases.append((step, values))
    assert runs == ["json", "raw64", "raw32"]
    views = check_against_tensorboard(client, "distribution centers", runs, cases)
    # The test means something: each step's 2000 values spread over several of TensorBoard's buckets
    # (hundreds near mean 0, where the edges shrink towards 1e-12).
    assert all(len(v.buckets) >= 4 and sum(b[2] for b in v.buckets) == 2000 for v in views.values())
    assert max(len(v.buckets) for v in views.values()) > 100


def _generator(seed):
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def _edge_values():
    """Values exactly on default edges (numpy puts an edge into the bin it starts, the last edge into
    the last bin), just beside them, and the outermost edges themselves."""
    edges = default_bins()
    picked = [edges[0], edges[1], edges[-1], edges[-2], edges[len(edges) // 2]]
    picked += [edges[i] for i in range(3, len(edges) - 3, 97)]
    beside = [np.nextafter(e, np.inf) for e in picked] + [np.nextafter(e, -np.inf) for e in picked]
    return torch.tensor(picked + beside, dtype=torch.float64)


TENSORS = {
    "uniform": lambda: torch.rand(5000, generator=_generator(1), dtype=torch.float64) * 20 - 10,
    "all_equal": lambda: torch.full((1000,), 3.25, dtype=torch.float64),
    "zeros": lambda: torch.zeros(500, dtype=torch.float64),
    "single_value": lambda: torch.tensor([0.7], dtype=torch.float64),
    "single_negative": lambda: torch.tensor([-123456.789], dtype=torch.float64),
    "mixed_magnitudes": lambda: torch.tensor(
        [1e-13, -1e-13, 1e21, -1e21, 1e-5, 3.0, -7e8, 1e19, 2.5e-12, -0.0, 5e-324, 1e20, 9.99e19,
         -1e-300, 42.0, 1e-12, -1e-12, 123456789.0, -3.3e-7] * 3, dtype=torch.float64),
    "positive_magnitudes": lambda: torch.tensor([1e-13, 1e21, 1e-5, 3.0, 1e19, 7.5e-9], dtype=torch.float64),
    "float32_wide_range": lambda: (torch.randn(4096, generator=_generator(2))
                                   * torch.exp(torch.randn(4096, generator=_generator(3)) * 8)).float(),
    "float32_small": lambda: torch.randn(3000, generator=_generator(4)) * 1e-3,
    "on_and_beside_edges": _edge_values,
    "huge_count": lambda: torch.randn(200_000, generator=_generator(5)),
}


@pytest.mark.parametrize("name", sorted(TENSORS))
def test_a_tensor_equals_tensorboard(client, name):
    values = TENSORS[name]()
    runs = post_every_way(client, name, 7, values)
    check_against_tensorboard(client, name, runs, [(7, values)])


def test_nan_is_left_out_and_infinities_count_in_the_statistics_only(client):
    """NaN is no measurement (vizd's rule; torch would answer NaN for min, max and sum): the answer is
    torch's histogram of the values without NaN. An infinity is beyond the last edge for both: it counts
    in num, max and sum, in no bucket."""
    values = torch.tensor([float("nan"), 1.0, 2.0, float("inf"), -3.5, float("nan"), 0.25, 7e5],
                          dtype=torch.float32)
    runs = post_every_way(client, "nonfinite", 0, values)
    views = check_against_tensorboard(client, "nonfinite", runs, [(0, values)])
    assert views[0].proto.num == 6 and views[0].proto.max == math.inf
    # ... and so do the counts: the buckets hold the 5 finite values.
    series = read(client, "histograms", "nonfinite", runs)
    for s in series:
        assert sum(num(b[2]) for b in s["steps"][0]["buckets"]) == 5


def test_negative_infinity_is_min_and_in_no_bucket(client):
    values = torch.tensor([float("-inf"), 1.5, 2.5, -4.0], dtype=torch.float64)
    runs = post_every_way(client, "neg_inf", 3, values)
    check_against_tensorboard(client, "neg_inf", runs, [(3, values)])


def test_bins_n_gives_n_equal_bins_as_numpy_and_tensorboard(client):
    """bins=N: N equal-width bins from the smallest to the largest value (numpy.histogram(values, N)),
    which SummaryWriter.add_histogram(..., bins=N) also writes."""
    values = torch.rand(3000, generator=_generator(6), dtype=torch.float64) * 6 - 1
    runs = post_every_way(client, "equal", 1, values, bins=12)
    check_against_tensorboard(client, "equal", runs, [(1, values)], bins=12)
    counts, edges = np.histogram(values.numpy(), bins=12)
    for s in read(client, "histograms", "equal", runs):
        buckets = [[num(x) for x in b] for b in s["steps"][0]["buckets"]]
        assert len(buckets) == 12
        assert [b[2] for b in buckets] == counts.tolist()
        # Inner edges are numpy's edges exactly; the outer ones are min and max, as TensorBoard shows.
        assert [b[1] for b in buckets[:-1]] == edges[1:-1].tolist()
        assert buckets[0][0] == values.min().item() and buckets[-1][1] == values.max().item()
        widths = np.diff(edges)
        assert np.allclose(widths, widths[0], rtol=1e-12, atol=0)


@pytest.mark.parametrize("bins", [1, 2, 7, 100, 10000])
def test_bins_n_matches_tensorboard_for_float32_data(client, bins):
    values = torch.randn(2000, generator=_generator(7)) * 3 + 1
    runs = post_every_way(client, "equal32", 0, values, bins=bins)
    check_against_tensorboard(client, "equal32", runs, [(0, values)], bins=bins)


def test_bins_n_on_all_equal_values_widens_the_range_as_numpy_does(client):
    values = torch.full((50,), -2.0, dtype=torch.float64)
    runs = post_every_way(client, "flat", 0, values, bins=5)
    check_against_tensorboard(client, "flat", runs, [(0, values)], bins=5)


# ---- precomputed buckets -----------------------------------------------------------------------------

def post_precomputed(client, run, tag, step, proto):
    item = {"tag": tag, "step": step, "wall_time": WALL_TIME,
            "min": json_value(proto.min), "max": json_value(proto.max), "num": json_value(proto.num),
            "sum": json_value(proto.sum), "sum_squares": json_value(proto.sum_squares),
            "bucket_limits": [json_value(x) for x in proto.bucket_limit],
            "bucket_counts": [json_value(x) for x in proto.bucket]}
    answer = client.write_ok({"run": run, "histograms": [item]})
    assert answer["written"]["histograms"] == 1


def check_precomputed(client, tag, protos):
    for step, proto in enumerate(protos):
        post_precomputed(client, "pre", tag, step, proto)
    views = {step: view_of_proto(proto) for step, proto in enumerate(protos)}
    (series,) = read(client, "histograms", tag, ["pre"])
    assert [s["step"] for s in series["steps"]] == list(range(len(protos)))
    for s in series["steps"]:
        proto = views[s["step"]].proto
        for field in ("min", "max", "num", "sum", "sum_squares"):
            # taken as sent, bit for bit
            assert same_float(num(s[field]), getattr(proto, field)), (s["step"], field, s[field])
        check_buckets(s, views[s["step"]])
    (series,) = read(client, "distributions", tag, ["pre"])
    for s in series["steps"]:
        check_percentiles(s, views[s["step"]])


def test_precomputed_buckets_from_torch_round_trip_as_tensorboard_shows_them(client):
    """make_histogram's proto, sent as min/max/num/sum/sum_squares/bucket_limits/bucket_counts, reads
    back as TensorBoard's data_compat conversion of that very proto."""
    torch.manual_seed(11)
    protos = [tensorboard_view(torch.randn(1000) * s).proto for s in (0.1, 1.0, 100.0)]
    protos.append(tensorboard_view(torch.rand(500, dtype=torch.float64), bins=17).proto)
    check_precomputed(client, "pre/torch", protos)


def test_precomputed_old_style_buckets_with_dbl_max_outer_limits(client):
    """TensorFlow's histogram.cc writes -DBL_MAX and DBL_MAX as outer limits; TensorBoard drops the empty
    end buckets and uses min and max instead. Also: non-empty first and last buckets, whose outer
    edges then are min and max, and empty buckets inside, which stay."""
    dbl_max = np.finfo(np.float64).max
    protos = [
        make_proto(min=-0.5, max=1.5, num=6, sum=3.0, sum_squares=4.5,
                   bucket_limit=[-dbl_max, -1.0, 0.0, 1.0, 2.0, dbl_max], bucket=[0, 0, 2, 0, 4, 0]),
        make_proto(min=-3.0, max=9.0, num=10, sum=12.0, sum_squares=100.0,
                   bucket_limit=[-1.0, 2.0, 4.0], bucket=[3, 0, 7]),
        make_proto(min=1.0, max=1.0, num=5, sum=5.0, sum_squares=5.0,
                   bucket_limit=[0.5, 1.5], bucket=[0, 5]),
        make_proto(min=0.0, max=1.0, num=2.5, sum=1.25, sum_squares=1.0,
                   bucket_limit=[0.25, 0.5, 1.0], bucket=[0.5, 1.5, 0.5]),  # fractional (weighted) counts
    ]
    check_precomputed(client, "pre/old_style", protos)


def test_precomputed_with_every_bucket_empty_has_no_buckets_and_zero_or_max_percentiles(client):
    proto = make_proto(min=0.0, max=0.0, num=0, sum=0.0, sum_squares=0.0, bucket_limit=[1.0, 2.0], bucket=[0, 0])
    post_precomputed(client, "pre", "empty", 0, proto)
    (series,) = read(client, "histograms", "empty", ["pre"])
    assert series["steps"][0]["buckets"] == []
    (series,) = read(client, "distributions", "empty", ["pre"])
    view = view_of_proto(proto)
    assert view.buckets == []
    assert [[bp, num(v)] for bp, v in series["steps"][0]["percentiles"]] == view.percentiles


# ---- one read, several runs; raw float32 vs float64 -----------------------------------------------

def test_float32_body_and_float64_body_of_the_same_float64_data_differ_only_by_the_rounding(client):
    """A raw float32 body carries the data rounded to float32: vizd's histogram of it is torch's
    histogram of the rounded tensor, while the float64 body keeps the data as they are."""
    values = torch.rand(1000, generator=_generator(8), dtype=torch.float64) * 1e3
    post_raw(client, "r32", "t", 0, values, "float32")
    post_raw(client, "r64", "t", 0, values, "float64")
    check_against_tensorboard(client, "t", ["r32"], [(0, values.float())])
    check_against_tensorboard(client, "t", ["r64"], [(0, values)])


def test_a_raw_body_is_little_endian(client):
    values = [1.5, -2.25, 1e-3, 6e7]
    body = b"".join(struct.pack("<f", v) for v in values)
    resp = vizd_post_raw(client, {"run": "r", "tag": "le", "step": 0, "dtype": "float32"}, body)
    assert resp.status == 200, resp
    body = b"".join(struct.pack("<d", v) for v in values)
    resp = vizd_post_raw(client, {"run": "r", "tag": "le", "step": 1, "dtype": "float64"}, body)
    assert resp.status == 200, resp
    check_against_tensorboard(client, "le", ["r"], [(0, torch.tensor(values, dtype=torch.float32)),
                                                    (1, torch.tensor(values, dtype=torch.float64))])


def test_raw_bodies_with_nan_and_infinity_bit_patterns(client):
    nan32 = struct.pack("<I", 0x7FC00001)  # a quiet NaN with payload
    nan32_neg = struct.pack("<I", 0xFFC00000)
    body = nan32 + struct.pack("<f", 2.0) + nan32_neg + struct.pack("<f", float("inf")) + struct.pack("<f", -1.0)
    resp = vizd_post_raw(client, {"run": "r", "tag": "bits", "step": 0}, body)
    assert resp.status == 200, resp
    values = torch.tensor([float("nan"), 2.0, float("nan"), float("inf"), -1.0], dtype=torch.float32)
    check_against_tensorboard(client, "bits", ["r"], [(0, values)])


def test_a_million_raw_float32_values_equal_tensorboard(client):
    """A big layer's weights as one raw body (4 MB), the way a training loop would upload them."""
    values = torch.randn(1_000_000, generator=_generator(9)) * 0.02
    post_raw(client, "big", "fc.weight", 0, values, "float32")
    check_against_tensorboard(client, "fc.weight", ["big"], [(0, values)])
