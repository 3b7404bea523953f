"""histogram_oracle.py -- what real PyTorch and real TensorBoard make of a tensor, for the histogram tests.

The oracles are required, not optional: torch, numpy and tensorboard are imported at module level, so a
machine without them fails the histogram tests at collection instead of skipping them
(tests/requirements.txt installs them).

The pipeline a PyTorch user has today, step by step, each with the installed package's own function:

  1. torch.utils.tensorboard.SummaryWriter.add_histogram(tag, tensor, step) with the default
     bins="tensorflow" calls summary.histogram(tag, tensor, writer.default_bins): make_histogram bins
     values.astype(float) with numpy.histogram over the writer's default edges and keeps the bins from
     the first to the last non-empty one behind an empty bucket that carries the left edge. The result
     is a HistogramProto (doubles everywhere).
  2. TensorBoard's histogram plugin reads it through data_compat.migrate_value: empty buckets at both
     ends dropped, min as the first left edge, max as the last right edge, and the [left, right, count]
     triples stored as a float32 tensor. histograms_impl serves tensor_util.make_ndarray(...).tolist().
  3. The distribution plugin runs compressor.compress_histogram on those buckets (in float64 numpy,
     over the float32-rounded numbers).

tensorboard_view() runs exactly that. It also gives `buckets_f64`: step 2 without the float32 cast, i.e.
data_compat's own rule applied to the proto's doubles. vizd stores and serves doubles, so its buckets
must equal buckets_f64 bit for bit, and equal TensorBoard's served buckets after rounding to float32
(which is all TensorBoard's float32 tensor did to them); helper self-checks guard that the float64
mirror is step 2 with only the cast removed.
"""

import math
import tempfile

import numpy as np
import torch  # noqa: F401  (required: the tests must fail, not skip, without it)
from tensorboard import data_compat
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary
from tensorboard.plugins.distribution import compressor
from tensorboard.util import tensor_util
from torch.utils.tensorboard import SummaryWriter
from torch.utils.tensorboard import summary as torch_summary

BASIS_POINTS = list(compressor.NORMAL_HISTOGRAM_BPS)  # [0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000]

_default_bins = None


def default_bins():
    """The edges SummaryWriter uses for bins="tensorflow", taken from a real SummaryWriter."""
    global _default_bins
    if _default_bins is None:
        with tempfile.TemporaryDirectory() as logdir:
            writer = SummaryWriter(log_dir=logdir)
            _default_bins = list(writer.default_bins)
            writer.close()
    return _default_bins


def as_numpy(values):
    """A torch tensor, numpy array or list as the flat numpy array torch's summary.histogram sees."""
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy().reshape(-1)
    return np.asarray(values).reshape(-1)


class TensorBoardView:
    """What TensorBoard shows for one histogram: proto (torch's HistogramProto), buckets (served by the
    histogram plugin: float32 numbers as Python floats), buckets_f64 (the same rule on the proto's
    doubles), percentiles (the distribution plugin's compress_histogram over `buckets`) and
    percentiles_f64 (compress_histogram over buckets_f64)."""

    def __init__(self, proto):
        self.proto = proto
        value = Summary.Value(tag="t", histo=proto)
        migrated = data_compat.migrate_value(value)
        self.buckets = tensor_util.make_ndarray(migrated.tensor).tolist()
        self.buckets_f64 = migrate_buckets_f64(proto)
        # The float64 mirror must be TensorBoard's rule with only the float32 cast removed.
        assert [[float(np.float32(x)) for x in b] for b in self.buckets_f64] == self.buckets, \
            "histogram_oracle.migrate_buckets_f64 no longer mirrors data_compat"
        # At an infinite edge TensorBoard's lerp computes 0 * Infinity; numpy warns of the NaN it gives.
        with np.errstate(invalid="ignore"):
            self.percentiles = [list(p) for p in compressor.compress_histogram(self.buckets)]
            self.percentiles_f64 = [list(p) for p in compressor.compress_histogram(self.buckets_f64)]


def tensorboard_view(values, bins="tensorflow"):
    """Bin values as SummaryWriter.add_histogram(tag, values, bins=bins) does, then read them back as
    TensorBoard's histogram and distribution plugins do."""
    if isinstance(bins, str) and bins == "tensorflow":
        bins = default_bins()
    if not isinstance(values, (torch.Tensor, np.ndarray)):
        values = np.asarray(values, dtype=np.float64)
    summary = torch_summary.histogram("t", values, bins)
    return TensorBoardView(summary.value[0].histo)


def view_of_proto(proto):
    return TensorBoardView(proto)


def make_proto(**fields):
    return HistogramProto(**fields)


def migrate_buckets_f64(histo):
    """data_compat._migrate_histogram_value's bucket rule, in float64 (no float32 cast)."""
    counts = list(histo.bucket)
    n = len(counts)
    start = next((i for i in range(n) if counts[i] > 0), n)
    end = next((i for i in reversed(range(n)) if counts[i] > 0), -1)
    if start > end:
        return []
    counts = counts[start:end + 1]
    inner = list(histo.bucket_limit[start:end])
    lefts = [histo.min] + inner
    rights = inner + [histo.max]
    return [[float(l), float(r), float(c)] for l, r, c in zip(lefts, rights, counts)]


# ---- reading vizd's answers --------------------------------------------------------------------------

def num(x):
    """A number of a vizd answer: JSON number, or "NaN" / "Infinity" / "-Infinity"."""
    if isinstance(x, str):
        assert x in ("NaN", "Infinity", "-Infinity"), x
        return float(x)
    assert isinstance(x, (int, float)) and not isinstance(x, bool), x
    return float(x)


def json_value(x):
    """A float as the write API takes it (non-finite ones as strings)."""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def same_float(a, b):
    """Bit-for-bit equality of two doubles, treating NaN as equal to NaN and telling 0.0 from -0.0 apart
    only where it matters (TensorBoard's numbers are compared by value, so -0.0 == 0.0 here)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b


def f32(x):
    return float(np.float32(x))
