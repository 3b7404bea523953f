"""test_hparams.py -- GET /api/v1/hparams: per run its hparams and, for chosen scalar tags, the count, the
last point and the lowest and highest value (NaN left out) with the step where each first occurs.

The summaries come from the store's series rows and M4 summaries, not from the points, so they must stay
right whatever the writes did to the blocks: points written out of order, steps overwritten (the old
extreme replaced), series of several blocks, one-point appends (tail blocks), ties, NaN and infinities. Each is checked against the points
themselves (read back with points=0). Without tag= the tags are the metric tags add_hparams recorded.
Bad query values are 400s naming the key; odd names come back byte for byte.
"""

import math
import random

import pytest

from harness import assert_error

WALL = 1764000000.0


def hparams(client, tags=(), runs=(), **extra):
    params = [("tag", t) for t in tags] + [("run", r) for r in runs] + sorted(extra.items())
    resp = client.get("/api/v1/hparams", params=params)
    assert resp.status == 200, resp
    assert resp.content_type.startswith("application/json")
    return resp.json


def summaries(client, tags, runs=()):
    """{run: {tag: summary}} of an answer for those tags."""
    answer = hparams(client, tags, runs)
    assert answer["metrics"] == list(tags)
    return {run["name"]: run["scalars"] for run in answer["runs"]}


def expected_summary(points):
    """What the answer must say of a series, computed from its points [(step, wall_time, value)]: min and
    max of the values but NaN (infinities count), each at the first step holding it."""
    def value(v):
        return v if not isinstance(v, str) else {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[v]

    def as_json(v):
        return v if math.isfinite(v) else ("Infinity" if v > 0 else "-Infinity")
    numbers = [(s, value(v)) for s, _, v in points if not math.isnan(value(v))]
    last = points[-1]
    low = min(numbers, key=lambda p: (p[1], p[0])) if numbers else None
    high = max(numbers, key=lambda p: (p[1], -p[0])) if numbers else None
    return {"count": len(points), "last": {"step": last[0], "value": last[2], "wall_time": last[1]},
            "min": {"step": low[0], "value": as_json(low[1])} if low else None,
            "max": {"step": high[0], "value": as_json(high[1])} if high else None}


def stored_points(client, run, tag):
    resp = client.scalars(tag, run, points=0)
    assert resp.status == 200, resp
    return [tuple(p) for p in resp.json["series"][0]["points"]]


def test_each_run_has_its_hparams_and_the_summary_of_each_asked_tag(client):
    client.write_ok({"run": "a", "hparams": {"lr": 0.1, "optimizer": "sgd"},
                     "scalars": [{"tag": "loss", "steps": [0, 1, 2, 3], "values": [2.0, 0.5, 0.75, 1.0],
                                  "wall_times": [WALL, WALL + 1, WALL + 2, WALL + 3]}]})
    client.write_ok({"run": "b", "hparams": {"lr": 0.01},
                     "scalars": [{"tag": "loss", "step": 5, "value": 3.0, "wall_time": WALL}]})
    answer = hparams(client, ["loss"])
    assert answer == {"metrics": ["loss"], "runs": [
        {"name": "a", "hparams": {"lr": 0.1, "optimizer": "sgd"}, "scalars": {"loss": {
            "count": 4, "last": {"step": 3, "value": 1, "wall_time": WALL + 3},
            "min": {"step": 1, "value": 0.5}, "max": {"step": 0, "value": 2}}}},
        {"name": "b", "hparams": {"lr": 0.01}, "scalars": {"loss": {
            "count": 1, "last": {"step": 5, "value": 3, "wall_time": WALL},
            "min": {"step": 5, "value": 3}, "max": {"step": 5, "value": 3}}}}]}


def test_overwriting_the_lowest_and_highest_points_moves_min_and_max(client):
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "steps": [0, 1, 2, 3], "values": [5.0, -1.0, 9.0, 4.0]}]})
    assert summaries(client, ["t"])["r"]["t"]["min"] == {"step": 1, "value": -1}
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "steps": [1, 2], "values": [6.0, 3.0]}]})
    got = summaries(client, ["t"])["r"]["t"]
    assert (got["count"], got["min"], got["max"]) == (4, {"step": 2, "value": 3}, {"step": 1, "value": 6})
    assert got == expected_summary(stored_points(client, "r", "t"))


def test_points_written_out_of_order_give_the_last_step_not_the_last_written(client):
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "steps": [9, 3], "values": [1.0, 2.0],
                                              "wall_times": [WALL + 9, WALL + 3]}]})
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 5, "value": 0.25, "wall_time": WALL + 5}]})
    got = summaries(client, ["t"])["r"]["t"]
    assert got["last"] == {"step": 9, "value": 1, "wall_time": WALL + 9}
    assert got["min"] == {"step": 5, "value": 0.25}
    assert got == expected_summary(stored_points(client, "r", "t"))


