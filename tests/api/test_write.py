"""test_write.py -- POST /api/v1/write: both scalar forms, step assignment, rewrites, run metadata.

Each test writes through the API and reads back through the API (/scalars, /runs, /tags), so what is
pinned is the contract of docs/API.md, not the storage layout.
"""

import time

from harness import values_of


def test_a_row_form_scalar_is_stored_and_read_back(client):
    client.write_ok({"run": "r", "scalars": [{"tag": "loss", "step": 100, "value": 0.25,
                                              "wall_time": 1764000000.5}]})
    series = client.series("loss", "r")
    assert series["points"] == [[100, 1764000000.5, 0.25]]
    assert series["total"] == 1
    assert series["sampled"] is False


def test_a_columnar_scalar_item_is_stored_and_read_back(client):
    client.write_ok({"run": "r", "scalars": [{"tag": "acc", "steps": [1, 2, 3], "values": [0.1, 0.2, 0.3],
                                              "wall_times": [1764000000.0, 1764000001.0, 1764000002.0]}]})
    series = client.series("acc", "r")
    assert series["points"] == [[1, 1764000000.0, 0.1], [2, 1764000001.0, 0.2], [3, 1764000002.0, 0.3]]
    assert series["total"] == 3


def test_the_answer_names_the_run_and_counts_the_points_written(client):
    answer = client.write_ok({"run": "mnist/lr=0.1", "scalars": [
        {"tag": "train/loss", "step": 100, "value": 0.25},
        {"tag": "train/acc", "steps": [1, 2, 3], "values": [0.1, 0.2, "NaN"]}]})
    assert answer["run"] == "mnist/lr=0.1"
    assert answer["written"]["scalars"] == 4
    assert set(answer) == {"run", "written"}
    assert all(n == 0 for kind, n in answer["written"].items() if kind != "scalars"), answer


def test_row_and_columnar_items_mix_in_one_request(client):
    client.write_ok({"run": "r", "scalars": [
        {"tag": "t", "step": 0, "value": 1.0},
        {"tag": "t", "steps": [1, 2], "values": [2.0, 3.0]},
        {"tag": "u", "step": 5, "value": 4.0}]})
    assert values_of(client.series("t", "r")) == {0: 1.0, 1: 2.0, 2: 3.0}
    assert values_of(client.series("u", "r")) == {5: 4.0}


def test_a_scalar_without_step_on_a_new_tag_gets_step_zero(client):
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "value": 7.5}]})
    assert values_of(client.series("t", "r")) == {0: 7.5}


def test_scalars_without_step_count_up_in_order_within_one_request(client):
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "value": 1.0}, {"tag": "t", "value": 2.0},
                                             {"tag": "t", "value": 3.0}]})
    assert values_of(client.series("t", "r")) == {0: 1.0, 1: 2.0, 2: 3.0}


def test_a_scalar_without_step_follows_the_tags_last_step(client):
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "steps": [10, 20, 41], "values": [1, 2, 3]}]})
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "value": 4.0}]})
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "value": 5.0}]})
    assert values_of(client.series("t", "r")) == {10: 1, 20: 2, 41: 3, 42: 4.0, 43: 5.0}


def test_step_assignment_is_per_tag_and_per_run(client):
    client.write_ok({"run": "a", "scalars": [{"tag": "t", "step": 50, "value": 1.0}]})
    client.write_ok({"run": "a", "scalars": [{"tag": "u", "value": 2.0}, {"tag": "t", "value": 3.0}]})
    client.write_ok({"run": "b", "scalars": [{"tag": "t", "value": 4.0}]})
    assert values_of(client.series("u", "a")) == {0: 2.0}
    assert values_of(client.series("t", "a")) == {50: 1.0, 51: 3.0}
    assert values_of(client.series("t", "b")) == {0: 4.0}


def test_writing_the_same_step_again_replaces_the_value(client):
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "steps": [1, 2, 3], "values": [1.0, 2.0, 3.0]}]})
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 2, "value": 20.0, "wall_time": 1764000009.0}]})
    series = client.series("t", "r")
    assert values_of(series) == {1: 1.0, 2: 20.0, 3: 3.0}
    assert series["total"] == 3
    assert [p for p in series["points"] if p[0] == 2] == [[2, 1764000009.0, 20.0]]
    assert client.runs()[0]["counts"]["scalars"] == 3
    assert client.tags()["r"]["scalars"]["t"]["count"] == 3


def test_retrying_an_identical_request_stores_it_once(client):
    doc = {"run": "r", "scalars": [{"tag": "t", "steps": [0, 1, 2], "values": [0.5, 0.6, 0.7]}]}
    client.write_ok(doc)
    client.write_ok(doc)
    series = client.series("t", "r")
    assert series["total"] == 3
    assert values_of(series) == {0: 0.5, 1: 0.6, 2: 0.7}


def test_a_rewrite_deep_inside_a_long_series_replaces_only_that_point(client):
    steps = list(range(5000))
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "steps": steps, "values": [float(s) for s in steps]}]})
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 1234, "value": -1.0}]})
    series = client.series("t", "r", points=0)
    assert series["total"] == 5000
    got = values_of(series)
    assert len(got) == 5000
    assert got[1234] == -1.0
    assert all(got[s] == float(s) for s in steps if s != 1234)


