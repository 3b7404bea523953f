"""test_runs_and_tags.py -- GET/DELETE /api/v1/runs and GET /api/v1/tags with and without filters.

/runs lists runs sorted by name with metadata and points per kind; DELETE removes a run and all it
holds; /tags summarises every series (count, first/last step, last value and wall time), optionally
filtered by run and by kind.
"""

import json
import time

from harness import assert_error, values_of


def write_two_runs(client):
    client.write_ok({"run": "b", "scalars": [{"tag": "loss", "steps": [0, 1, 2], "values": [3.0, 2.0, 1.5],
                                              "wall_times": [1764000000.0, 1764000001.0, 1764000002.5]}]})
    client.write_ok({"run": "a", "scalars": [{"tag": "loss", "step": 7, "value": 0.5, "wall_time": 1764000100.0},
                                             {"tag": "acc", "steps": [3, 9], "values": [0.1, "NaN"],
                                              "wall_times": [1764000001.0, 1764000003.0]}]})


def test_runs_are_listed_sorted_by_name_with_points_per_kind(client):
    write_two_runs(client)
    runs = client.runs()
    assert [r["name"] for r in runs] == ["a", "b"]
    assert runs[0]["counts"]["scalars"] == 3
    assert runs[1]["counts"]["scalars"] == 3
    for run in runs:
        assert {"name", "description", "hparams", "created_at", "updated_at", "counts"} <= set(run)


def test_many_runs_with_several_kinds_each_are_listed_whole(client):
    """Each run is several rows of the store's listing (one per kind, and its graph); PostgreSQL's reads
    them a batch at a time, so a run's rows straddle batch borders here: 45 runs of 3 or 4 rows each."""
    for i in range(45):
        write = {"run": "r%02d" % i, "scalars": [{"tag": "loss", "step": s, "value": s} for s in range(i % 3 + 1)],
                 "texts": [{"tag": "notes", "step": 0, "text": "run %d" % i}]}
        if i % 2:
            write["description"] = "odd run %d" % i
        client.write_ok(write)
    runs = client.runs()
    assert [r["name"] for r in runs] == ["r%02d" % i for i in range(45)]
    for i, run in enumerate(runs):
        assert run["counts"]["scalars"] == i % 3 + 1 and run["counts"]["texts"] == 1, run
        assert run["description"] == ("odd run %d" % i if i % 2 else ""), run


def test_a_runs_created_at_stays_and_updated_at_moves_with_writes(client):
    before = time.time()
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 0, "value": 1.0}]})
    (first,) = client.runs()
    time.sleep(0.05)
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 1, "value": 1.0}]})
    after = time.time()
    (second,) = client.runs()
    assert before - 1 <= first["created_at"] <= first["updated_at"] <= after + 1
    assert second["created_at"] == first["created_at"]
    assert second["updated_at"] > first["updated_at"]
    assert second["updated_at"] <= after + 1


def test_every_kind_of_write_moves_updated_at_and_the_latest_wins(client):
    """A write of scalar points keeps its time in the series it updates, every other write in the run
    (the SQLite store since migration 0011); the run's updated_at is the latest of all of them, and the
    Graph tab asks for a run's graph again when it moves."""
    graph = {"model": "Net", "inputs": [], "edges": [],
             "nodes": [{"id": "0", "module": "", "type": "Net", "parent": None, "output_shape": [1]}]}
    writes = [
        {"run": "r", "scalars": [{"tag": "loss", "step": 0, "value": 1.0}]},
        {"run": "r", "scalars": [{"tag": "acc", "step": 0, "value": 0.5}]},
        {"run": "r", "histograms": [{"tag": "w", "step": 0, "values": [1.0, 2.0]}]},
        {"run": "r", "scalars": [{"tag": "loss", "step": 1, "value": 0.9}]},
        {"run": "r", "graph": graph},
        {"run": "r", "description": "now described"},
        {"run": "r", "scalars": [{"tag": "loss", "step": 2, "value": 0.8}]},
    ]
    seen = []
    for doc in writes:
        time.sleep(0.02)
        before = time.time()
        client.write_ok(doc)
        (run,) = client.runs()
        assert run["updated_at"] >= before - 1, doc
        seen.append(run["updated_at"])
    assert seen == sorted(seen) and len(set(seen)) == len(seen), seen
    (run,) = client.runs()
    assert run["updated_at"] == seen[-1]


def test_an_empty_database_has_no_runs_and_no_tags(client):
    assert client.runs() == []
    assert client.tags() == {}


def test_deleting_a_run_removes_it_its_tags_and_its_points(client):
    write_two_runs(client)
    resp = client.delete("/api/v1/runs", params={"run": "a"})
    assert resp.status == 200, resp
    assert resp.json == {"deleted": "a"}
    assert [r["name"] for r in client.runs()] == ["b"]
    assert set(client.tags()) == {"b"}
    assert_error(client.scalars("loss", "a"), 404, "not_found", "run")


def test_deleting_a_run_leaves_the_other_runs_as_they_were(client):
    write_two_runs(client)
    before = client.series("loss", "b")
    assert client.delete("/api/v1/runs", params={"run": "a"}).status == 200
    assert client.series("loss", "b") == before
    assert client.tags()["b"]["scalars"]["loss"]["count"] == 3


