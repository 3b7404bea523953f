"""test_graph.py -- model graphs over HTTP: POST /api/v1/write {"graph"}, GET /api/v1/graph and
GET /api/v1/graph/summary (issue 5; docs/ARCHITECTURE.md, "Model graphs"; docs/API.md).

What is checked, each against a real vizd:
  - every case of tests/fixtures/torchinfo/cases.json (graphs and tables made with real torch and
    torchinfo 1.8.0): the graph is POSTed and the text summary at the case's depth and columns equals
    the expected table line by line (trailing spaces ignored);
  - resnet18 with its rows built here from the architecture by arithmetic (no torch, nothing parsed from
    the seed): its text summary equals the tutorial's reference table (tests/fixtures/torchinfo/resnet18.seed.txt), and
    the JSON summary's totals are the figures that table prints;
  - the graph comes back as posted, and a new graph replaces the old one;
  - refusals (400 naming the field) that store nothing: no graph for the run afterwards and no new run;
  - a 1,500-node graph, and names with markup or non-ASCII characters that must round trip verbatim.
"""

import difflib
import json
import os
import textwrap
from math import prod

import pytest

from harness import INT64_MAX, REPO_ROOT, assert_error, assert_nothing_stored, dumps

FIXTURES = os.path.join(REPO_ROOT, "tests", "fixtures", "torchinfo")
# The reference table: the torchinfo output of resnet18 from the tutorial this project grew from (a markdown
# page), kept verbatim among the fixtures.
SEED = os.path.join(FIXTURES, "resnet18.seed.txt")


# --- helpers -----------------------------------------------------------------------------------

def load_fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
        return f.read()


def load_cases():
    return json.loads(load_fixture("cases.json"))


def table_lines(text):
    """The lines of a table with trailing spaces (and trailing empty lines) dropped."""
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def assert_same_table(got, expected, what):
    got_lines, expected_lines = table_lines(got), table_lines(expected)
    if got_lines != expected_lines:
        diff = "\n".join(difflib.unified_diff(expected_lines, got_lines, "expected", "vizd", lineterm=""))
        pytest.fail("%s: vizd's table differs from the expected one:\n%s" % (what, diff), pytrace=False)


def post_graph(client, run, graph):
    resp = client.write({"run": run, "graph": graph})
    assert resp.status == 200, resp
    assert resp.json["run"] == run, resp.json
    assert resp.json["written"]["graph"] == 1, resp.json
    return resp.json


def summary_params(depth=None, columns=None, fmt=None, run="r"):
    params = [("run", run)]
    if depth is not None:
        params.append(("depth", str(depth)))
    if columns is not None:
        params.append(("columns", ",".join(columns)))
    if fmt is not None:
        params.append(("format", fmt))
    return params


def text_summary(client, run="r", depth=None, columns=None):
    resp = client.get("/api/v1/graph/summary", params=summary_params(depth, columns, "text", run))
    assert resp.status == 200, resp
    assert resp.content_type.split(";")[0].strip() == "text/plain", resp
    return resp.body.decode("utf-8")


def json_summary(client, run="r", depth=None, columns=None):
    resp = client.get("/api/v1/graph/summary", params=summary_params(depth, columns, None, run))
    assert resp.status == 200, resp
    assert resp.content_type.split(";")[0].strip() == "application/json", resp
    assert resp.json is not None, resp
    return resp.json


def get_graph(client, run="r"):
    resp = client.get("/api/v1/graph", params={"run": run})
    assert resp.status == 200, resp
    assert resp.json is not None, resp
    return resp.json


def seed_table():
    """The resnet18 torchinfo table of the seed: the block between the first and the last line of '='
    (inclusive), with the indentation of the markdown code block removed."""
    with open(SEED, encoding="utf-8") as f:
        lines = f.read().split("\n")
    rules = [i for i, line in enumerate(lines) if len(line.strip()) >= 20 and set(line.strip()) == {"="}]
    assert len(rules) >= 2, "no torchinfo table in %s" % SEED
    block = textwrap.dedent("\n".join(lines[rules[0]:rules[-1] + 1]))
    assert "ResNet" in block and "Total params: 11,689,512" in block, block
    return block


# --- resnet18, built from the architecture -------------------------------------------------------

def conv_out(size, kernel, stride, padding):
    return (size + 2 * padding - kernel) // stride + 1