def test_points_come_back_in_step_order_whatever_order_they_were_written_in(client):
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "steps": [30, 10, 20], "values": [3, 1, 2]}]})
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 5, "value": 0.5},
                                             {"tag": "t", "step": 25, "value": 2.5}]})
    series = client.series("t", "r")
    assert [p[0] for p in series["points"]] == [5, 10, 20, 25, 30]
    assert [p[2] for p in series["points"]] == [0.5, 1, 2, 2.5, 3]


def test_wall_time_defaults_to_the_time_the_request_was_received(client):
    before = time.time()
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 0, "value": 1.0},
                                             {"tag": "t", "steps": [1], "values": [2.0]}]})
    after = time.time()
    for point in client.series("t", "r")["points"]:
        assert before - 1 <= point[1] <= after + 1, point


def test_hparams_and_description_show_in_runs(client):
    client.write_ok({"run": "mnist/lr=0.1", "description": "baseline",
                     "hparams": {"lr": 0.1, "optimizer": "sgd", "batch": 64, "nesterov": True, "note": None},
                     "scalars": [{"tag": "loss", "step": 0, "value": 1.0}]})
    (run,) = client.runs()
    assert run["name"] == "mnist/lr=0.1"
    assert run["description"] == "baseline"
    assert run["hparams"] == {"lr": 0.1, "optimizer": "sgd", "batch": 64, "nesterov": True, "note": None}
    assert run["counts"]["scalars"] == 1


def test_hparams_holding_lists_and_objects_are_stored_as_given(client):
    # docs/API.md: "hparams": optional object -- nothing restricts its values to scalars.
    hparams = {"layers": [64, 32], "optimizer": {"name": "adam", "betas": [0.9, 0.999]}}
    client.write_ok({"run": "r", "hparams": hparams})
    assert client.runs()[0]["hparams"] == hparams


def test_a_later_write_replaces_hparams_and_description(client):
    client.write_ok({"run": "r", "description": "one", "hparams": {"lr": 0.1, "old": 1},
                     "scalars": [{"tag": "t", "step": 0, "value": 1.0}]})
    client.write_ok({"run": "r", "description": "two", "hparams": {"lr": 0.2}})
    (run,) = client.runs()
    assert run["description"] == "two"
    assert run["hparams"] == {"lr": 0.2}


def test_a_write_without_description_or_hparams_keeps_the_old_ones(client):
    client.write_ok({"run": "r", "description": "kept", "hparams": {"lr": 0.1}})
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 0, "value": 1.0}]})
    (run,) = client.runs()
    assert run["description"] == "kept"
    assert run["hparams"] == {"lr": 0.1}


def test_a_run_written_without_metadata_has_empty_description_and_hparams(client):
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 0, "value": 1.0}]})
    (run,) = client.runs()
    assert run["description"] == ""
    assert run["hparams"] == {}


def test_a_content_type_with_a_charset_is_accepted(client):
    resp = client.post("/api/v1/write", json_body={"run": "r", "scalars": [{"tag": "t", "step": 0, "value": 1}]},
                       content_type="application/json; charset=utf-8")
    assert resp.status == 200, resp
    assert values_of(client.series("t", "r")) == {0: 1}


def test_a_scalar_without_step_follows_an_explicit_step_earlier_in_the_same_request(client):
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 10, "value": 1.0}, {"tag": "t", "value": 2.0}]})
    assert values_of(client.series("t", "r")) == {10: 1.0, 11: 2.0}


def test_rewriting_a_spike_away_removes_it_from_the_reduction(client):
    # The block summaries (min/max) must follow a rewrite, or the old spike haunts every reduced view.
    steps = list(range(20_000))
    values = [0.0] * 20_000
    values[12_345] = 1e6
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "steps": steps, "values": values}]})
    assert 1e6 in values_of(client.series("t", "r", points=10)).values()
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 12_345, "value": 0.5}]})
    got = values_of(client.series("t", "r", points=10))
    assert 1e6 not in got.values()
    assert got.get(12_345) == 0.5
    assert client.series("t", "r", points=10)["total"] == 20_000


def test_rewriting_the_last_step_updates_the_tags_last_value(client):
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "steps": [0, 1], "values": [1.0, 2.0]}]})
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 1, "value": 3.0, "wall_time": 1764000005.0}]})
    summary = client.tags()["r"]["scalars"]["t"]
    assert (summary["count"], summary["last_step"], summary["last_value"], summary["last_wall_time"]) == \
        (2, 1, 3.0, 1764000005.0)


def test_one_request_writing_the_same_step_twice_keeps_the_later_value(client):
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 4, "value": 1.0},
                                             {"tag": "t", "steps": [3, 4], "values": [0.5, 2.0]}]})
    series = client.series("t", "r")
    assert values_of(series) == {3: 0.5, 4: 2.0}
    assert series["total"] == 2


def test_a_request_with_thousands_of_tags_stores_each_with_its_own_steps(client):
    # Items are grouped by tag in the store; each tag's points, and its automatic steps, stay its own.
    items = [{"tag": "layer%d/norm" % (i % 3000), "value": float(i)} for i in range(6000)]
    client.write_ok({"run": "r", "scalars": items})
    tags = client.tags(run="r")["r"]["scalars"]
    assert len(tags) == 3000
    assert tags["layer7/norm"] == {**tags["layer7/norm"], "count": 2, "first_step": 0, "last_step": 1}
    points = client.series("layer7/norm", "r", points=0)["points"]
    assert [(p[0], p[2]) for p in points] == [(0, 7.0), (1, 3007.0)]
