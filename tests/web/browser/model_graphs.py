"""model_graphs.py -- graphs of real models as the Python client's add_graph sends them, for the Graph
tab's browser test and bench/bench_graph_layout.mjs (they draw what users will see, not a made-up JSON).

    python3 tests/web/browser/model_graphs.py resnet18 [transformer ...]   -> {"resnet18": graph, ...}

resnet18 is tests/fixtures/torchinfo/make_expected.py's (no torchvision). transformer is a GPT-like
stack written with functional maths (layer norm, per-head attention, tanh GELU), 25 blocks of 12
modules each (300 module rows) and about 2,000 op nodes: the size the Graph tab must draw in 2 s.
"""

import json
import math
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures", "torchinfo"))

from vizd_client.graph import export_graph  # noqa: E402
import make_expected  # noqa: E402


class LayerNorm(nn.Module):
    """Layer norm spelt out, so each step is an op of its own, and with submodule-free parameters."""

    def __init__(self, width):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(width))
        self.shift = nn.Parameter(torch.zeros(width))

    def forward(self, x):
        mean = x.mean(-1, keepdim=True)
        var = ((x - mean) ** 2).mean(-1, keepdim=True)
        return (x - mean) / torch.sqrt(var + 1e-5) * self.gain + self.shift


class Attention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v = nn.Linear(width, width), nn.Linear(width, width), nn.Linear(width, width)
        self.proj = nn.Linear(width, width)

    def forward(self, x):
        q, k, v = self.q(x), self.k(x), self.v(x)
        size = x.shape[-1] // self.heads
        outs = []
        for h in range(self.heads):
            part = slice(h * size, (h + 1) * size)
            scores = q[..., part] @ k[..., part].transpose(-2, -1) / math.sqrt(size)
            outs.append(torch.softmax(scores, dim=-1) @ v[..., part])
        return self.proj(torch.cat(outs, dim=-1))


class Mlp(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)
        self.act = nn.Identity()

    def forward(self, x):
        h = self.act(self.fc1(x))
        h = 0.5 * h * (1 + torch.tanh(0.7978845608 * (h + 0.044715 * h ** 3)))
        return self.fc2(h)


class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.ln1, self.attn = LayerNorm(width), Attention(width, heads)
        self.ln2, self.mlp = LayerNorm(width), Mlp(width)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class Transformer(nn.Module):
    def __init__(self, blocks=25, width=32, heads=8):
        super().__init__()
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(blocks))

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x


MODELS = {
    "resnet18": lambda: (make_expected.ResNet(), torch.rand(1, 3, 224, 224)),
    "transformer": lambda: (Transformer(), torch.rand(1, 16, 32)),
}


def main(names):
    torch.manual_seed(0)
    graphs = {}
    for name in names:
        model, x = MODELS[name]()
        graphs[name] = export_graph(model, x)
    json.dump(graphs, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:] or list(MODELS))
