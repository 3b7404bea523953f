"""test_graph_flow.py -- add_graph records the data flow of one forward pass (real torch, real vizd):

  - resnet18 (tests/fixtures/torchinfo/make_expected.py, no torchvision): every BasicBlock has an add op
    with exactly two inbound edges, from its bn2 and from the block input or its downsample; layer2.0's
    downsample feeds that add; the edge into layer2.0.conv1 carries [1, 64, 56, 56]; the torchinfo
    table is the fixture's, character for character;
  - a small CNN, pool(relu(conv1(x))) then conv2, all functional: relu and max_pool2d op nodes between
    the convs and the edge into conv2 carries [1, 16, 16, 16];
  - torch.cat of two branches: one cat op with an edge from each branch;
  - one module called twice: two rows of the module, each with its own edges;
  - views that compute nothing are folded into the edge (which keeps the consumed tensor's shape);
  - the grown contract is checked: a bad edge tensor or an unknown output end is refused, naming it.
"""

import os
import sys

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from harness import REPO_ROOT, assert_error

sys.path.insert(0, os.path.join(REPO_ROOT, "clients", "python"))
sys.path.insert(0, os.path.join(REPO_ROOT, "tests", "fixtures", "torchinfo"))

from vizd_client import SummaryWriter  # noqa: E402
import make_expected  # noqa: E402


def logged_graph(vizd, model, x, run="r"):
    with SummaryWriter(run, url="http://127.0.0.1:%d" % vizd.port) as writer:
        writer.add_graph(model, x)
    resp = vizd.client.get("/api/v1/graph", params={"run": run})
    assert resp.status == 200, resp
    return resp.json["graph"]


class Flow:
    """A graph's nodes by id and module path, and its edges by destination."""

    def __init__(self, graph):
        self.nodes = {node["id"]: node for node in graph["nodes"]}
        self.by_module = {}
        for node in graph["nodes"]:
            if node.get("kind") != "op":
                self.by_module.setdefault(node["module"], []).append(node["id"])
        self.edges = graph["edges"]

    def into(self, node_id):
        return [edge for edge in self.edges if edge[1] == node_id]

    def ops_in(self, module, op):
        parents = set(self.by_module[module])
        return [node for node in self.nodes.values()
                if node.get("kind") == "op" and node["op"] == op and node["parent"] in parents]

    def module_of(self, node_id):
        return self.nodes[node_id].get("module") if node_id in self.nodes else node_id


@pytest.fixture
def resnet_graph(vizd):
    torch.manual_seed(0)
    graph = logged_graph(vizd, make_expected.ResNet(), torch.rand(1, 3, 224, 224))
    text = vizd.client.get("/api/v1/graph/summary", params={"run": "r", "format": "text"}).text
    return graph, text


def test_every_basic_block_adds_its_main_path_and_its_shortcut(resnet_graph):
    flow = Flow(resnet_graph[0])
    for layer in range(1, 5):
        for block in range(2):
            name = "layer%d.%d" % (layer, block)
            (add,) = flow.ops_in(name, "add")
            inbound = flow.into(add["id"])
            assert len(inbound) == 2, (name, inbound)
            sources = sorted(flow.module_of(edge[0]) for edge in inbound)
            if layer > 1 and block == 0:
                shortcut = name + ".downsample.1"
            else:  # the block's input: the previous block's last relu, or the stem's maxpool
                shortcut = "maxpool" if name == "layer1.0" else (
                    "layer%d.0.relu" % layer if block == 1 else "layer%d.1.relu" % (layer - 1))
            assert sources == sorted([name + ".bn2", shortcut]), (name, sources)
            assert all(edge[2]["shape"] == add["output_shape"] for edge in inbound)


def test_layer2_0s_downsample_feeds_the_add(resnet_graph):
    flow = Flow(resnet_graph[0])
    (add,) = flow.ops_in("layer2.0", "add")
    (downsample_bn,) = flow.by_module["layer2.0.downsample.1"]
    assert [downsample_bn, add["id"], {"shape": [1, 128, 28, 28], "dtype": "float32"}] in flow.edges


