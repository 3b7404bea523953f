#!/usr/bin/env python3
"""tutorial_workflow.py -- log a PyTorch visualisation tutorial's whole workflow into a running vizd, the
way a TensorBoard user would with the Python client (clients/python, torch.utils.tensorboard's calls).

    python3 bench/tutorial_workflow.py http://127.0.0.1:6006

The tutorial (print / torchinfo of resnet18, a VGG11's conv kernels and feature maps, a class-activation
map, then TensorBoard: add_graph of a small Net, images, add_scalar of x and y = x^2 for 500 steps,
add_histogram of a shifting normal for 20 steps) becomes, per run:

  tutorial/resnet18   add_graph(resnet18) (tests/fixtures/torchinfo/make_expected.py's, no torchvision)
  tutorial/vgg11      conv kernels features.0.weight [64, 3, 3, 3] and features.3.weight [128, 64, 3, 3];
                      feature maps of features.0 [1, 64, 224, 224] and features.3 [1, 128, 112, 112] for
                      one input image; a 224 x 224 CAM heatmap over it; the kernel figure as a 960 x 960 image
  tutorial/net        add_graph(Net) (make_expected.py's); images: one 3 x 224 x 224, a batch of
                      16 32 x 32, make_grid grids of 266 x 266 and 1810 x 906; scalars x and y for 500
                      steps; histogram w for 20 steps; a text

Weights are seeded random (no download), so two runs of the script log the same bytes.
bench/tab_bytes.mjs then measures what each dashboard tab transfers for it.
"""

import os
import sys
import tempfile

import numpy as np
import torch
from torch import nn

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures", "torchinfo"))

from vizd_client import SummaryWriter  # noqa: E402
import make_expected  # noqa: E402


def picture(height, width, seed):
    """A photo-like RGB image in [0, 1], [3, H, W]: smooth colour fields plus a little noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    channels = [0.5 + 0.5 * np.sin(6 * x * (c + 1) + 4 * y * (2 - c) + rng.uniform(0, 6)) for c in range(3)]
    image = np.stack(channels) * 0.9 + rng.uniform(0, 0.1, (3, height, width))
    return np.clip(image, 0, 1).astype(np.float32)


def kernel_figure(weight, size=960):
    """The tutorial's matplotlib figure of one filter's kernels (bwr, a 9 x 9 grid of subplots), drawn
    with numpy as an RGB uint8 [size, size, 3] image."""
    kernels = weight[0].numpy()  # [in, kh, kw]
    figure = np.full((size, size, 3), 255, np.uint8)
    cell = size // 9
    for idx, kernel in enumerate(kernels[:81]):
        lo, hi = kernel.min(), kernel.max()
        t = (kernel - lo) / (hi - lo + 1e-12)
        rgb = np.stack([np.minimum(1, 2 * t), 1 - np.abs(2 * t - 1), np.minimum(1, 2 - 2 * t)], -1)  # blue-white-red
        block = np.kron(rgb, np.ones((cell - 20, cell - 20, 1)))[: cell - 20, : cell - 20]
        row, col = divmod(idx, 9)
        figure[row * cell + 10: row * cell + 10 + block.shape[0], col * cell + 10: col * cell + 10 + block.shape[1]] = \
            (block * 255).astype(np.uint8)
    return figure


def main():
    url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:6006"
    torch.manual_seed(0)
    spool = tempfile.mkdtemp(prefix="vizd-tutorial-spool-")
    open_writer = lambda run: SummaryWriter(run, url=url, spool_dir=spool)  # noqa: E731

    writer = open_writer("tutorial/resnet18")
    writer.add_graph(make_expected.ResNet(), torch.rand(1, 3, 224, 224))
    writer.close()

    # VGG11's first two conv layers (seeded weights; the tutorial loads pretrained ones).
    writer = open_writer("tutorial/vgg11")
    conv0, conv3 = nn.Conv2d(3, 64, 3, padding=1), nn.Conv2d(64, 128, 3, padding=1)
    image = torch.from_numpy(picture(224, 224, seed=1))
    with torch.no_grad():
        features0 = torch.relu(conv0(image[None]))
        features3 = torch.relu(conv3(nn.functional.max_pool2d(features0, 2)))
    writer.add_tensor("features.0.weight", conv0.weight.detach(), 0, display={"kind": "kernels", "colormap": "bwr"})
    writer.add_tensor("features.3.weight", conv3.weight.detach(), 0, display={"kind": "kernels", "colormap": "bwr"})
    writer.add_tensor("features.0.output", features0, 0, display={"kind": "feature_maps"})
    writer.add_tensor("features.3.output", features3, 0, display={"kind": "feature_maps"})
    writer.add_image("input", image, 0)
    cam = features3[0].mean(0)
    cam = torch.nn.functional.interpolate(cam[None, None], size=(224, 224), mode="bilinear")[0, 0]
    cam = (cam - cam.min()) / (cam.max() - cam.min())
    writer.add_tensor("cam", cam, 0, display={"kind": "heatmap", "overlay": "input", "image_weight": 0.5})
    writer.add_image("features.3.kernels", kernel_figure(conv3.weight.detach()), 0, dataformats="HWC")
    writer.close()

    writer = open_writer("tutorial/net")
    writer.add_graph(make_expected.Net(), torch.rand(1, 3, 224, 224))
    writer.add_image("image", torch.from_numpy(picture(224, 224, seed=2)), 0)
    writer.add_images("batch", torch.from_numpy(np.stack([picture(32, 32, seed=10 + i) for i in range(16)])), 0)
    writer.add_image("grid/small", torch.from_numpy(picture(266, 266, seed=3)), 0)
    writer.add_image("grid/large", torch.from_numpy(picture(906, 1810, seed=4)), 0)
    for i in range(500):
        writer.add_scalar("x", i, i)
        writer.add_scalar("y", i ** 2, i)
    for step, mean in enumerate(range(-10, 10, 1)):
        writer.add_histogram("w", 1 * torch.randn((100, 20)) + mean, step)
    writer.add_text("summary", "## Summary\n\nThis task covered **torchinfo**, CNN kernels and feature maps, "
                    "class-activation maps and TensorBoard's `add_graph`, `add_image`, `add_scalar` and "
                    "`add_histogram`.")
    writer.close()
    print("logged the tutorial workflow into", url)


if __name__ == "__main__":
    main()
