"""test_bad_input.py -- bad writes are refused with a JSON error naming the field, and store nothing.

Every test here sends one bad POST /api/v1/write to a daemon with an empty database and checks the
answer: a 4xx with {"error": {"status", "code", "message", "path"}} whose path names the offending field
("" when the error is not about a field, e.g. a body that is not JSON); then that /runs and /tags are
still empty and /healthz still answers ok (harness.assert_nothing_stored). Most tests share one daemon
(empty_client), which so takes every bad request of the module in turn and must stay healthy through
all of them and exit cleanly at the end. Names (runs and tags) have their own file, test_names.py.
"""

import json
import socket

import pytest

from harness import INT64_MAX, assert_error, assert_nothing_stored, chunked, dumps, raw_http

GOOD_ITEM = {"tag": "t", "step": 0, "value": 1.0}


def refused(client, body, status=400, code=None, path=None, content_type="application/json"):
    """POST body (bytes, str, or an object to serialise) and check it is refused and nothing is stored."""
    if not isinstance(body, (bytes, str)):
        body = dumps(body)
    resp = client.post("/api/v1/write", body=body, content_type=content_type)
    err = assert_error(resp, status, code, path)
    assert_nothing_stored(client)
    return err


def item(**fields):
    """A scalar item: GOOD_ITEM with fields replaced (a field set to ... is removed)."""
    out = dict(GOOD_ITEM)
    for key, value in fields.items():
        if value is ...:
            out.pop(key, None)
        else:
            out[key] = value
    return out


# --- the body as a whole ------------------------------------------------------------------------

def test_malformed_json_is_refused_as_invalid_json(empty_client):
    refused(empty_client, '{"run": "r", "scalars": [{"tag": "t", "step": 0, "value": 1.0}', 400,
            "invalid_json", "")


def test_trailing_garbage_after_the_document_is_refused_as_invalid_json(empty_client):
    refused(empty_client, '{"run": "r", "scalars": [{"tag": "t", "step": 0, "value": 1.0}]} {}', 400,
            "invalid_json", "")


def test_an_empty_body_is_refused_as_invalid_json(empty_client):
    refused(empty_client, b"", 400, "invalid_json", "")


def test_a_top_level_array_is_refused(empty_client):
    refused(empty_client, [{"run": "r", "scalars": [GOOD_ITEM]}], 400, "invalid_value", "")


@pytest.mark.parametrize("body", ['"r"', "42", "null", "true"])
def test_a_top_level_scalar_is_refused(empty_client, body):
    # RFC 8259 allows a scalar as a whole JSON text, but Jansson (without JSON_DECODE_ANY) calls it a
    # syntax error; either code is a fair reading, the path is the document itself.
    refused(empty_client, body, 400, ("invalid_value", "invalid_json"), "")


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_a_non_finite_number_as_a_bare_json_token_is_invalid_json(empty_client, token):
    refused(empty_client, '{"run": "r", "scalars": [{"tag": "t", "step": 0, "value": %s}]}' % token,
            400, "invalid_json", "")


def test_an_unknown_top_level_key_is_refused_naming_it(empty_client):
    refused(empty_client, {"run": "r", "scalar": [GOOD_ITEM]}, 400, "invalid_value", "scalar")


# --- run, description, hparams ------------------------------------------------------------------

def test_a_missing_run_is_refused_naming_run(empty_client):
    refused(empty_client, {"scalars": [GOOD_ITEM]}, 400, "missing_field", "run")


def test_an_empty_object_is_refused_naming_run(empty_client):
    refused(empty_client, {}, 400, "missing_field", "run")


@pytest.mark.parametrize("run", [5, None, ["r"], {"name": "r"}, True])
def test_a_run_of_the_wrong_type_is_refused_naming_run(empty_client, run):
    refused(empty_client, {"run": run, "scalars": [GOOD_ITEM]}, 400, "invalid_value", "run")


@pytest.mark.parametrize("hparams", [[1, 2], "lr=0.1", 3])
def test_hparams_that_are_not_an_object_are_refused_naming_hparams(empty_client, hparams):
    refused(empty_client, {"run": "r", "hparams": hparams, "scalars": [GOOD_ITEM]}, 400, "invalid_value",
            "hparams")


