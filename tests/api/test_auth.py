"""test_auth.py -- the write token: with --token-file (or VIZD_TOKEN) every write needs
"Authorization: Bearer TOKEN"; without it a write is a 401 JSON error that stores nothing; reads stay
open; a token that cannot be read stops vizd at start-up."""

import pytest

from harness import assert_error, run_vizd_expecting_exit

TOKEN = "s3cret-token-for-tests"
WRITE = {"run": "r", "scalars": [{"tag": "t", "step": 0, "value": 1.0}]}
PNG_1x1 = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
                        "0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082")


@pytest.fixture
def guarded(vizd_factory, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    return vizd_factory(args=("--token-file", str(token_file)))


def bearer(token):
    return {"Authorization": "Bearer " + token}


def test_a_write_without_the_token_is_401_and_stores_nothing(guarded):
    resp = guarded.client.post("/api/v1/write", json_body=WRITE)
    assert_error(resp, 401, "unauthorized")
    assert resp.headers.get("www-authenticate") == "Bearer"
    assert guarded.client.get("/api/v1/runs").json == {"runs": []}


def test_a_write_with_a_wrong_or_truncated_token_is_401(guarded):
    for token in ("wrong-token-entirely", TOKEN[:-1], TOKEN + "x", ""):
        resp = guarded.client.post("/api/v1/write", json_body=WRITE, headers=bearer(token))
        assert_error(resp, 401, "unauthorized")
    assert guarded.client.get("/api/v1/runs").json == {"runs": []}


def test_a_write_with_the_token_is_stored(guarded):
    assert guarded.client.post("/api/v1/write", json_body=WRITE, headers=bearer(TOKEN)).status == 200
    assert guarded.client.post("/api/v1/images", body=PNG_1x1, content_type="image/png",
                               params={"run": "r", "tag": "i", "step": "0"}, headers=bearer(TOKEN)).status == 200
    assert [r["name"] for r in guarded.client.get("/api/v1/runs").json["runs"]] == ["r"]


def test_raw_uploads_and_deletes_need_the_token_too(guarded):
    resp = guarded.client.post("/api/v1/images", body=PNG_1x1, content_type="image/png",
                               params={"run": "r", "tag": "i", "step": "0"})
    assert_error(resp, 401, "unauthorized")
    guarded.client.post("/api/v1/write", json_body=WRITE, headers=bearer(TOKEN))
    assert_error(guarded.client.delete("/api/v1/runs", params={"run": "r"}), 401, "unauthorized")
    assert [r["name"] for r in guarded.client.get("/api/v1/runs").json["runs"]] == ["r"]


def test_reads_and_the_dashboard_need_no_token(guarded):
    guarded.client.post("/api/v1/write", json_body=WRITE, headers=bearer(TOKEN))
    assert guarded.client.get("/api/v1/scalars", params={"run": "r", "tag": "t"}).status == 200
    assert guarded.client.get("/").status == 200
    assert guarded.client.healthz().status == 200


def test_the_token_can_come_from_vizd_token(vizd_factory, monkeypatch):
    monkeypatch.setenv("VIZD_TOKEN", TOKEN)
    vizd = vizd_factory()
    assert_error(vizd.client.post("/api/v1/write", json_body=WRITE), 401, "unauthorized")
    assert vizd.client.post("/api/v1/write", json_body=WRITE, headers=bearer(TOKEN)).status == 200


def test_without_a_token_writes_are_open(vizd):
    assert vizd.client.post("/api/v1/write", json_body=WRITE).status == 200


@pytest.mark.parametrize("content", [None, "", "short\n"], ids=["missing file", "empty file", "too short"])
def test_a_token_that_cannot_be_read_stops_vizd_at_start_up(tmp_path, content):
    token_file = tmp_path / "token"
    if content is not None:
        token_file.write_text(content)
    status, stderr = run_vizd_expecting_exit(["--db", str(tmp_path / "x.sqlite"), "--port", "0",
                                              "--token-file", str(token_file)])
    assert status != 0
    assert "token" in stderr
