"""test_import_graph.py -- `vizd --import` reads the graph_def that real torch.utils.tensorboard and
tensorboardX add_graph write (several models, one with skip connections), in a logdir made by the test:

  - the imported graph has one node per GraphDef node (op nodes, plus the IO Nodes as the graph's
    inputs and outputs) and one edge per (input, node) pair of the GraphDef whose input is a node,
    read back here with TensorBoard's own protobuf classes;
  - scope paths become module rows (ResNet/Sequential[layer1]/BasicBlock[0] -> "layer1.0"), ops are
    parented to them, the residual add takes the block input, and edges carry _output_shapes;
  - a directory holding only a graph is a run; /graph/summary answers 200 with the reason it has no
    table, as JSON and as text;
  - the import's line names what it skipped, by kind and tag (audio, pr curves, run metadata).
"""

import os
import sys

import pytest
import tensorboardX
import torch
import torch.nn.functional as F
from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader
from tensorboard.compat.proto.event_pb2 import Event
from tensorboard.compat.proto.graph_pb2 import GraphDef
from torch import nn
from torch.utils.tensorboard import SummaryWriter as TorchWriter

from harness import REPO_ROOT, run_vizd_expecting_exit

sys.path.insert(0, os.path.join(REPO_ROOT, "tests", "fixtures", "torchinfo"))
import make_expected  # noqa: E402  (resnet18 without torchvision)


class TwoBranch(nn.Module):
    def __init__(self):
        super().__init__()
        self.left, self.right = nn.Conv2d(3, 4, 1), nn.Conv2d(3, 4, 3, padding=1)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        y = torch.cat([F.relu(self.left(x)), self.right(x)], 1)
        return self.head(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))


MODELS = {
    "resnet18": (make_expected.ResNet, (1, 3, 64, 64)),
    "mlp": (lambda: nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 3)), (4, 10)),
    "branches": (TwoBranch, (1, 3, 8, 8)),
}
WRITERS = {"torch": TorchWriter, "tensorboardX": tensorboardX.SummaryWriter}


def write_graph(directory, writer_name, model_name):
    torch.manual_seed(0)
    make, shape = MODELS[model_name]
    with WRITERS[writer_name](str(directory)) as writer:
        writer.add_graph(make(), torch.rand(*shape))


def graph_def_in(directory):
    """The GraphDef the writer put in the directory's event file, as TensorBoard's protobuf reads it."""
    (path,) = [p for p in directory.iterdir() if p.name.startswith("events.out.tfevents")]
    for record in RawEventFileLoader(str(path)).Load():
        event = Event.FromString(record)
        if event.HasField("graph_def"):
            return GraphDef.FromString(event.graph_def)
    raise AssertionError("no graph_def in %s" % path)


def expected_flow(graph_def):
    """What vizd must make of a GraphDef: the names each node is known by, and the edges between them."""
    names = {}
    for node in graph_def.node:
        if node.op == "IO Node" and node.name.startswith("input/"):
            names[node.name] = "input:" + node.name[len("input/"):]
        elif node.op == "IO Node" and node.name.startswith("output/"):
            names[node.name] = "output:" + node.name[len("output/"):]
        else:
            names[node.name] = node.name
    edges = set()
    for node in graph_def.node:
        for source in node.input:
            source = source.lstrip("^")
            if source not in names and ":" in source:
                source = source.rsplit(":", 1)[0]
            if source in names and names[source] != names[node.name]:
                edges.add((names[source], names[node.name]))
    return names, edges


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("graphs") / "runs"
    for writer_name in WRITERS:
        for model_name in MODELS:
            write_graph(root / writer_name / model_name, writer_name, model_name)
    return root


@pytest.fixture(scope="module")
def imported(logdir, tmp_path_factory):
    """The logdir imported once with --import-only; the tests read the database through a daemon."""
    db = tmp_path_factory.mktemp("db") / "runs.sqlite"
    status, stderr = run_vizd_expecting_exit(["--db", str(db), "--import", str(logdir), "--import-only"], timeout=60)
    assert status == 0, stderr
    return db, stderr


@pytest.fixture
def daemon(imported, vizd_factory):
    return vizd_factory(db=imported[0])


def get_graph(daemon, run):
    resp = daemon.client.get("/api/v1/graph", params={"run": run})
    assert resp.status == 200, resp
    return resp.json["graph"]


