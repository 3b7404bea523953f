"""test_http.py -- /healthz, /api/v1/status, unknown paths, wrong methods, and the command line.

Errors are always JSON (never HTML, never a dropped connection): an unknown path is a 404 and a wrong
method a 405 with an Allow header, both in the {"error": {...}} shape.
"""

import http.client
import json
import os
import time

import pytest

from harness import assert_error, raw_http, run_vizd


def test_healthz_answers_ok_as_text_plain(client):
    resp = client.healthz()
    assert resp.status == 200
    assert resp.body.strip() == b"ok"
    assert resp.content_type.split(";")[0].strip() == "text/plain"


def test_status_reports_version_uptime_database_and_counts(vizd):
    client = vizd.client
    client.write_ok({"run": "a", "scalars": [{"tag": "t", "steps": list(range(1500)), "values": [1.0] * 1500},
                                             {"tag": "u", "step": 0, "value": 2.0}]})
    client.write_ok({"run": "b", "scalars": [{"tag": "t", "steps": [0, 1], "values": [1.0, 2.0]}]})
    resp = client.get("/api/v1/status")
    assert resp.status == 200, resp
    status = resp.json
    assert isinstance(status["version"], str) and status["version"]
    assert isinstance(status["uptime_s"], (int, float)) and 0 <= status["uptime_s"] < 600
    assert os.path.realpath(status["db_path"]) == os.path.realpath(vizd.db_path)
    assert isinstance(status["db_bytes"], int) and status["db_bytes"] > 0
    assert status["runs"] == 2
    assert status["series"] == 3
    assert status["scalar_points"] == 1503
    # 1,500 points make 2 blocks; the three small series may still wait in their tails (not block rows).
    assert 2 <= status["scalar_blocks"] <= 5


def test_status_uptime_grows(client):
    first = client.get("/api/v1/status").json["uptime_s"]
    time.sleep(0.3)
    second = client.get("/api/v1/status").json["uptime_s"]
    assert second - first >= 0.2


def test_status_version_matches_the_version_flag(client):
    code, out, _ = run_vizd(["--version"])
    assert code == 0
    assert client.get("/api/v1/status").json["version"] in out


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v2/runs", "/api/v1/runs/extra", "/no/such/file.js",
                                  "/api/v1/scalarsX"])
def test_an_unknown_path_answers_a_404_json_error(empty_client, path):
    assert_error(empty_client.get(path), 404, "not_found")


@pytest.mark.parametrize("method, path, allowed", [
    ("GET", "/api/v1/write", {"POST"}),
    ("PUT", "/api/v1/write", {"POST"}),
    ("POST", "/api/v1/runs", {"GET", "DELETE"}),
    ("DELETE", "/api/v1/scalars", {"GET"}),
    ("POST", "/api/v1/tags", {"GET"}),
    ("DELETE", "/api/v1/hparams", {"GET"}),
    ("POST", "/healthz", {"GET"}),
    ("DELETE", "/api/v1/status", {"GET"}),
])
def test_a_wrong_method_answers_a_405_json_error_with_an_allow_header(empty_client, method, path,
                                                                      allowed):
    resp = empty_client.request(method, path, body=b"{}" if method in ("POST", "PUT") else None,
                          headers={"Content-Type": "application/json"})
    assert_error(resp, 405, "method_not_allowed")
    offered = {m.strip() for m in resp.headers.get("allow", "").split(",") if m.strip()}
    assert allowed <= offered, resp.headers


def test_the_version_flag_prints_the_version_and_exits_0():
    code, out, err = run_vizd(["--version"])
    assert code == 0, err
    assert out.strip() and len(out.strip().splitlines()) == 1


def test_the_help_flag_describes_every_option_and_exits_0():
    code, out, err = run_vizd(["--help"])
    assert code == 0, err
    for flag in ("--db", "--port", "--host", "--web", "--max-body"):
        assert flag in out, flag


def test_an_unknown_flag_is_a_non_zero_exit_with_a_message(tmp_path):
    code, _, err = run_vizd(["--db", str(tmp_path / "x.sqlite"), "--port", "0", "--frobnicate"])
    assert code != 0
    assert err.strip()
    assert not (tmp_path / "x.sqlite").exists()


def test_the_web_flag_serves_files_from_that_directory(vizd_factory, tmp_path):
    web = tmp_path / "web"
    web.mkdir()
    (web / "index.html").write_text("<!doctype html><title>from disk</title>")
    (tmp_path / "secret.txt").write_text("do not serve me")
    vizd = vizd_factory(args=["--web", str(web)])
    resp = vizd.client.get("/")
    assert resp.status == 200, resp
    assert b"from disk" in resp.body
    assert resp.content_type.split(";")[0].strip() == "text/html"