def build_resnet18(batch=1, image=224, num_classes=1000):
    """torchvision's resnet18 as vizd graph rows, in forward-call order, computed from the architecture:
    conv1 7x7/2, bn, relu, maxpool 3x3/2, four stages of two BasicBlocks (64, 128, 256, 512 planes; the
    first block of stages 2-4 strides by 2 and has a 1x1/2 conv + bn downsample), avgpool, fc.
    A BasicBlock runs conv1, bn1, relu, conv2, bn2, downsample (if any), relu again (one module called
    twice). Convolutions have no bias; BatchNorm owns 2 x channels parameters (running stats are
    buffers). The root row has no output_shape, as in the seed table (its root row prints "--")."""
    rows, edges = [], []

    def row(module, type_, parent, out=None, params=0, kernel=None, attrs=None):
        node = {"id": str(len(rows)), "module": module, "type": type_, "parent": parent}
        if out is not None:
            node["output_shape"] = list(out)
        if params:
            node["params"] = params
            node["trainable_params"] = params
        if kernel is not None:
            node["kernel_size"] = kernel
        if attrs:
            node["attrs"] = attrs
        rows.append(node)
        return node["id"]

    def call(producers, module, *args, **kwargs):
        """A leaf call fed by producers (ids or "input:x"): adds the row and the data-flow edges."""
        node_id = row(module, *args, **kwargs)
        for producer in producers:
            edges.append([producer, node_id])
        return node_id

    def conv(x, module, parent, c_in, c_out, size, k, stride, padding):
        out = conv_out(size, k, stride, padding)
        node = call([x], module, "Conv2d", parent, [batch, c_out, out, out], c_in * c_out * k * k, [k, k],
                    {"stride": [stride, stride], "padding": [padding, padding]})
        return node, out

    def bn(x, module, parent, channels, size):
        return call([x], module, "BatchNorm2d", parent, [batch, channels, size, size], 2 * channels)

    root = row("", "ResNet", None)
    x, size = conv("input:x", "conv1", root, 3, 64, image, 7, 2, 3)
    x = bn(x, "bn1", root, 64, size)
    x = call([x], "relu", "ReLU", root, [batch, 64, size, size])
    size = conv_out(size, 3, 2, 1)
    x = call([x], "maxpool", "MaxPool2d", root, [batch, 64, size, size], kernel=3,
             attrs={"stride": 2, "padding": 1})
    inplanes = 64
    for stage, planes in enumerate([64, 128, 256, 512], start=1):
        first_stride = 1 if stage == 1 else 2
        stage_out = conv_out(size, 3, first_stride, 1)
        layer = row("layer%d" % stage, "Sequential", root, [batch, planes, stage_out, stage_out])
        for index in range(2):
            stride = first_stride if index == 0 else 1
            c_in = inplanes if index == 0 else planes
            path = "layer%d.%d" % (stage, index)
            block = row(path, "BasicBlock", layer, [batch, planes, stage_out, stage_out])
            identity = x
            y, out = conv(x, path + ".conv1", block, c_in, planes, size, 3, stride, 1)
            y = bn(y, path + ".bn1", block, planes, out)
            y = call([y], path + ".relu", "ReLU", block, [batch, planes, out, out])
            y, out = conv(y, path + ".conv2", block, planes, planes, out, 3, 1, 1)
            y = bn(y, path + ".bn2", block, planes, out)
            if stride != 1 or c_in != planes:
                down = row(path + ".downsample", "Sequential", block, [batch, planes, out, out])
                identity, _ = conv(identity, path + ".downsample.0", down, c_in, planes, size, 1, stride, 0)
                identity = bn(identity, path + ".downsample.1", down, planes, out)
            x = call([y, identity], path + ".relu", "ReLU", block, [batch, planes, out, out])
            size = out
        inplanes = planes
    x = call([x], "avgpool", "AdaptiveAvgPool2d", root, [batch, 512, 1, 1])
    call([x], "fc", "Linear", root, [batch, num_classes], 512 * num_classes + num_classes)
    return {"model": "ResNet",
            "inputs": [{"name": "x", "shape": [batch, 3, image, image], "dtype": "float32"}],
            "nodes": rows, "edges": edges,
            "repr": "ResNet(\n  (conv1): Conv2d(3, 64, kernel_size=(7, 7), stride=(2, 2), padding=(3, 3), "
                    "bias=False)\n  ...\n  (fc): Linear(in_features=512, out_features=1000, bias=True)\n)"}