def test_deleting_an_unknown_run_is_a_404(client):
    write_two_runs(client)
    assert_error(client.delete("/api/v1/runs", params={"run": "nope"}), 404, "not_found")
    assert len(client.runs()) == 2


def test_deleting_without_a_run_parameter_is_a_400_naming_run(client):
    write_two_runs(client)
    assert_error(client.delete("/api/v1/runs"), 400, path="run")
    assert len(client.runs()) == 2


def test_a_deleted_run_can_be_written_again_from_scratch(client):
    client.write_ok({"run": "r", "description": "old", "hparams": {"x": 1},
                     "scalars": [{"tag": "t", "steps": [5, 6], "values": [1, 2]}]})
    assert client.delete("/api/v1/runs", params={"run": "r"}).status == 200
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "value": 9.0}]})
    assert values_of(client.series("t", "r")) == {0: 9.0}
    (run,) = client.runs()
    assert run["description"] == "" and run["hparams"] == {}
    assert run["counts"]["scalars"] == 1


def test_tags_summarise_every_series_of_every_run(client):
    write_two_runs(client)
    tags = client.tags()
    assert set(tags) == {"a", "b"}
    assert tags["b"]["scalars"]["loss"] == {"count": 3, "first_step": 0, "last_step": 2, "last_value": 1.5,
                                            "last_wall_time": 1764000002.5}
    assert tags["a"]["scalars"]["loss"] == {"count": 1, "first_step": 7, "last_step": 7, "last_value": 0.5,
                                            "last_wall_time": 1764000100.0}
    assert tags["a"]["scalars"]["acc"] == {"count": 2, "first_step": 3, "last_step": 9, "last_value": "NaN",
                                           "last_wall_time": 1764000003.0}


def test_tags_last_value_is_the_value_at_the_largest_step(client):
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "steps": [10, 20], "values": [1.0, 2.0]}]})
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 15, "value": 1.5}]})
    summary = client.tags()["r"]["scalars"]["t"]
    assert summary["count"] == 3
    assert (summary["first_step"], summary["last_step"], summary["last_value"]) == (10, 20, 2.0)


def test_tags_filtered_by_run_show_only_that_run(client):
    write_two_runs(client)
    tags = client.tags(run="a")
    assert set(tags) == {"a"}
    assert set(tags["a"]["scalars"]) == {"loss", "acc"}


def test_tags_filtered_by_kind_scalars_show_the_scalars(client):
    write_two_runs(client)
    tags = client.tags(kind="scalars")
    assert set(tags) == {"a", "b"}
    assert set(tags["a"]) == {"scalars"}
    assert set(tags["a"]["scalars"]) == {"loss", "acc"}


def test_tags_filtered_by_another_kind_show_no_scalars(client):
    write_two_runs(client)
    tags = client.tags(kind="histograms")
    for run, kinds in tags.items():
        assert "scalars" not in kinds, (run, kinds)


def test_tags_filtered_by_run_and_kind_together(client):
    write_two_runs(client)
    assert client.tags(run="b", kind="scalars") == {"b": {"scalars": {"loss": {
        "count": 3, "first_step": 0, "last_step": 2, "last_value": 1.5, "last_wall_time": 1764000002.5}}}}


def _objects_without_repeated_keys(pairs):
    keys = [key for key, _ in pairs]
    assert len(keys) == len(set(keys)), "a key repeated in one object: %r" % keys
    return dict(pairs)


def test_a_page_of_tags_names_each_run_and_kind_once_when_their_series_interleave(client):
    # Series are created in this order, so in id order (the pages' order) runs and kinds alternate:
    # a page written as the rows come would open "a" (and a's "scalars") twice.
    expected = {}
    for i in range(4):
        for run in ("a", "b"):
            client.write_ok({"run": run, "scalars": [{"tag": "s%d" % i, "steps": [0, 1], "values": [i, i + 0.5]}],
                             "texts": [{"tag": "x%d" % i, "step": 3, "text": "t"}]})
            expected[(run, "scalars", "s%d" % i)] = {"count": 2, "first_step": 0, "last_step": 1,
                                                      "last_value": i + 0.5}
            expected[(run, "texts", "x%d" % i)] = {"count": 1, "first_step": 3, "last_step": 3}
    for params in ({}, {"limit": 16}, {"limit": 5}, {"limit": 3, "kind": "scalars"}, {"limit": 2, "run": "b"}):
        seen, after = {}, None
        while True:
            resp = client.get("/api/v1/tags", params=dict(params, **({"after": after} if after else {})))
            assert resp.status == 200, resp
            page = json.loads(resp.body, object_pairs_hook=_objects_without_repeated_keys)
            rows = [(run, kind, tag, info) for run, kinds in page["runs"].items()
                    for kind, tags in kinds.items() for tag, info in tags.items()]
            assert len(rows) <= params.get("limit", 10000), (params, rows)
            for run, kind, tag, info in rows:
                assert (run, kind, tag) not in seen, (params, run, kind, tag)
                seen[(run, kind, tag)] = {k: v for k, v in info.items() if k != "last_wall_time"}
            after = page["next"]
            if after is None:
                break
        want = {key: value for key, value in expected.items()
                if key[0] == params.get("run", key[0]) and key[1] == params.get("kind", key[1])}
        assert seen == want, params
