"""test_copy.py -- `vizd --db SOURCE --copy-to TARGET` moves a history from SQLite to PostgreSQL and back.

A real daemon fills a SQLite file with every kind of data (scalars with NaN and the infinities,
histograms, an image, a tensor, texts, a graph, hparams and a description); the copy runs as the CLI
does it; then a daemon on the target answers the same as one on the source: the status counts, the
runs (all but their times, which are the copy's), the tags, every point, histogram, item (blob URLs
included: a blob is named by its content in every database) and graph. The copy back into a new SQLite
file answers the same again.
"""

import struct

from harness import run_vizd
from media_helpers import b64, make_image


def fill(client):
    client.write_ok({"run": "mnist/a", "description": "first", "hparams": {"lr": 0.1, "metrics": ["loss"]},
                     "scalars": [{"tag": "loss", "steps": list(range(2500)),
                                  "values": [("NaN" if i % 97 == 0 else "Infinity" if i % 101 == 0 else i * 0.25)
                                             for i in range(2500)]},
                                 {"tag": "acc", "value": 0.5}],
                     "histograms": [{"tag": "w", "step": s, "values": [s, s + 1.5, 2.0]} for s in range(3)],
                     "images": [{"tag": "img", "step": 1, "data": b64(make_image("png", seed=3))}],
                     "tensors": [{"tag": "t", "step": 0, "shape": [2], "data": b64(struct.pack("<2f", 1, 2))}],
                     "texts": [{"tag": "notes", "step": 2, "text": "hello"}]})
    client.write_ok({"run": "mnist/a", "graph": {"model": "Net", "inputs": [], "edges": [], "nodes": [
        {"id": "0", "module": "", "type": "Net", "parent": None, "output_shape": [1]}]}})
    client.write_ok({"run": "b", "scalars": [{"tag": "loss", "value": 1.0}]})


def answers(client):
    """What the API says about everything stored, without what differs by backend or copy time."""
    status = client.get("/api/v1/status").json
    for key in ("db_path", "db_bytes", "scalar_blocks", "uptime_s", "version"):
        status.pop(key, None)
    runs = client.get("/api/v1/runs").json["runs"]
    for run in runs:
        run.pop("created_at")
        run.pop("updated_at")
    tags = client.get("/api/v1/tags").json
    for run_tags in tags["runs"].values():
        for series in run_tags.values():
            for info in series.values():
                info.pop("last_wall_time", None)  # of the last write: the same point's wall time
    out = {"status": status, "runs": runs, "tags": tags}
    for run, kinds in tags["runs"].items():
        for kind, series in kinds.items():
            for tag in series:
                params = {"run": run, "tag": tag}
                if kind == "scalars":
                    out[(run, kind, tag)] = client.get("/api/v1/scalars", params=dict(params, points="0")).json
                else:
                    out[(run, kind, tag)] = client.get("/api/v1/" + kind, params=params).json
        graph = client.get("/api/v1/graph", params={"run": run})
        out[(run, "graph")] = graph.json if graph.status == 200 else graph.status
    return out


def copy(source, target):
    rc, _, stderr = run_vizd(["--db", str(source), "--copy-to", str(target)], timeout=120)
    assert rc == 0, stderr
    assert "copied 2 runs" in stderr, stderr
    return stderr


def test_a_history_copied_to_another_file_answers_the_same(vizd_factory, tmp_path):
    source = tmp_path / "source.sqlite"
    daemon = vizd_factory(db=source)
    fill(daemon.client)
    expected = answers(daemon.client)
    daemon.stop()
    target = tmp_path / "target.sqlite"
    stderr = copy(source, target)
    assert "2502 scalar points" in stderr, stderr
    assert answers(vizd_factory(db=target).client) == expected


def test_a_history_copied_to_postgresql_and_back_answers_the_same(vizd_factory, tmp_path, pg_url):
    source = tmp_path / "source.sqlite"
    daemon = vizd_factory(db=source)
    fill(daemon.client)
    expected = answers(daemon.client)
    assert expected["status"]["scalar_points"] == 2502 and expected["status"]["blobs"] == 2
    daemon.stop()

    copy(source, pg_url)
    on_postgresql = vizd_factory(db=pg_url)
    assert answers(on_postgresql.client) == expected
    on_postgresql.stop()

    back = tmp_path / "back.sqlite"
    copy(pg_url, back)
    assert answers(vizd_factory(db=back).client) == expected


def test_copying_into_a_file_that_is_not_a_vizd_database_fails_and_says_why(vizd_factory, tmp_path):
    source = tmp_path / "source.sqlite"
    vizd_factory(db=source).client.write_ok({"run": "r", "scalars": [{"tag": "t", "value": 1.0}]})
    target = tmp_path / "not-vizd.txt"
    target.write_text("hello, not a database")
    rc, _, stderr = run_vizd(["--db", str(source), "--copy-to", str(target)])
    assert rc == 1
    assert "--copy-to" in stderr and "not a" in stderr, stderr
    assert target.read_text() == "hello, not a database"