def test_a_description_that_is_not_a_string_is_refused_naming_description(empty_client):
    refused(empty_client, {"run": "r", "description": 5, "scalars": [GOOD_ITEM]}, 400, "invalid_value",
            "description")


# --- the scalars array and its items ------------------------------------------------------------

def test_scalars_that_are_not_an_array_are_refused_naming_scalars(empty_client):
    refused(empty_client, {"run": "r", "scalars": GOOD_ITEM}, 400, "invalid_value", "scalars")


def test_a_scalar_item_that_is_not_an_object_is_refused_naming_it(empty_client):
    refused(empty_client, {"run": "r", "scalars": [GOOD_ITEM, 5]}, 400, "invalid_value", "scalars[1]")


@pytest.mark.parametrize("value", ["abc", True, None, [1.0], {"v": 1}])
def test_a_value_of_the_wrong_type_is_refused_naming_it(empty_client, value):
    refused(empty_client, {"run": "r", "scalars": [item(value=value)]}, 400, "invalid_value", "scalars[0].value")


def test_a_missing_value_is_refused_naming_it(empty_client):
    refused(empty_client, {"run": "r", "scalars": [item(value=...)]}, 400, "missing_field",
            ("scalars[0].value", "scalars[0].values"))


@pytest.mark.parametrize("step", ["5", True, [5], {"s": 5}])
def test_a_step_of_the_wrong_type_is_refused_naming_it(empty_client, step):
    refused(empty_client, {"run": "r", "scalars": [item(step=step)]}, 400, "invalid_value", "scalars[0].step")


@pytest.mark.parametrize("step", ["1.5", "2.0", "1e3", "1E2", "-0.5"])
def test_a_step_with_a_fraction_or_exponent_is_refused_naming_it(empty_client, step):
    refused(empty_client, '{"run": "r", "scalars": [{"tag": "t", "step": %s, "value": 1.0}]}' % step,
            400, "invalid_value", "scalars[0].step")


@pytest.mark.parametrize("step", ["9223372036854775808", "-9223372036854775809", "18446744073709551616",
                                  "100000000000000000000000000000"])
def test_a_step_beyond_int64_is_refused_naming_it(empty_client, step):
    refused(empty_client, '{"run": "r", "scalars": [{"tag": "t", "step": %s, "value": 1.0}]}' % step,
            400, "invalid_value", "scalars[0].step")


def test_a_step_beyond_int64_in_a_steps_array_is_refused_naming_its_index(empty_client):
    refused(empty_client, '{"run": "r", "scalars": [{"tag": "t", "steps": [0, 1, %d], "values": [1, 2, 3]}]}'
            % (INT64_MAX + 1), 400, "invalid_value", "scalars[0].steps[2]")


@pytest.mark.parametrize("tag", [7, None, ["t"]])
def test_a_tag_of_the_wrong_type_is_refused_naming_it(empty_client, tag):
    refused(empty_client, {"run": "r", "scalars": [item(tag=tag)]}, 400, "invalid_value", "scalars[0].tag")


def test_a_missing_tag_is_refused_naming_it(empty_client):
    refused(empty_client, {"run": "r", "scalars": [item(tag=...)]}, 400, "missing_field", "scalars[0].tag")


def test_a_wall_time_of_the_wrong_type_is_refused_naming_it(empty_client):
    refused(empty_client, {"run": "r", "scalars": [item(wall_time="now")]}, 400, "invalid_value",
            "scalars[0].wall_time")


def test_steps_that_are_not_an_array_are_refused_naming_steps(empty_client):
    refused(empty_client, {"run": "r", "scalars": [{"tag": "t", "steps": 5, "values": [1.0]}]},
            400, "invalid_value", "scalars[0].steps")


def test_a_step_of_the_wrong_type_in_a_steps_array_is_refused_naming_its_index(empty_client):
    refused(empty_client, {"run": "r", "scalars": [{"tag": "t", "steps": [0, "1", 2], "values": [1, 2, 3]}]},
            400, "invalid_value", "scalars[0].steps[1]")


def test_a_step_with_a_fraction_in_a_steps_array_is_refused_naming_its_index(empty_client):
    refused(empty_client, {"run": "r", "scalars": [{"tag": "t", "steps": [0, 1, 2.5], "values": [1, 2, 3]}]},
            400, "invalid_value", "scalars[0].steps[2]")