def torchinfo_totals(graph):
    """torchinfo's footer figures for a graph whose containers own no parameters, in float32:
    mult-adds of each leaf with parameters (Conv: params x batch x output spatial size; others: params x
    batch), twice the output bytes of those leaves, 4 bytes a parameter, and the input bytes plus the 56
    bytes sys.getsizeof adds to a torch storage."""
    leaves = [n for n in graph["nodes"] if n.get("params")]
    total = sum(n["params"] for n in leaves)
    macs = 0
    for n in leaves:
        out = n["output_shape"]
        macs += n["params"] * (out[0] * prod(out[2:]) if "Conv" in n["type"] else out[0])
    forward_backward = sum(2 * 4 * prod(n["output_shape"]) for n in leaves)
    input_bytes = sum(4 * prod(i["shape"]) + 56 for i in graph["inputs"])
    return {"total_params": total, "trainable_params": total, "non_trainable_params": 0,
            "total_mult_adds": macs, "input_bytes": input_bytes,
            "forward_backward_pass_bytes": forward_backward, "params_bytes": 4 * total,
            "estimated_total_bytes": input_bytes + forward_backward + 4 * total}


def test_the_resnet18_builder_matches_the_architecture():
    """The builder itself (no daemon): 76 rows, 11,689,512 parameters, the well-known output shapes."""
    graph = build_resnet18()
    nodes = {n["module"]: n for n in graph["nodes"] if n["module"] not in ("",)}
    assert len(graph["nodes"]) == 76
    assert sum(n.get("params", 0) for n in graph["nodes"]) == 11689512
    assert nodes["conv1"]["output_shape"] == [1, 64, 112, 112]
    assert nodes["maxpool"]["output_shape"] == [1, 64, 56, 56]
    assert nodes["layer4.1.conv2"]["output_shape"] == [1, 512, 7, 7]
    assert nodes["layer3.0.downsample"]["parent"] == nodes["layer3.0"]["id"]
    assert "output_shape" not in graph["nodes"][0]
    assert torchinfo_totals(graph)["total_mult_adds"] == 1814083944


# --- the torchinfo fixtures ----------------------------------------------------------------------

@pytest.mark.parametrize("case", load_cases(), ids=lambda case: case["case"])
def test_the_text_summary_matches_torchinfo(client, case):
    graph = json.loads(load_fixture(case["graph"]))
    post_graph(client, "r", graph)
    got = text_summary(client, "r", depth=case["depth"], columns=case["columns"])
    assert_same_table(got, load_fixture(case["expected"]), case["case"])


def test_the_default_depth_is_torchinfos_three_and_the_default_columns_output_shape_and_params(client):
    post_graph(client, "r", json.loads(load_fixture("resnet18.graph.json")))
    got = text_summary(client, "r")
    assert_same_table(got, load_fixture("resnet18.expected.txt"), "resnet18 with no depth and no columns")


def test_all_columns_listed_explicitly_in_another_order_follow_the_order_asked(client):
    post_graph(client, "r", json.loads(load_fixture("lstm.graph.json")))
    got = table_lines(text_summary(client, "r", depth=3, columns=["num_params", "output_size"]))
    header = [line for line in got if line.startswith("Layer (type:depth-idx)")]
    assert len(header) == 1, got
    assert header[0].index("Param #") < header[0].index("Output Shape"), header[0]


# --- resnet18 from the architecture against the seed ---------------------------------------------

def test_resnet18_built_from_the_architecture_gives_the_seed_table(client):
    graph = build_resnet18()
    post_graph(client, "resnet18", graph)
    got = text_summary(client, "resnet18", depth=3)
    assert_same_table(got, seed_table(), "resnet18 built from the architecture vs the seed table")


def test_resnet18_json_summary_totals(client):
    graph = build_resnet18()
    post_graph(client, "resnet18", graph)
    summary = json_summary(client, "resnet18")
    expected = torchinfo_totals(graph)
    # The figures the seed table prints, computed above by arithmetic and written out here.
    assert expected == {"total_params": 11689512, "trainable_params": 11689512, "non_trainable_params": 0,
                        "total_mult_adds": 1814083944, "input_bytes": 602168,
                        "forward_backward_pass_bytes": 39747392, "params_bytes": 46758048,
                        "estimated_total_bytes": 87107608}
    assert summary["totals"] == expected, summary["totals"]
    seed = seed_table()
    assert "Total mult-adds (G): %.2f" % (expected["total_mult_adds"] / 1e9) in seed
    assert "Forward/backward pass size (MB): %.2f" % (expected["forward_backward_pass_bytes"] / 1e6) in seed
    assert "Estimated Total Size (MB): %.2f" % (expected["estimated_total_bytes"] / 1e6) in seed
    # The rows at the default depth 3: every row but the four downsample children (depth 4).
    assert summary["depth"] == 3
    assert summary["columns"] == ["output_size", "num_params"]
    shown = [n["id"] for n in graph["nodes"] if not n["module"].startswith("layer") or
             n["module"].count(".") < 3]
    assert [r["id"] for r in summary["rows"]] == shown
    by_module = {r["module"]: r for r in summary["rows"] if not r.get("is_recursive")}
    down = by_module["layer2.0.downsample"]
    assert (down["depth"], down["index"], down["num_params"], down["params"]) == (3, 18, 8448, "8,448")
    assert by_module["fc"]["num_params"] == 513000
    assert by_module[""]["num_params"] == 11689512


