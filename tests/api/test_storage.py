"""test_storage.py -- the block design, pinned from outside: about one row per thousand points.

vizd stores a scalar series as blocks of up to 1,024 points, one row each in scalar_blocks (see
docs/ARCHITECTURE.md, "Storage"), so that ingest writes about one row per thousand points and reads
decode only the blocks they need. After 10,000 points in one series the table must hold at most ~12
rows, however the points arrived: in one request, or appended a hundred at a time. The file is read
with Python's sqlite3, read-only, after vizd has stopped cleanly.
"""

from harness import query_db, values_of


def block_rows(db_path):
    return query_db(db_path, "SELECT count(*) FROM scalar_blocks")[0][0]


def test_ten_thousand_points_in_one_request_take_at_most_twelve_block_rows(vizd):
    steps = list(range(10_000))
    vizd.client.write_ok({"run": "r", "scalars": [{"tag": "t", "steps": steps,
                                                   "values": [s * 0.5 for s in steps]}]})
    assert vizd.stop() == 0
    assert 10 <= block_rows(vizd.db_path) <= 12


def test_ten_thousand_points_appended_a_hundred_at_a_time_take_at_most_twelve_block_rows(vizd):
    for start in range(0, 10_000, 100):
        steps = list(range(start, start + 100))
        vizd.client.write_ok({"run": "r", "scalars": [{"tag": "t", "steps": steps, "values": [1.0] * 100}]})
    assert vizd.client.get("/api/v1/status").json["scalar_blocks"] <= 12
    assert vizd.stop() == 0
    assert block_rows(vizd.db_path) <= 12


def test_points_written_without_steps_one_request_at_a_time_share_blocks(vizd):
    for i in range(300):
        vizd.client.write_ok({"run": "r", "scalars": [{"tag": "t", "value": float(i)}]})
    assert values_of(vizd.client.series("t", "r", points=0)) == {i: float(i) for i in range(300)}
    assert vizd.stop() == 0
    assert block_rows(vizd.db_path) <= 2


def test_status_counts_the_block_rows_in_the_database(vizd):
    steps = list(range(4_500))
    vizd.client.write_ok({"run": "r", "scalars": [{"tag": "t", "steps": steps, "values": [0.0] * 4_500},
                                                  {"tag": "u", "steps": steps[:10], "values": [0.0] * 10}]})
    # u's ten points wait in its tail (not a block row) until vizd is idle or stops.
    reported = vizd.client.get("/api/v1/status").json["scalar_blocks"]
    assert reported == block_rows(vizd.db_path) == 5
    assert vizd.stop() == 0
    assert block_rows(vizd.db_path) == 6


def test_deleting_a_run_removes_its_block_rows(vizd):
    steps = list(range(5_000))
    vizd.client.write_ok({"run": "gone", "scalars": [{"tag": "t", "steps": steps, "values": [1.0] * 5_000}]})
    vizd.client.write_ok({"run": "kept", "scalars": [{"tag": "t", "steps": steps[:10], "values": [1.0] * 10}]})
    assert vizd.client.delete("/api/v1/runs", params={"run": "gone"}).status == 200
    assert vizd.stop() == 0
    assert block_rows(vizd.db_path) == 1