def test_values_that_are_not_an_array_are_refused_naming_values(empty_client):
    refused(empty_client, {"run": "r", "scalars": [{"tag": "t", "steps": [0], "values": 1.0}]},
            400, "invalid_value", "scalars[0].values")


def test_a_value_of_the_wrong_type_in_a_values_array_is_refused_naming_its_index(empty_client):
    refused(empty_client, {"run": "r", "scalars": [{"tag": "t", "steps": [0, 1, 2], "values": [1.0, True, 3.0]}]},
            400, "invalid_value", "scalars[0].values[1]")


def test_steps_and_values_of_unequal_length_are_refused(empty_client):
    refused(empty_client, {"run": "r", "scalars": [{"tag": "t", "steps": [1, 2, 3], "values": [1.0, 2.0]}]},
            400, "invalid_value", ("scalars[0].values", "scalars[0].steps"))


def test_wall_times_of_a_different_length_are_refused_naming_wall_times(empty_client):
    refused(empty_client, {"run": "r", "scalars": [{"tag": "t", "steps": [1, 2], "values": [1.0, 2.0],
                                              "wall_times": [1764000000.0]}]},
            400, "invalid_value", "scalars[0].wall_times")


def test_a_batch_whose_last_item_is_bad_stores_none_of_the_good_items(empty_client):
    body = {"run": "r", "description": "d", "hparams": {"lr": 0.1}, "scalars": [
        {"tag": "a", "step": 0, "value": 1.0},
        {"tag": "b", "steps": list(range(2000)), "values": [0.5] * 2000},
        {"tag": "a", "value": 2.0},
        {"tag": "c", "step": 0, "value": "oops"}]}
    refused(empty_client, body, 400, "invalid_value", "scalars[3].value")


def test_a_refused_write_to_an_existing_run_leaves_it_as_it_was(client):
    client.write_ok({"run": "r", "description": "before", "hparams": {"lr": 0.1},
                     "scalars": [{"tag": "a", "steps": [0, 1], "values": [1.0, 2.0]}]})
    runs_before, tags_before = client.runs(), client.tags()
    series_before = client.series("a", "r")
    resp = client.write({"run": "r", "description": "after", "hparams": {"lr": 0.2}, "scalars": [
        {"tag": "a", "step": 1, "value": 99.0},
        {"tag": "a", "value": 3.0},
        {"tag": "new", "step": 0, "value": 1.0},
        {"tag": "a", "step": 5, "value": [1]}]})
    assert_error(resp, 400, "invalid_value", "scalars[3].value")
    assert client.runs() == runs_before
    assert client.tags() == tags_before
    assert client.series("a", "r") == series_before


# --- limits -------------------------------------------------------------------------------------

def test_nesting_deeper_than_the_limit_is_refused_as_too_deep(empty_client):
    hparams = {"x": 1}
    for _ in range(40):
        hparams = {"x": hparams}
    refused(empty_client, {"run": "r", "hparams": hparams, "scalars": [GOOD_ITEM]}, 400, "too_deep")


def test_a_hundred_thousand_nested_arrays_are_refused_as_too_deep(empty_client):
    depth = 100_000
    body = '{"run": "r", "hparams": {"x": ' + "[" * depth + "]" * depth + '}, "scalars": []}'
    refused(empty_client, body, 400, "too_deep")


def test_a_hundred_thousand_unclosed_arrays_are_refused(empty_client):
    body = '{"run": "r", "scalars": ' + "[" * 100_000
    err = refused(empty_client, body, 400)
    assert err["code"] in ("too_deep", "invalid_json"), err


@pytest.mark.slow
def test_more_than_a_million_points_in_one_request_is_refused_as_too_many_items(empty_client):
    n = 1_000_001
    body = '{"run": "r", "scalars": [{"tag": "t", "steps": [%s], "values": [%s]}]}' % (
        ",".join(map(str, range(n))), ",".join(["0"] * n))
    refused(empty_client, body, 400, "too_many_items")


def test_a_body_over_max_body_is_refused_with_413(vizd_factory):
    client = vizd_factory(args=["--max-body", "1000"]).client
    body = dumps({"run": "r", "scalars": [{"tag": "t", "steps": list(range(300)), "values": [0] * 300}]})
    assert len(body) > 1000
    refused(client, body, 413, "body_too_large", "")