def test_a_tie_names_the_first_step_of_the_extreme_even_across_blocks(client):
    values = [1.0] * 3000
    values[2500] = values[1500] = values[100] = -7.0
    values[2999] = values[2000] = 8.0
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "steps": list(range(3000)), "values": values}]})
    got = summaries(client, ["t"])["r"]["t"]
    assert got["min"] == {"step": 100, "value": -7} and got["max"] == {"step": 2000, "value": 8}


def test_random_writes_overwrites_and_orders_over_many_blocks_match_the_points(client):
    rng = random.Random(11)
    for round_ in range(8):
        steps = rng.sample(range(6000), rng.randint(1, 2500))  # unordered, overwriting earlier rounds
        values = [rng.choice([rng.gauss(0, 10), rng.uniform(-1e6, 1e6), "NaN", "Infinity", "-Infinity", 0.0])
                  if rng.random() < 0.05 else rng.gauss(0, 1) for _ in steps]
        client.write_ok({"run": "r", "scalars": [{"tag": "t", "steps": steps, "values": values,
                                                  "wall_times": [WALL + round_] * len(steps)}]})
        assert summaries(client, ["t"])["r"]["t"] == expected_summary(stored_points(client, "r", "t"))


def test_one_point_appends_and_a_long_series_of_many_blocks_match_the_points(client):
    steps = list(range(30_000))
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "steps": steps, "values": [math.sin(s / 97) for s in steps]}]})
    for i in range(40):  # one point a request: the store keeps these as tail blocks for a while
        client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 30_000 + i, "value": -2.0 if i == 17 else 0.5}]})
    got = summaries(client, ["t"])["r"]["t"]
    assert got["min"] == {"step": 30_017, "value": -2}
    assert got == expected_summary(stored_points(client, "r", "t"))
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "steps": [12_345, 30_017], "values": [7.5, 0.0]}]})
    got = summaries(client, ["t"])["r"]["t"]
    assert got["max"] == {"step": 12_345, "value": 7.5} and -1 <= got["min"]["value"] < -0.99
    assert got == expected_summary(stored_points(client, "r", "t"))


def test_nan_is_never_min_or_max_but_can_be_last_and_infinities_count(client):
    client.write_ok({"run": "r", "scalars": [
        {"tag": "only_nan", "steps": [0, 1], "values": ["NaN", "NaN"]},
        {"tag": "mixed", "steps": [0, 1, 2, 3], "values": ["NaN", 2.0, "Infinity", "NaN"]},
        {"tag": "low", "steps": [0, 1, 2], "values": [1.0, "-Infinity", "-Infinity"]}]})
    got = summaries(client, ["only_nan", "mixed", "low"])["r"]
    assert got["only_nan"]["min"] is None and got["only_nan"]["max"] is None
    assert got["only_nan"]["last"]["value"] == "NaN"
    assert got["mixed"]["min"] == {"step": 1, "value": 2}
    assert got["mixed"]["max"] == {"step": 2, "value": "Infinity"}
    assert got["mixed"]["last"]["value"] == "NaN"
    assert got["low"]["min"] == {"step": 1, "value": "-Infinity"} and got["low"]["max"] == {"step": 0, "value": 1}


def test_runs_without_hparams_or_without_the_tag_are_listed_with_what_they_have(client):
    client.write_ok({"run": "plain", "scalars": [{"tag": "other", "step": 0, "value": 1.0}]})
    client.write_ok({"run": "tuned", "hparams": {"lr": 0.1}, "scalars": [{"tag": "acc", "step": 0, "value": 0.5}]})
    answer = hparams(client, ["acc"])
    assert [(r["name"], r["hparams"], list(r["scalars"])) for r in answer["runs"]] == [
        ("plain", {}, []), ("tuned", {"lr": 0.1}, ["acc"])]


def test_without_tags_the_metric_tags_add_hparams_recorded_are_summarised(client):
    client.write_ok({"run": "t1", "hparams": {"lr": 0.1, "metrics": ["hparam/acc", "hparam/loss"]},
                     "scalars": [{"tag": "hparam/acc", "step": 0, "value": 0.9},
                                 {"tag": "hparam/loss", "step": 0, "value": 0.3},
                                 {"tag": "train/loss", "step": 0, "value": 0.3}]})
    client.write_ok({"run": "t2", "hparams": {"lr": 0.2, "metrics": ["hparam/acc", "hparam/f1", 3]},
                     "scalars": [{"tag": "hparam/acc", "step": 0, "value": 0.8}]})
    client.write_ok({"run": "t3", "scalars": [{"tag": "hparam/f1", "step": 0, "value": 0.1}]})
    answer = hparams(client)
    assert answer["metrics"] == ["hparam/acc", "hparam/loss", "hparam/f1"]
    assert "more_metrics" not in answer
    assert {r["name"]: sorted(r["scalars"]) for r in answer["runs"]} == {
        "t1": ["hparam/acc", "hparam/loss"], "t2": ["hparam/acc"], "t3": ["hparam/f1"]}
    # Asked for by name, only those runs, in the order asked; their own metric tags.
    answer = hparams(client, runs=["t2", "t1"])
    assert [r["name"] for r in answer["runs"]] == ["t2", "t1"]
    assert answer["metrics"] == ["hparam/acc", "hparam/f1", "hparam/loss"]