def test_the_edge_into_layer2_0_conv1_carries_the_tensor_it_is_given(resnet_graph):
    flow = Flow(resnet_graph[0])
    (conv1,) = flow.by_module["layer2.0.conv1"]
    (edge,) = flow.into(conv1)
    assert flow.module_of(edge[0]) == "layer1.1.relu"
    assert edge[2] == {"shape": [1, 64, 56, 56], "dtype": "float32"}


def test_resnet18_flattens_between_avgpool_and_fc_and_returns_the_logits(resnet_graph):
    flow = Flow(resnet_graph[0])
    (flatten,) = flow.ops_in("", "flatten")
    assert [flow.module_of(e[0]) for e in flow.into(flatten["id"])] == ["avgpool"]
    (fc,) = flow.by_module["fc"]
    assert flow.into(fc) == [[flatten["id"], fc, {"shape": [1, 512], "dtype": "float32"}]]
    assert flow.into("output:output") == [[fc, "output:output", {"shape": [1, 1000], "dtype": "float32"}]]
    assert resnet_graph[0]["outputs"] == [{"name": "output", "shape": [1, 1000], "dtype": "float32"}]


def test_resnet18s_table_is_still_torchinfos(resnet_graph):
    with open(os.path.join(REPO_ROOT, "tests", "fixtures", "torchinfo", "resnet18.expected.txt"),
              encoding="utf-8") as f:
        expected = f.read()
    got = resnet_graph[1]
    assert [line.rstrip() for line in got.rstrip("\n").split("\n")] == \
        [line.rstrip() for line in expected.rstrip("\n").split("\n")]


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)

    def forward(self, x):
        return self.conv2(F.max_pool2d(F.relu(self.conv1(x)), 2))


def test_the_edge_into_conv2_carries_the_pooled_shape_with_max_pool2d_between(vizd):
    flow = Flow(logged_graph(vizd, SmallCNN(), torch.rand(1, 3, 32, 32)))
    (conv1,), (conv2,) = flow.by_module["conv1"], flow.by_module["conv2"]
    (into_conv2,) = flow.into(conv2)
    pool = flow.nodes[into_conv2[0]]
    assert (pool.get("kind"), pool["op"]) == ("op", "max_pool2d")
    assert into_conv2[2] == {"shape": [1, 16, 16, 16], "dtype": "float32"}
    (into_pool,) = flow.into(pool["id"])
    relu = flow.nodes[into_pool[0]]
    assert relu["op"] == "relu" and into_pool[2]["shape"] == [1, 16, 32, 32]
    assert flow.into(relu["id"]) == [[conv1, relu["id"], {"shape": [1, 16, 32, 32], "dtype": "float32"}]]
    assert relu["parent"] == pool["parent"] == flow.by_module[""][0]


class TwoBranches(nn.Module):
    """Two convolutions of the same input, concatenated, then a linear head applied twice."""

    def __init__(self):
        super().__init__()
        self.left = nn.Conv2d(3, 4, 1)
        self.right = nn.Conv2d(3, 6, 3, padding=1)
        self.head = nn.Linear(10, 10)

    def forward(self, x):
        y = torch.cat([self.left(x), self.right(x)], dim=1)
        y = y.mean(dim=(2, 3)).view(1, 10)  # a view that changes nothing: folded
        return self.head(torch.relu(self.head(y)))


def test_a_cat_of_two_branches_and_a_module_called_twice(vizd):
    graph = logged_graph(vizd, TwoBranches(), torch.rand(1, 3, 8, 8))
    flow = Flow(graph)
    (left,), (right,) = flow.by_module["left"], flow.by_module["right"]
    assert [e[0] for e in flow.into(left)] == ["input:x"] and [e[0] for e in flow.into(right)] == ["input:x"]
    (cat,) = flow.ops_in("", "cat")
    assert sorted((e[0], e[2]["shape"][1]) for e in flow.into(cat["id"])) == sorted([(left, 4), (right, 6)])
    assert cat["output_shape"] == [1, 10, 8, 8]
    assert [op["op"] for op in flow.nodes.values() if op.get("kind") == "op"] == ["cat", "mean", "relu"]
    first, second = flow.by_module["head"]
    (mean,) = flow.ops_in("", "mean")
    (relu,) = flow.ops_in("", "relu")
    assert flow.into(first) == [[mean["id"], first, {"shape": [1, 10], "dtype": "float32"}]]
    assert flow.into(relu["id"]) == [[first, relu["id"], {"shape": [1, 10], "dtype": "float32"}]]
    assert flow.into(second) == [[relu["id"], second, {"shape": [1, 10], "dtype": "float32"}]]
    assert flow.into("output:output") == [[second, "output:output", {"shape": [1, 10], "dtype": "float32"}]]
    rows = vizd.client.get("/api/v1/graph/summary", params={"run": "r"}).json["rows"]
    assert [(row["module"], row["is_recursive"]) for row in rows] == \
        [("", False), ("left", False), ("right", False), ("head", False), ("head", True)]