@pytest.mark.parametrize("path", ["/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt",
                                  "/%2E%2E%2Fsecret.txt"])
def test_the_web_flag_never_serves_a_file_outside_the_directory(vizd_factory, tmp_path, path):
    web = tmp_path / "web"
    web.mkdir()
    (web / "index.html").write_text("<!doctype html><title>from disk</title>")
    (tmp_path / "secret.txt").write_text("do not serve me")
    vizd = vizd_factory(args=["--web", str(web)])
    resp = raw_http(vizd.port, b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert b"do not serve me" not in resp.body
    assert resp.status in (400, 403, 404), resp


def test_one_keep_alive_connection_serves_several_requests_even_after_an_error(vizd):
    conn = http.client.HTTPConnection("127.0.0.1", vizd.port, timeout=10)
    try:
        for i, body in enumerate([b'{"run": "r", "scalars": [{"tag": "t", "step": 0, "value": 1}]}', b"{bad",
                                  b'{"run": "r", "scalars": [{"tag": "t", "step": 1, "value": 2}]}']):
            conn.request("POST", "/api/v1/write", body=body, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            assert resp.status == (400 if i == 1 else 200)
        conn.request("GET", "/api/v1/scalars?run=r&tag=t")
        resp = conn.getresponse()
        assert resp.status == 200
        assert [p[2] for p in json.loads(resp.read())["series"][0]["points"]] == [1, 2]
    finally:
        conn.close()


def test_head_on_healthz_answers_like_get_without_a_body(empty_client):
    # RFC 9110 9.3.2: a server answering GET must answer HEAD too (uptime monitors and `curl -I` use it).
    resp = empty_client.request("HEAD", "/healthz")
    assert resp.status == 200, resp
    assert resp.body == b""
    assert resp.content_type.split(";")[0].strip() == "text/plain"


@pytest.fixture
def web_dir_with_traps(tmp_path):
    """A --web directory holding what must never be served next to what must be."""
    web = tmp_path / "web"
    (web / "node_modules" / "chart.js").mkdir(parents=True)
    (web / "sub").mkdir()
    (web / "index.html").write_text("<!doctype html><title>from disk</title>")
    (web / "sub" / "page.js").write_text("export const x = 1;")
    (web / "package.json").write_text('{"name": "do not serve me"}')
    (web / "node_modules" / "chart.js" / "package.json").write_text('{"name": "do not serve me"}')
    (web / ".env").write_text("SECRET=do not serve me")
    (web / ".git").mkdir()
    (web / ".git" / "config").write_text("do not serve me")
    (tmp_path / "outside.txt").write_text("do not serve me")
    os.symlink(tmp_path / "outside.txt", web / "escape.txt")
    os.symlink(tmp_path, web / "escape-dir")
    os.symlink(web / "sub" / "page.js", web / "inside.js")
    return web


@pytest.mark.parametrize("path", ["//package.json", "/./package.json", "/package.json", "/./node_modules/chart.js/package.json",
                                  "/node_modules/chart.js/package.json", "/sub/../package.json", "/.env", "/%2eenv",
                                  "/.git/config", "/sub/.%2e/.env", "/escape.txt", "/escape-dir/outside.txt",
                                  "/sub//page.js", "/sub/./page.js"])
def test_the_web_flag_hides_packages_dotfiles_and_links_out_of_the_directory(vizd_factory, web_dir_with_traps, path):
    vizd = vizd_factory(args=["--web", str(web_dir_with_traps)])
    resp = raw_http(vizd.port, b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert b"do not serve me" not in resp.body
    assert_error(resp, 404, "not_found")


def test_the_web_flag_serves_subdirectories_and_links_that_stay_inside(vizd_factory, web_dir_with_traps):
    vizd = vizd_factory(args=["--web", str(web_dir_with_traps)])
    for path in ("/sub/page.js", "/inside.js"):
        resp = vizd.client.get(path)
        assert resp.status == 200, (path, resp)
        assert b"export const x" in resp.body


@pytest.mark.parametrize("path", ["//index.html", "/./app.js", "/.hidden", "/node_modules/chart.js/package.json",
                                  "/vendor.txt", "/package.json"])
def test_the_embedded_dashboard_serves_only_its_own_files_by_their_plain_names(empty_client, path):
    assert_error(empty_client.get(path), 404, "not_found")
    assert empty_client.get("/app.js").status == 200