def test_more_metric_tags_than_the_limit_are_cut_and_say_so(client):
    tags = ["m%03d" % i for i in range(70)]
    client.write_ok({"run": "r", "hparams": {"metrics": tags},
                     "scalars": [{"tag": t, "step": 0, "value": 1.0} for t in tags]})
    answer = hparams(client)
    assert answer["metrics"] == tags[:64] and answer["more_metrics"] is True
    assert sorted(answer["runs"][0]["scalars"]) == tags[:64]


def test_torch_add_hparams_metric_tags_are_the_default(vizd_factory, tmp_path):
    from torch.utils.tensorboard import SummaryWriter
    logdir = tmp_path / "logs"
    with SummaryWriter(str(logdir)) as writer:
        writer.add_hparams({"lr": 0.1, "optimizer": "sgd"}, {"hparam/accuracy": 0.75, "hparam/loss": 0.5},
                           run_name="trial0")
    vizd = vizd_factory(args=["--import", str(logdir)])
    answer = hparams(vizd.client)
    assert answer["metrics"] == ["hparam/accuracy", "hparam/loss"]
    (trial,) = [r for r in answer["runs"] if r["name"] == "trial0"]
    assert trial["hparams"]["lr"] == 0.1 and trial["hparams"]["optimizer"] == "sgd"
    assert trial["scalars"]["hparam/accuracy"]["last"]["value"] == 0.75
    assert trial["scalars"]["hparam/loss"]["min"]["value"] == 0.5


@pytest.mark.slow
def test_a_thousand_runs_in_one_answer(client):
    for i in range(1000):
        client.write_ok({"run": "sweep/%04d" % i, "hparams": {"lr": i / 1000, "metrics": ["acc"]},
                         "scalars": [{"tag": "acc", "steps": [0, 1, 2], "values": [i, i + 2, i + 1]}]})
    answer = hparams(client)
    assert len(answer["runs"]) == 1000
    for i, run in enumerate(answer["runs"]):
        assert run["name"] == "sweep/%04d" % i
        got = run["scalars"]["acc"]
        assert (got["last"]["value"], got["min"]["value"], got["max"]["value"]) == (i + 1, i, i + 2)


# ---- bad query values ---------------------------------------------------------------------------

@pytest.mark.parametrize("key, value", [
    ("tag", ""), ("tag", "a\x01b"), ("tag", "x" * 300), ("tag", "\x7f"),
    ("run", ""), ("run", "r" * 257), ("run", "a\nb"),
])
def test_a_bad_name_is_a_400_naming_its_key(empty_client, key, value):
    assert_error(empty_client.get("/api/v1/hparams", params={key: value}), 400, "invalid_value", key)


def test_invalid_utf8_in_a_tag_is_a_400_naming_tag(empty_client):
    assert_error(empty_client.get("/api/v1/hparams?tag=%C3%28"), 400, "invalid_value", "tag")


def test_more_than_64_tags_is_a_400_naming_tag(empty_client):
    params = [("tag", "t%d" % i) for i in range(65)]
    assert_error(empty_client.get("/api/v1/hparams", params=params), 400, "too_many_items", "tag")


def test_an_unknown_key_is_a_400_naming_it(empty_client):
    assert_error(empty_client.get("/api/v1/hparams", params={"tags": "x"}), 400, "invalid_value", "tags")


def test_an_unknown_run_is_a_404_naming_run(empty_client):
    empty_client.write_ok({"run": "there", "scalars": [{"tag": "t", "step": 0, "value": 1.0}]})
    assert_error(empty_client.get("/api/v1/hparams", params=[("run", "there"), ("run", "gone")]), 404,
                 "not_found", "run")


# ---- odd names ----------------------------------------------------------------------------------

def test_odd_names_and_hparams_come_back_byte_for_byte(client):
    run = "<script>alert(1)</script>/ünïcødé 🚀"
    tag = "métrique/<b>ĉ</b>/" + "é" * 100  # 220 bytes of UTF-8
    long_key = "k" * 256  # hparam names follow the name rules too; 300 bytes is refused (the 400 tests)
    hp = {long_key: "<img src=x onerror=alert(1)>" + "v" * 300, "名前": "値", "metrics": [tag]}
    client.write_ok({"run": run, "hparams": hp, "scalars": [{"tag": tag, "steps": [0, 1], "values": [2.0, 1.0]}]})
    for answer in (hparams(client), hparams(client, [tag], [run])):
        assert answer["metrics"] == [tag]
        (got,) = answer["runs"]
        assert got["name"] == run and got["hparams"] == hp
        assert got["scalars"][tag]["min"] == {"step": 1, "value": 1}


def test_a_deleted_run_leaves_the_answer(client):
    client.write_ok({"run": "a", "scalars": [{"tag": "t", "step": 0, "value": 1.0}]})
    client.write_ok({"run": "b", "scalars": [{"tag": "t", "step": 0, "value": 1.0}]})
    assert client.delete("/api/v1/runs", params={"run": "a"}).status == 200
    assert [r["name"] for r in hparams(client, ["t"])["runs"]] == ["b"]