def test_a_body_just_under_max_body_is_accepted(vizd_factory):
    client = vizd_factory(args=["--max-body", "1000"]).client
    doc = {"run": "r", "scalars": [{"tag": "t", "steps": list(range(125)), "values": [0] * 125}]}
    assert 800 < len(dumps(doc)) <= 1000
    client.write_ok(doc)
    assert client.series("t", "r")["total"] == 125


def test_a_chunked_body_over_max_body_is_refused_with_413(vizd_factory):
    vizd = vizd_factory(args=["--max-body", "1000"])
    body = dumps({"run": "r", "scalars": [{"tag": "t", "steps": list(range(600)), "values": [0] * 600}]})
    head = (b"POST /api/v1/write HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    resp = raw_http(vizd.port, head + chunked(body.encode(), 256))
    assert_error(resp, 413, "body_too_large", "")
    assert_nothing_stored(vizd.client)


def test_a_chunked_body_under_max_body_is_accepted(vizd_factory):
    vizd = vizd_factory(args=["--max-body", "1000"])
    body = dumps({"run": "r", "scalars": [{"tag": "t", "steps": [0, 1, 2], "values": [1, 2, 3]}]})
    head = (b"POST /api/v1/write HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    resp = raw_http(vizd.port, head + chunked(body.encode(), 7))
    assert resp.status == 200, resp
    assert vizd.client.series("t", "r")["total"] == 3


def test_a_content_length_far_over_max_body_is_refused_before_the_body_arrives(vizd_factory):
    # The daemon must answer from the header alone, not wait for (or buffer) a gigabyte.
    vizd = vizd_factory(args=["--max-body", "1000"])
    sock = socket.create_connection(("127.0.0.1", vizd.port), timeout=10)
    try:
        sock.sendall(b"POST /api/v1/write HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1000000000\r\n\r\n{\"run\": ")
        data = b""
        while b"\r\n\r\n" not in data:
            piece = sock.recv(65536)
            if not piece:
                break
            data += piece
        assert data.startswith(b"HTTP/1.1 413") or data.startswith(b"HTTP/1.0 413"), data
    finally:
        sock.close()
    assert_nothing_stored(vizd.client)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/jsonx",
                                          None])
def test_a_write_without_a_json_content_type_is_refused_with_415(empty_client, content_type):
    refused(empty_client, {"run": "r", "scalars": [GOOD_ITEM]}, 415, "unsupported_media_type", "Content-Type",
            content_type=content_type)


def test_the_daemon_stays_healthy_and_empty_after_a_barrage_of_bad_writes(empty_client):
    bodies = [b"", b"{", b"[]", b"null", b'{"run": 1}', b'{"run": "r", "scalars": [{"tag": "t", "step": 1.5, '
              b'"value": 1}]}', b'{"run": "\xff", "scalars": []}', b'{"run": "r", "scalars": [{"tag": "t", '
              b'"value": NaN}]}', b"[" * 50_000, b'{"run": "' + b"x" * 5000 + b'"}',
              b'{"run": "r", "scalars": [{"tag": "t", "steps": [1, 2], "values": [1]}]}', b"\x00" * 100]
    for _ in range(3):
        for body in bodies:
            resp = empty_client.post("/api/v1/write", body=body)
            assert 400 <= resp.status < 500, (body[:60], resp)
            assert_error(resp, resp.status)
    assert_nothing_stored(empty_client)


def test_a_columnar_item_without_steps_gets_the_next_steps(empty_client):
    # docs/API.md: without "steps" the points count up from the tag's last step, as in the row form.
    assert empty_client.post("/api/v1/write", json_body={"run": "r", "scalars": [
        {"tag": "t", "step": 4, "value": 0.0}, {"tag": "t", "values": [1.0, 2.0]}]}).status == 200
    resp = empty_client.get("/api/v1/scalars?run=r&tag=t")
    assert [p[0] for p in resp.json["series"][0]["points"]] == [4, 5, 6]


def test_a_client_that_disconnects_mid_body_leaves_nothing_stored(empty_client):
    sock = socket.create_connection(("127.0.0.1", empty_client.port), timeout=10)
    sock.sendall(b"POST /api/v1/write HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 5000\r\n\r\n" + dumps({"run": "r", "scalars": [GOOD_ITEM]}).encode())
    sock.close()
    assert_nothing_stored(empty_client)
