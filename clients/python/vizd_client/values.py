"""values.py -- turning what a training script holds into what vizd takes, without needing numpy.

A value may be a Python number, a nested list, a numpy array or scalar, or a torch tensor. numpy and
torch are never imported by this module: an object is recognised as a tensor or an array by its
attributes (`detach`, `__array_interface__`), and numpy is imported only when such an object arrives, so
`import vizd_client` works on a machine with neither.

  scalar(x)          a float from a number, a numpy scalar or a one-element tensor/array
  json_number(x)     a float as the write API takes it ("NaN", "Infinity", "-Infinity" as strings)
  json_value(x)      any hparam value as JSON (tensors and numpy scalars via .item())
  to_numpy(x)        a numpy array of a tensor or array (None for lists and numbers)
  flatten(x)         (shape, flat list) of a nested list or a number, the numpy-free path
  raw_bytes(x, fmt)  (shape, little-endian float32/float64 bytes) of any of the above
"""

import array
import math
import sys


def is_tensor(x):
    """A torch tensor (duck-typed, so torch is not imported)."""
    return hasattr(x, "detach") and hasattr(x, "cpu") and hasattr(x, "numpy")


def is_array(x):
    """A numpy array or scalar, or anything numpy can view without copying element by element (a Pillow
    image has __array_interface__ too)."""
    return hasattr(x, "__array_interface__") or hasattr(x, "__array__")


def to_numpy(x):
    """A numpy array holding x, for a torch tensor or numpy array (or anything with __array__); None for
    plain Python values, which take the numpy-free path."""
    if is_tensor(x):
        import numpy as np  # torch is here, so numpy is a few milliseconds away at most
        t = x.detach().cpu()
        if str(t.dtype) in ("torch.bfloat16", "torch.float16", "torch.complex32"):
            t = t.float()  # numpy has no bfloat16; float16 is widened the same way for one code path
        return np.asarray(t.numpy())
    if is_array(x):
        import numpy as np
        return np.asarray(x)
    return None


def scalar(x, what="scalar_value"):
    """A float from a number, a numpy scalar or a one-element tensor/array."""
    if isinstance(x, bool):
        return float(x)
    if hasattr(x, "item") and not isinstance(x, (int, float)):
        try:
            x = x.item()
        except (ValueError, RuntimeError) as exc:
            raise ValueError("%s must be a single number, got a tensor/array of shape %s"
                             % (what, tuple(getattr(x, "shape", ())))) from exc
    try:
        return float(x)
    except (TypeError, ValueError) as exc:
        raise TypeError("%s must be a number, got %s" % (what, type(x).__name__)) from exc


def step_of(step, what="global_step"):
    """An int step (or None): ints, numpy integers, 0-d tensors; a float step must be whole."""
    if step is None:
        return None
    if hasattr(step, "item") and not isinstance(step, (int, float)):
        step = step.item()
    if isinstance(step, float):
        if not step.is_integer():
            raise ValueError("%s must be an integer, got %r" % (what, step))
        step = int(step)
    try:
        return int(step)
    except (TypeError, ValueError) as exc:
        raise TypeError("%s must be an integer, got %s" % (what, type(step).__name__)) from exc


def json_number(x):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def json_value(x):
    """An hparam value as JSON: bool/int/str/None as they are, floats with NaN and the infinities as
    strings, tensors and numpy scalars via .item(), lists and dicts converted member by member."""
    if x is None or isinstance(x, (bool, int, str)):
        return x
    if isinstance(x, float):
        return json_number(x)
    if isinstance(x, (list, tuple)):
        return [json_value(v) for v in x]
    if isinstance(x, dict):
        return {str(k): json_value(v) for k, v in x.items()}
    if hasattr(x, "item"):
        try:
            return json_value(x.item())
        except (ValueError, RuntimeError):
            pass
    if hasattr(x, "tolist"):
        return json_value(x.tolist())
    return str(x)


def flatten(x):
    """(shape, flat list) of a number or a nested list/tuple with a regular shape."""
    if not isinstance(x, (list, tuple)):
        return [], [x]
    if not x:
        return [0], []
    shapes, flat = set(), []
    for item in x:
        shape, values = flatten(item)
        shapes.add(tuple(shape))
        flat.extend(values)
    if len(shapes) != 1:
        raise ValueError("a nested list must have a regular shape (all rows of the same length)")
    return [len(x)] + list(shapes.pop()), flat


def raw_bytes(x, dtype="float32"):
    """(shape, bytes) of x as little-endian float32 or float64."""
    if dtype not in ("float32", "float64"):
        raise ValueError("dtype must be float32 or float64, got %r" % (dtype,))
    ndarray = to_numpy(x)
    if ndarray is not None:
        return list(ndarray.shape), ndarray.astype("<f4" if dtype == "float32" else "<f8").tobytes()
    shape, flat = flatten(x)
    # array.array rounds to float32 as numpy does (a value beyond float32's range becomes infinity,
    # where struct.pack would raise); it holds native byte order, so swap on a big-endian machine.
    values = array.array("f" if dtype == "float32" else "d", [scalar(v, "every value") for v in flat])
    if sys.byteorder == "big":
        values.byteswap()
    return shape, values.tobytes()