@pytest.mark.parametrize("writer_name", list(WRITERS))
@pytest.mark.parametrize("model_name", list(MODELS))
def test_the_graph_has_the_nodes_and_edges_of_the_graph_def(daemon, logdir, writer_name, model_name):
    run = "%s/%s" % (writer_name, model_name)
    graph_def = graph_def_in(logdir / writer_name / model_name)
    names, edges = expected_flow(graph_def)
    graph = get_graph(daemon, run)
    ops = [node for node in graph["nodes"] if node.get("kind") == "op"]
    assert len(ops) + len(graph["inputs"]) + len(graph["outputs"]) == len(graph_def.node)
    assert {node["id"] for node in ops} | {"input:" + i["name"] for i in graph["inputs"]} \
        | {"output:" + o["name"] for o in graph["outputs"]} == set(names.values())
    assert {(edge[0], edge[1]) for edge in graph["edges"]} == edges
    assert len(graph["edges"]) == len(edges)
    producer_of = {names[node.name]: node for node in graph_def.node}
    for edge in graph["edges"]:
        producer = producer_of[edge[0]]
        shapes = producer.attr["_output_shapes"].list.shape if "_output_shapes" in producer.attr else []
        if shapes and all(d.size >= 0 for d in shapes[0].dim):
            assert edge[2] == {"shape": [d.size for d in shapes[0].dim]}, edge
        else:
            assert len(edge) == 2, edge


@pytest.mark.parametrize("writer_name", list(WRITERS))
def test_resnet18s_scopes_are_module_rows_and_each_block_adds_its_input(daemon, writer_name):
    graph = get_graph(daemon, writer_name + "/resnet18")
    modules = {node["id"]: node for node in graph["nodes"] if node.get("kind") != "op"}
    by_path = {node["module"]: node for node in modules.values()}
    assert by_path[""]["type"] == "ResNet" and by_path[""]["parent"] is None
    assert by_path["layer1.0"]["type"] == "BasicBlock"
    assert by_path["layer1.0.conv1"]["parent"] == by_path["layer1.0"]["id"]
    assert by_path["layer2.0.downsample.0"]["type"] == "Conv2d"
    assert "layer1.0.conv1.weight" not in by_path  # GetAttr scopes are not modules
    nodes = {node["id"]: node for node in graph["nodes"]}
    adds = [node for node in graph["nodes"] if node.get("op") == "add" and node.get("type") == "aten::add"]
    assert len(adds) == 8
    for add in adds:
        block = modules[add["parent"]]
        assert block["type"] == "BasicBlock", block
        sources = [nodes[e[0]] for e in graph["edges"] if e[1] == add["id"] and e[0] in nodes
                   and nodes[e[0]].get("output_shape")]
        assert len(sources) == 2, [s["id"] for s in sources]  # the main path and the shortcut
        assert all(s["output_shape"] == add["output_shape"] for s in sources)
    (layer2_add,) = [a for a in adds if modules[a["parent"]]["module"] == "layer2.0"]
    shortcut_scopes = [modules[nodes[e[0]]["parent"]]["module"] for e in graph["edges"]
                       if e[1] == layer2_add["id"] and e[0] in nodes and nodes[e[0]].get("output_shape")]
    assert sorted(shortcut_scopes) == ["layer2.0.bn2", "layer2.0.downsample.1"]
    assert graph["inputs"] == [{"name": "x", "shape": [1, 3, 64, 64]}]


def test_a_directory_holding_only_a_graph_is_a_run_whose_summary_says_why_there_is_no_table(daemon):
    runs = [run["name"] for run in daemon.client.runs()]
    assert runs == sorted("%s/%s" % (w, m) for w in WRITERS for m in MODELS)
    assert all(run["counts"]["graph"] == 1 for run in daemon.client.runs())
    resp = daemon.client.get("/api/v1/graph/summary", params={"run": "torch/mlp"})
    assert resp.status == 200, resp
    assert resp.json["rows"] == [] and resp.json["totals"] is None
    assert "GraphDef" in resp.json["unavailable"] and "parameter" in resp.json["unavailable"]
    text = daemon.client.get("/api/v1/graph/summary", params={"run": "torch/mlp", "format": "text"}).text
    assert text == "No summary: " + resp.json["unavailable"] + "\n"


def test_the_import_line_counts_graphs_and_names_the_run_metadata_it_skipped(imported):
    _, stderr = imported
    assert "6 graphs" in stderr, stderr
    # Both add_graphs also write the trace's step stats (tagged_run_metadata), which vizd leaves out:
    # torch tags them "step1", tensorboardX "profiler".
    assert "6 values skipped: run metadata 6 (tags profiler, step1)" in stderr, stderr


def test_the_import_line_names_the_kinds_and_tags_it_skipped(tmp_path):
    logdir = tmp_path / "runs"
    with TorchWriter(str(logdir)) as writer:
        writer.add_scalar("loss", 0.5, 0)
        writer.add_audio("speech", torch.zeros(1, 800), 0)
        writer.add_audio("noise", torch.zeros(1, 800), 1)
        writer.add_pr_curve("pr/cat", torch.tensor([1, 0, 1]), torch.tensor([0.9, 0.2, 0.6]), 0)
    status, stderr = run_vizd_expecting_exit(["--db", str(tmp_path / "x.sqlite"), "--import", str(logdir),
                                              "--import-only"], timeout=30)
    assert status == 0, stderr
    assert "1 scalars" in stderr
    assert "3 values skipped: audio 2 (tags speech, noise), pr_curves 1 (tags pr/cat)" in stderr, stderr