def test_the_json_summary_follows_depth(client):
    graph = build_resnet18()
    post_graph(client, "resnet18", graph)
    shallow = json_summary(client, "resnet18", depth=1)
    assert shallow["depth"] == 1
    assert [r["module"] for r in shallow["rows"]] == [
        "", "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"]
    assert shallow["totals"] == torchinfo_totals(graph)
    assert len(json_summary(client, "resnet18", depth=0)["rows"]) == 1
    assert len(json_summary(client, "resnet18", depth=5)["rows"]) == 76


# --- storing and replacing ------------------------------------------------------------------------

def test_get_graph_returns_the_graph_as_posted_with_its_summary(client):
    graph = json.loads(load_fixture("resnet18.graph.json"))
    post_graph(client, "r", graph)
    answer = get_graph(client, "r")
    assert answer["run"] == "r"
    assert answer["graph"]["nodes"] == graph["nodes"]
    assert answer["graph"]["edges"] == graph["edges"]
    assert answer["graph"]["repr"] == graph["repr"]
    assert answer["graph"] == graph
    assert answer["summary"] == json_summary(client, "r")
    explicit = client.get("/api/v1/graph/summary", params={"run": "r", "format": "json"})
    assert explicit.status == 200 and explicit.json == answer["summary"], explicit
    assert answer["summary"]["totals"]["total_params"] == 11689512


def test_a_new_graph_replaces_the_old_one(client):
    resnet = json.loads(load_fixture("resnet18.graph.json"))
    lstm = json.loads(load_fixture("lstm.graph.json"))
    post_graph(client, "r", resnet)
    post_graph(client, "r", lstm)
    assert get_graph(client, "r")["graph"] == lstm
    assert_same_table(text_summary(client, "r", depth=3), load_fixture("lstm.expected.txt"),
                      "lstm after replacing resnet18")
    assert [run["name"] for run in client.runs()] == ["r"]
    # And back: the replacement is complete, not a merge.
    post_graph(client, "r", resnet)
    assert get_graph(client, "r")["graph"] == resnet
    assert_same_table(text_summary(client, "r", depth=3), load_fixture("resnet18.expected.txt"),
                      "resnet18 after replacing lstm")


def test_graphs_of_two_runs_are_independent(client):
    resnet = json.loads(load_fixture("resnet18.graph.json"))
    frozen = json.loads(load_fixture("frozen.graph.json"))
    post_graph(client, "a", resnet)
    post_graph(client, "b", frozen)
    assert get_graph(client, "a")["graph"] == resnet
    assert get_graph(client, "b")["graph"] == frozen
    assert_same_table(text_summary(client, "b", depth=3), load_fixture("frozen.expected.txt"), "frozen in b")


def test_a_graph_survives_a_restart(vizd):
    graph = json.loads(load_fixture("own_param.graph.json"))
    post_graph(vizd.client, "r", graph)
    vizd.restart()
    assert get_graph(vizd.client, "r")["graph"] == graph
    assert_same_table(text_summary(vizd.client, "r", depth=3), load_fixture("own_param.expected.txt"),
                      "own_param after a restart")


def test_a_graph_and_scalars_in_one_write(client):
    resp = client.write({"run": "r", "scalars": [{"tag": "loss", "step": 0, "value": 1.5}],
                         "graph": json.loads(load_fixture("odd_input.graph.json"))})
    assert resp.status == 200, resp
    assert resp.json["written"]["graph"] == 1 and resp.json["written"]["scalars"] == 1, resp.json
    assert_same_table(text_summary(client, "r", depth=3), load_fixture("odd_input.expected.txt"), "odd_input")


