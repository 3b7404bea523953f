"""test_names.py -- run and tag names: what is accepted, what is refused, and that they come back intact.

Names are valid UTF-8, 1..256 bytes (bytes, not characters), no control characters (U+0000..U+001F,
U+007F). Anything else is accepted and must come back byte for byte from /runs, /tags, /scalars and the
CSV export -- including markup, which is data to vizd, never HTML. A refused name stores nothing.
These tests share one daemon (empty_client): each leaves the database empty, or the fixture empties it.
"""

import csv
import io
import json

import pytest

from harness import assert_error, assert_nothing_stored, dumps, values_of


def write_and_read_back(client, run, tag):
    client.write_ok({"run": run, "scalars": [{"tag": tag, "step": 3, "value": 1.5}]})
    assert [r["name"] for r in client.runs()] == [run]
    assert list(client.tags()) == [run]
    assert list(client.tags()[run]["scalars"]) == [tag]
    assert list(client.tags(run=run)) == [run]
    assert values_of(client.series(tag, run)) == {3: 1.5}
    resp = client.scalars(tag, run, format="csv")
    assert resp.status == 200, resp
    rows = list(csv.reader(io.StringIO(resp.body.decode("utf-8"))))
    assert rows[1][0] == run
    assert client.delete("/api/v1/runs", params={"run": run}).json == {"deleted": run}
    assert client.runs() == []


def refused_name(client, run="r", tag="t", path=None, code="invalid_value"):
    resp = client.write({"run": run, "scalars": [{"tag": tag, "step": 0, "value": 1.0}]})
    assert_error(resp, 400, code, path)
    assert_nothing_stored(client)


def test_a_256_byte_run_and_tag_are_accepted(empty_client):
    write_and_read_back(empty_client, "r" * 256, "t" * 256)


def test_a_256_byte_name_of_two_byte_characters_is_accepted(empty_client):
    write_and_read_back(empty_client, "é" * 128, "ß" * 128)


def test_a_257_byte_run_name_is_refused_naming_run(empty_client):
    refused_name(empty_client, run="r" * 257, path="run")


def test_a_300_byte_run_name_is_refused_naming_run(empty_client):
    refused_name(empty_client, run="r" * 300, path="run")


def test_a_300_byte_tag_is_refused_naming_the_tag(empty_client):
    refused_name(empty_client, tag="t" * 300, path="scalars[0].tag")


def test_name_length_counts_bytes_not_characters(empty_client):
    refused_name(empty_client, run="€" * 86, path="run")   # 86 characters, 258 bytes


def test_an_empty_run_name_is_refused_naming_run(empty_client):
    refused_name(empty_client, run="", path="run")


def test_an_empty_tag_is_refused_naming_the_tag(empty_client):
    refused_name(empty_client, tag="", path="scalars[0].tag")


@pytest.mark.parametrize("run", ["学习率/λ=0.1 🚀", "Ωmega", "naïve café", "\u200b zero-width",
                                 "עברית"])
def test_unicode_run_names_are_accepted_and_returned_identically(empty_client, run):
    write_and_read_back(empty_client, run, "损失/loss ü 😀")


def test_markup_in_names_is_stored_as_text_and_returned_verbatim(empty_client):
    name = "<script>alert(1)</script>"
    empty_client.write_ok({"run": name, "scalars": [{"tag": name, "step": 0, "value": 1.0}]})
    assert empty_client.runs()[0]["name"] == name
    assert list(empty_client.tags()[name]["scalars"]) == [name]
    assert empty_client.series(name, name)["run"] == name
    csv_text = empty_client.scalars(name, name, format="csv").body.decode("utf-8")
    assert name in csv_text
    for resp in (empty_client.get("/api/v1/runs"), empty_client.get("/api/v1/tags"),
                 empty_client.scalars(name, name)):
        assert resp.content_type.split(";")[0].strip() == "application/json"
        assert b"&lt;" not in resp.body and b"&gt;" not in resp.body


@pytest.mark.parametrize("run", ["a+b c", "a&run=b", "50%", "q?x=1#frag", "a/b/c", "semi;colon", "eq=ual",
                                 "plus+%2B"])
def test_names_with_query_string_characters_round_trip(empty_client, run):
    write_and_read_back(empty_client, run, run)


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x08", "\t", "\n", "\r", "\x1b", "\x1f", "\x7f"])
def test_a_control_character_in_a_run_name_is_refused_naming_run(empty_client, char):
    refused_name(empty_client, run="bad" + char + "name", path="run")