def test_ops_are_listed_in_the_order_they_ran_among_the_module_rows(vizd):
    graph = logged_graph(vizd, SmallCNN(), torch.rand(1, 3, 8, 8))
    assert [node.get("op", node.get("module")) for node in graph["nodes"]] == \
        ["", "conv1", "relu", "max_pool2d", "conv2"]


class InPlace(nn.Module):
    """An in-place relu and a contiguous() of a contiguous tensor, both in the model's own forward."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(4, 4), nn.Linear(4, 4)

    def forward(self, x):
        h = F.relu(self.fc1(x), inplace=True).contiguous()
        return self.fc2(h)


def test_an_in_place_op_is_drawn_and_an_op_that_changes_nothing_is_folded(vizd):
    flow = Flow(logged_graph(vizd, InPlace(), torch.rand(2, 4)))
    assert [node["op"] for node in flow.nodes.values() if node.get("kind") == "op"] == ["relu"]
    (relu,) = flow.ops_in("", "relu")
    (fc1,), (fc2,) = flow.by_module["fc1"], flow.by_module["fc2"]
    assert flow.into(relu["id"]) == [[fc1, relu["id"], {"shape": [2, 4], "dtype": "float32"}]]
    assert flow.into(fc2) == [[relu["id"], fc2, {"shape": [2, 4], "dtype": "float32"}]]


def small_flow_graph():
    return {"inputs": [{"name": "x", "shape": [1, 4]}], "outputs": [{"name": "y"}],
            "nodes": [{"id": "0", "module": "", "type": "Net", "parent": None},
                      {"id": "1", "module": "fc", "type": "Linear", "parent": "0", "params": 20},
                      {"id": "op0", "kind": "op", "op": "relu", "parent": "0"}],
            "edges": [["input:x", "1", {"shape": [1, 4], "dtype": "float32"}], ["1", "op0"],
                      ["op0", "output:y", {"shape": [1, 4]}]]}


def test_a_posted_graph_with_op_nodes_and_shaped_edges_round_trips(client):
    graph = small_flow_graph()
    assert client.write({"run": "r", "graph": graph}).status == 200
    got = client.get("/api/v1/graph", params={"run": "r"}).json
    assert got["graph"]["edges"] == graph["edges"] and got["graph"]["nodes"] == graph["nodes"]
    assert [row["module"] for row in got["summary"]["rows"]] == ["", "fc"]


@pytest.mark.parametrize("change,path", [
    (lambda g: g["edges"][0][2].update(shape=[1, -4]), "graph.edges[0][2].shape[1]"),
    (lambda g: g["edges"][0][2].update(dtype="float7"), "graph.edges[0][2].dtype"),
    (lambda g: g["edges"][0].__setitem__(2, [1, 4]), "graph.edges[0][2]"),
    (lambda g: g["edges"][2].__setitem__(1, "output:z"), "graph.edges[2][1]"),
    (lambda g: g["nodes"][2].pop("op"), "graph.nodes[2].op"),
    (lambda g: g["nodes"][1].update(parent="op0"), "graph.nodes[1].parent"),
    (lambda g: g["outputs"][0].pop("name"), "graph.outputs[0].name"),
])
def test_a_bad_data_flow_item_is_refused_naming_it(client, change, path):
    graph = small_flow_graph()
    change(graph)
    resp = client.write({"run": "bad", "graph": graph})
    assert_error(resp, 400, path=path)
    assert client.get("/api/v1/graph", params={"run": "bad"}).status == 404