def test_deleting_the_run_deletes_its_graph(client):
    post_graph(client, "r", json.loads(load_fixture("odd_input.graph.json")))
    assert client.delete("/api/v1/runs", params={"run": "r"}).status == 200
    assert_error(client.get("/api/v1/graph", params={"run": "r"}), 404, "not_found")
    post_graph(client, "r", json.loads(load_fixture("frozen.graph.json")))
    assert_same_table(text_summary(client, "r", depth=3), load_fixture("frozen.expected.txt"), "frozen")


# --- not found ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/graph", "/api/v1/graph/summary"])
def test_a_missing_run_is_404(empty_client, path):
    assert_error(empty_client.get(path, params={"run": "nope"}), 404, "not_found")
    if path.endswith("/summary"):  # only the summary takes format (/graph refuses it as unknown)
        assert_error(empty_client.get(path, params={"run": "nope", "format": "text"}), 404, "not_found")
    assert_nothing_stored(empty_client)


@pytest.mark.parametrize("path", ["/api/v1/graph", "/api/v1/graph/summary"])
def test_a_run_without_a_graph_is_404(client, path):
    client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 0, "value": 1.0}]})
    assert_error(client.get(path, params={"run": "r"}), 404, "not_found")


@pytest.mark.parametrize("path", ["/api/v1/graph", "/api/v1/graph/summary"])
def test_no_run_parameter_is_refused(empty_client, path):
    assert_error(empty_client.get(path), 400, "missing_field", "run")


# --- refusals ----------------------------------------------------------------------------------------

def small_graph():
    return {"model": "Net",
            "inputs": [{"name": "x", "shape": [2, 4], "dtype": "float32"}],
            "nodes": [{"id": "0", "module": "", "type": "Net", "parent": None, "output_shape": [2, 3]},
                      {"id": "1", "module": "fc1", "type": "Linear", "parent": "0", "output_shape": [2, 8],
                       "params": 40, "trainable_params": 40},
                      {"id": "2", "module": "act", "type": "ReLU", "parent": "0", "output_shape": [2, 8]},
                      {"id": "3", "module": "fc2", "type": "Linear", "parent": "0", "output_shape": [2, 3],
                       "params": 27, "trainable_params": 27}],
            "edges": [["input:x", "1"], ["1", "2"], ["2", "3"]],
            "repr": "Net(...)"}


def set_field(index, field, value):
    def change(graph):
        graph["nodes"][index][field] = value
    return change


def set_parents(**parents):
    def change(graph):
        for index, parent in parents.items():
            graph["nodes"][int(index[1:])]["parent"] = parent
    return change


def set_edge(index, edge):
    def change(graph):
        graph["edges"][index] = edge
    return change


def drop_nodes(graph):
    del graph["nodes"]


def nodes_as(value):
    def change(graph):
        graph["nodes"] = value
    return change


PLACEHOLDER = 123456789  # a params value replaced, in the JSON text, by a literal JSON cannot carry in Python