@pytest.mark.parametrize("char", ["\x00", "\n", "\x7f"])
def test_a_control_character_in_a_tag_is_refused_naming_the_tag(empty_client, char):
    refused_name(empty_client, tag="bad" + char + "tag", path="scalars[0].tag")


@pytest.mark.parametrize("raw", [b"\xff\xfe", b"caf\xe9", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                                 b"ab\xe2\x82"])
def test_a_name_that_is_not_utf8_is_refused(empty_client, raw):
    # Invalid UTF-8 makes the body invalid JSON (RFC 8259), so either reading of it is right: a JSON
    # error about the whole body, or an invalid value naming the run.
    body = b'{"run": "' + raw + b'", "scalars": [{"tag": "t", "step": 0, "value": 1.0}]}'
    resp = empty_client.post("/api/v1/write", body=body)
    err = assert_error(resp, 400)
    assert (err["code"], err["path"]) in (("invalid_json", ""), ("invalid_value", "run")), err
    assert_nothing_stored(empty_client)


def test_a_lone_surrogate_escape_in_a_name_is_refused(empty_client):
    body = '{"run": "bad\\ud800", "scalars": [{"tag": "t", "step": 0, "value": 1.0}]}'
    resp = empty_client.post("/api/v1/write", body=body)
    err = assert_error(resp, 400)
    assert (err["code"], err["path"]) in (("invalid_json", ""), ("invalid_value", "run")), err
    assert_nothing_stored(empty_client)


def test_an_escaped_name_is_stored_unescaped(empty_client):
    body = '{"run": "\\u00e9t\\u00e9 \\ud83d\\ude80 \\/slash", "scalars": [{"tag": "t", "step": 0, "value": 1.0}]}'
    assert empty_client.post("/api/v1/write", body=body).status == 200
    assert empty_client.runs()[0]["name"] == "été 🚀 /slash"


def test_a_quote_and_backslash_in_a_name_round_trip(empty_client):
    write_and_read_back(empty_client, 'say "hi" \\ bye', 'tag "q" \\')


def test_a_name_sent_as_raw_utf8_and_as_escapes_is_the_same_run(empty_client):
    name = "λ/µ"
    raw = dumps({"run": name, "scalars": [{"tag": "t", "step": 0, "value": 1.0}]})
    escaped = json.dumps({"run": name, "scalars": [{"tag": "t", "step": 1, "value": 2.0}]}, ensure_ascii=True)
    assert "\\u03bb" in escaped and "λ" in raw
    assert empty_client.post("/api/v1/write", body=raw).status == 200
    assert empty_client.post("/api/v1/write", body=escaped).status == 200
    assert [r["name"] for r in empty_client.runs()] == [name]
    assert values_of(empty_client.series("t", name)) == {0: 1.0, 1: 2.0}


@pytest.mark.parametrize("bad", ["a\x00b", "a\x00", "a\nb"])
def test_a_query_run_name_with_a_control_character_never_deletes_another_run(empty_client, bad):
    # %00 decodes to NUL: a C string would end there and "a\0b" would become "a".
    empty_client.write_ok({"run": "a", "scalars": [{"tag": "t", "step": 0, "value": 1.0}]})
    resp = empty_client.delete("/api/v1/runs", params={"run": bad})
    assert_error(resp, resp.status)
    assert resp.status in (400, 404), resp
    assert [r["name"] for r in empty_client.runs()] == ["a"]


@pytest.mark.parametrize("bad", ["a\x00b", "a\x00"])
def test_a_query_run_name_with_a_nul_never_reads_another_run(empty_client, bad):
    empty_client.write_ok({"run": "a", "scalars": [{"tag": "t", "step": 0, "value": 1.0}]})
    resp = empty_client.scalars("t", bad)
    assert_error(resp, resp.status, path="run")
    assert resp.status in (400, 404), resp
    tags = empty_client.get("/api/v1/tags", params={"run": bad})
    if tags.status == 200:
        assert "a" not in tags.json["runs"], tags
    else:
        assert_error(tags, tags.status, path="run")


def test_a_query_tag_with_a_nul_never_reads_another_tag(empty_client):
    empty_client.write_ok({"run": "a", "scalars": [{"tag": "t", "step": 0, "value": 1.0}]})
    resp = empty_client.scalars("t\x00x", "a")
    if resp.status == 200:
        assert resp.json["series"][0]["points"] == [], resp
    else:
        assert_error(resp, 400, path="tag")