# (name, change to small_graph(), literal replacing PLACEHOLDER or None, code, acceptable paths)
REFUSALS = [
    ("duplicate_id", set_field(3, "id", "1"), None, "invalid_value", "graph.nodes[3].id"),
    ("id_not_a_string", set_field(2, "id", 2), None, "invalid_value", "graph.nodes[2].id"),
    ("parent_missing", set_field(2, "parent", "9"), None, "invalid_value", "graph.nodes[2].parent"),
    ("parent_cycle_of_two", set_parents(n1="2", n2="1"), None, "invalid_value",
     ("graph.nodes[1].parent", "graph.nodes[2].parent")),
    ("parent_cycle_of_three", set_parents(n1="3", n2="1", n3="2"), None, "invalid_value",
     ("graph.nodes[1].parent", "graph.nodes[2].parent", "graph.nodes[3].parent")),
    ("cycle_through_the_root", set_parents(n0="3"), None, "invalid_value",
     ("graph.nodes[0].parent", "graph.nodes[3].parent")),
    ("own_parent", set_field(2, "parent", "2"), None, "invalid_value", "graph.nodes[2].parent"),
    ("root_own_parent", set_field(0, "parent", "0"), None, "invalid_value", "graph.nodes[0].parent"),
    ("negative_dimension", set_field(1, "output_shape", [2, -8]), None, "invalid_value",
     "graph.nodes[1].output_shape[1]"),
    ("fractional_dimension", set_field(2, "output_shape", [2, 8.5]), None, "invalid_value",
     "graph.nodes[2].output_shape[1]"),
    ("string_dimension", set_field(2, "output_shape", ["2", 8]), None, "invalid_value",
     "graph.nodes[2].output_shape[0]"),
    ("null_dimension", set_field(2, "output_shape", [2, None]), None, "invalid_value",
     "graph.nodes[2].output_shape[1]"),
    ("negative_input_dimension", lambda g: g["inputs"][0].update(shape=[2, -4]), None, "invalid_value",
     "graph.inputs[0].shape[1]"),
    ("params_1e19_integer", set_field(1, "params", PLACEHOLDER), "10000000000000000000", "invalid_value",
     "graph.nodes[1].params"),
    ("params_1e19_real", set_field(1, "params", PLACEHOLDER), "1e19", "invalid_value",
     "graph.nodes[1].params"),
    ("params_int64_max_plus_one", set_field(1, "params", PLACEHOLDER), str(INT64_MAX + 1), "invalid_value",
     "graph.nodes[1].params"),
    ("params_string", set_field(1, "params", "40"), None, "invalid_value", "graph.nodes[1].params"),
    ("params_negative", set_field(1, "params", -40), None, "invalid_value", "graph.nodes[1].params"),
    ("trainable_params_string", set_field(1, "trainable_params", "40"), None, "invalid_value",
     "graph.nodes[1].trainable_params"),
    ("edge_to_missing_node", set_edge(2, ["2", "9"]), None, "invalid_value", "graph.edges[2][1]"),
    ("edge_from_missing_node", set_edge(1, ["7", "2"]), None, "invalid_value", "graph.edges[1][0]"),
    ("edge_from_unknown_input", set_edge(0, ["input:y", "1"]), None, "invalid_value", "graph.edges[0][0]"),
    ("edge_to_unknown_input", set_edge(2, ["2", "input:nope"]), None, "invalid_value", "graph.edges[2][1]"),
    ("missing_nodes", drop_nodes, None, "missing_field", "graph.nodes"),
    ("nodes_an_object", nodes_as({"0": {"id": "0", "module": "", "type": "Net", "parent": None}}), None,
     "invalid_value", "graph.nodes"),
    ("nodes_a_string", nodes_as("0,1,2"), None, "invalid_value", "graph.nodes"),
    ("nodes_null", nodes_as(None), None, "invalid_value", "graph.nodes"),
]


def refused_body(run, change, literal, scalars=False):
    graph = small_graph()
    change(graph)
    doc = {"run": run, "graph": graph}
    if scalars:
        doc["scalars"] = [{"tag": "t", "step": 5, "value": 2.0}]
    body = dumps(doc)
    if literal is not None:
        assert body.count(str(PLACEHOLDER)) == 1
        body = body.replace(str(PLACEHOLDER), literal)
    return body


def assert_no_graph(client, run):
    assert_error(client.get("/api/v1/graph", params={"run": run}), 404, "not_found")
    assert_error(client.get("/api/v1/graph/summary", params={"run": run, "format": "text"}), 404, "not_found")


@pytest.mark.parametrize("name,change,literal,code,path", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_bad_graph_for_a_new_run_is_refused_and_stores_nothing(empty_client, name, change, literal, code,
                                                                  path):
    resp = empty_client.post("/api/v1/write", body=refused_body("r", change, literal, scalars=True))
    assert_error(resp, 400, code, path)
    assert_no_graph(empty_client, "r")
    assert "r" not in [run["name"] for run in empty_client.runs()]
    assert_nothing_stored(empty_client)


@pytest.mark.parametrize("name,change,literal,code,path", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_bad_graph_for_an_existing_run_is_refused_and_changes_nothing(client, name, change, literal, code,
                                                                         path):
    # Run "plain" has scalars and no graph; run "g" has a graph. Neither may change.
    client.write_ok({"run": "plain", "scalars": [{"tag": "t", "step": 0, "value": 1.0}]})
    old = json.loads(load_fixture("frozen.graph.json"))
    post_graph(client, "g", old)
    runs_before = client.runs()
    old_table = text_summary(client, "g", depth=3)

    resp = client.post("/api/v1/write", body=refused_body("plain", change, literal, scalars=True))
    assert_error(resp, 400, code, path)
    assert_no_graph(client, "plain")
    assert client.series("t", "plain")["points"][0][0] == 0
    assert [p[0] for p in client.series("t", "plain")["points"]] == [0]  # the scalar at step 5 is not stored

    resp = client.post("/api/v1/write", body=refused_body("g", change, literal))
    assert_error(resp, 400, code, path)
    assert get_graph(client, "g")["graph"] == old
    assert text_summary(client, "g", depth=3) == old_table
    assert client.runs() == runs_before


def overflow_params(graph):
    graph["nodes"][1].update(params=INT64_MAX, trainable_params=INT64_MAX)
    graph["nodes"][3].update(params=INT64_MAX, trainable_params=0)


def overflow_output_bytes(graph):
    graph["nodes"][1]["output_shape"] = [2 ** 62, 1]  # 2^62 elements fit int64; their 4-byte floats do not


def overflow_mult_adds(graph):
    graph["nodes"][1]["mult_adds"] = INT64_MAX
    graph["nodes"][3]["mult_adds"] = INT64_MAX


@pytest.mark.parametrize("change", [overflow_params, overflow_output_bytes, overflow_mult_adds])
def test_a_graph_whose_totals_exceed_int64_is_refused_at_write_and_stores_nothing(client, change):
    """Every count fits int64 but a total does not. The graph is validated in full before it is stored
    (a stored graph always has a summary), so the write is refused; storing it would leave a run whose
    GET /api/v1/graph answers 400 forever."""
    graph = small_graph()
    change(graph)
    resp = client.write({"run": "r", "graph": graph})
    err = assert_error(resp, 400, "invalid_value")
    assert err["path"].startswith("graph.nodes"), err
    assert_no_graph(client, "r")
    assert client.runs() == []


@pytest.mark.parametrize("params,path", [
    ({"depth": "-1"}, "depth"),
    ({"depth": "abc"}, "depth"),
    ({"depth": "1.5"}, "depth"),
    ({"depth": str(INT64_MAX + 1)}, "depth"),
    ({"columns": "bogus"}, "columns"),
    ({"columns": "output_size,bogus"}, "columns"),
    ({"format": "xml"}, "format"),
    ({"format": "xml", "depth": "1"}, "format"),
    ({"depth": "-1", "format": "text"}, "depth"),
    ({"columns": "bogus", "format": "text"}, "columns"),
])
def test_bad_summary_parameters_are_refused_naming_them(client, params, path):
    post_graph(client, "r", json.loads(load_fixture("odd_input.graph.json")))
    query = dict(params, run="r")
    assert_error(client.get("/api/v1/graph/summary", params=query), 400, "invalid_value", path)
    # Nothing changed: the graph is still there and still summarised.
    assert_same_table(text_summary(client, "r", depth=3), load_fixture("odd_input.expected.txt"), "odd_input")


# --- size and names ------------------------------------------------------------------------------------

def big_graph(blocks=107, per_block=13):
    """1 root + blocks x (Sequential + per_block Linear(8, 8)) + a Linear head: 1,500 rows by default."""
    nodes = [{"id": "n0", "module": "", "type": "Big", "parent": None, "output_shape": [4, 2]}]
    edges, previous = [], "input:x"
    for b in range(blocks):
        block_id = "n%d" % len(nodes)
        nodes.append({"id": block_id, "module": "blocks.%d" % b, "type": "Sequential", "parent": "n0",
                      "output_shape": [4, 8]})
        for i in range(per_block):
            node_id = "n%d" % len(nodes)
            nodes.append({"id": node_id, "module": "blocks.%d.%d" % (b, i), "type": "Linear",
                          "parent": block_id, "output_shape": [4, 8], "params": 72, "trainable_params": 72,
                          "dtype": "float32"})
            edges.append([previous, node_id])
            previous = node_id
    head = "n%d" % len(nodes)
    nodes.append({"id": head, "module": "head", "type": "Linear", "parent": "n0", "output_shape": [4, 2],
                  "params": 18, "trainable_params": 18})
    edges.append([previous, head])
    return {"model": "Big", "inputs": [{"name": "x", "shape": [4, 8], "dtype": "float32"}],
            "nodes": nodes, "edges": edges, "repr": "Big(...)"}


def test_a_graph_of_1500_nodes_is_stored_and_summarised(client):
    graph = big_graph()
    assert len(graph["nodes"]) == 1500
    post_graph(client, "big", graph)
    assert get_graph(client, "big")["graph"] == graph

    total = 107 * 13 * 72 + 18
    lines = table_lines(text_summary(client, "big", depth=3))
    rows = [line for line in lines if line.startswith(("Big", "├─", "│"))]
    assert len(rows) == 1500, lines[:10]
    assert rows[0].split() == ["Big", "[4,", "2]", "--"]
    assert rows[1].split() == ["├─Sequential:", "1-1", "[4,", "8]", "--"]
    assert rows[2].split() == ["│", "└─Linear:", "2-1", "[4,", "8]", "72"]
    assert rows[-2].split() == ["│", "└─Linear:", "2-1391", "[4,", "8]", "72"]
    assert rows[-1].split() == ["├─Linear:", "1-108", "[4,", "2]", "18"]
    assert "Total params: {:,}".format(total) in lines
    assert "Trainable params: {:,}".format(total) in lines
    assert "Total mult-adds (M): %.2f" % (4 * total / 1e6) in lines  # params x batch for each Linear

    shallow = table_lines(text_summary(client, "big", depth=1))
    rows = [line for line in shallow if line.startswith(("Big", "├─", "│"))]
    assert len(rows) == 109
    assert rows[107].split() == ["├─Sequential:", "1-107", "[4,", "8]", "936"]
    assert "Total params: {:,}".format(total) in shallow

    summary = json_summary(client, "big", depth=5)
    assert len(summary["rows"]) == 1500
    assert summary["totals"]["total_params"] == total
    assert summary["totals"]["total_mult_adds"] == 4 * total


SCRIPT = "<script>alert(1)</script>"
UNICODE_NAMES = ["编码器", "Ünïcödé_Blöck", "слой☃", "emoji_🚀"]


def markup_and_unicode_graph():
    nodes = [{"id": "0", "module": "", "type": "Modèle_模型", "parent": None, "output_shape": [1, 4]},
             {"id": SCRIPT, "module": SCRIPT, "type": SCRIPT, "parent": "0", "output_shape": [1, 4],
              "params": 20, "trainable_params": 20}]
    for name in UNICODE_NAMES:
        nodes.append({"id": "id-" + name, "module": name, "type": name.capitalize(), "parent": "0",
                      "output_shape": [1, 4], "params": 20, "trainable_params": 20})
    nodes.insert(3, {"id": "child", "module": UNICODE_NAMES[0] + ".子", "type": "Linear",
                  "parent": "id-" + UNICODE_NAMES[0], "output_shape": [1, 4], "params": 20,
                  "trainable_params": 20, "attrs": {"note": SCRIPT + " & \"quotes\" \\ 🚀"}})
    nodes[2]["params"] = 0  # 编码器 is a container; its child owns the parameters
    del nodes[2]["trainable_params"]
    edges = [["input:" + SCRIPT, SCRIPT], [SCRIPT, "id-" + UNICODE_NAMES[0]]]
    return {"model": "Modèle_模型 " + SCRIPT,
            "inputs": [{"name": SCRIPT, "shape": [1, 4], "dtype": "float32"}],
            "nodes": nodes, "edges": edges,
            "repr": "Modèle_模型(\n  (%s): Linear(in_features=4, out_features=4)\n  # \u2028 \t 🚀 </pre>\n)" % SCRIPT}


def test_markup_and_unicode_names_round_trip_verbatim(client):
    graph = markup_and_unicode_graph()
    run = "run <b>é</b> 模型"
    post_graph(client, run, graph)
    answer = get_graph(client, run)
    assert answer["run"] == run
    assert answer["graph"] == graph
    resp = client.get("/api/v1/graph", params={"run": run})
    assert "&lt;" not in resp.text and "&#" not in resp.text

    text = text_summary(client, run, depth=3)
    assert "&lt;" not in text and "&#" not in text
    lines = table_lines(text)
    assert any(line.startswith("Modèle_模型 ") for line in lines), lines
    header = next(line for line in lines if line.startswith("Layer (type:depth-idx)"))
    column = header.index("Output Shape")
    labels = [line[:column].rstrip() for line in lines if line.startswith(("├─", "│"))]
    assert labels == ["├─%s: 1-1" % SCRIPT, "├─编码器: 1-2", "│    └─Linear: 2-1", "├─Ünïcödé_blöck: 1-3",
                      "├─Слой☃: 1-4", "├─Emoji_🚀: 1-5"], labels
    # Columns are counted in characters: "Output Shape" starts at the same character on every row.
    for line in lines:
        if line.startswith(("├─", "│", "Modèle")):
            assert line[column:column + 6] == "[1, 4]", (line, column)

    summary = json_summary(client, run)
    assert [r["module"] for r in summary["rows"]] == [""] + [SCRIPT] + UNICODE_NAMES[:1] + [
        UNICODE_NAMES[0] + ".子"] + UNICODE_NAMES[1:]
    assert summary["rows"][1]["type"] == SCRIPT and summary["rows"][1]["id"] == SCRIPT
    assert summary["totals"]["total_params"] == 20 * 5
