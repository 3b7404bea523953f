"""images.py -- image tensors to PNG files, as torch.utils.tensorboard prepares them, with zlib + struct.

The pixel rule is TensorBoard's (torch.utils.tensorboard.summary.image): a uint8 array is taken as it
is; anything else is taken as [0, 1], converted to float32, multiplied by 255, clipped to [0, 255] and
truncated to uint8. So the same tensor gives the same pixels in vizd as in TensorBoard. A nested Python
list (the numpy-free path) counts as uint8 when it holds only ints, else as [0, 1] floats.

Unlike TensorBoard, channels are kept: 1 channel is a grayscale PNG, 2 grayscale + alpha, 3 RGB and 4
RGBA (TensorBoard repeats a single channel three times). `dataformats` names the axes, in any order:
CHW, HWC, HW, WH ...; with N first (NCHW, NHWC) for a batch, which add_images stores one item per image.
"""

import struct
import zlib

from .values import flatten, to_numpy

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
COLOR_TYPE_OF_CHANNELS = {1: 0, 2: 4, 3: 2, 4: 6}  # gray, gray+alpha, RGB, RGBA (PNG spec, IHDR)


def check_format(dataformats, ndim, batch):
    """The axes letters, checked: each of H and W once, C at most once, N first when batch."""
    fmt = dataformats.upper()
    letters = set(fmt)
    expected = {"H", "W"} | ({"N"} if batch else set())
    if len(fmt) != len(letters) or not expected <= letters or not letters <= expected | {"C"}:
        raise ValueError("dataformats %r must hold H and W once, C at most once%s"
                         % (dataformats, " and N" if batch else " (no N: use add_images for a batch)"))
    if len(fmt) != ndim:
        raise ValueError("dataformats %r has %d axes but the image has %d dimensions" % (dataformats, len(fmt), ndim))
    return fmt


def encode_png(pixels, height, width, channels):
    """PNG bytes of height x width x channels uint8 pixels, rows top to bottom (`pixels` is bytes)."""
    if channels not in COLOR_TYPE_OF_CHANNELS:
        raise ValueError("an image needs 1, 2, 3 or 4 channels, got %d" % channels)
    if height < 1 or width < 1:
        raise ValueError("an image needs at least one pixel, got %d x %d" % (width, height))
    stride = width * channels
    # Filter type 0 (None) on every row: simplest, and zlib still finds the repeats of flat areas.
    raw = b"".join(b"\x00" + pixels[y * stride:(y + 1) * stride] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, COLOR_TYPE_OF_CHANNELS[channels], 0, 0, 0)
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 6)) + _chunk(b"IEND", b"")


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def pngs_of(img, dataformats, batch):
    """A list of PNG files: one for add_image, one per image of the batch for add_images."""
    array = to_numpy(img)
    if array is not None:
        return _pngs_numpy(array, dataformats, batch)
    shape, flat = flatten(img)
    return _pngs_lists(shape, flat, dataformats, batch)


def _pngs_numpy(array, dataformats, batch):
    import numpy as np
    fmt = check_format(dataformats, array.ndim, batch)
    if "C" not in fmt:
        array, fmt = array[..., None], fmt + "C"
    order = [fmt.index(axis) for axis in ("NHWC" if batch else "HWC")]
    array = array.transpose(order)
    if array.dtype != np.uint8:  # TensorBoard's rule, in float32 as it computes it
        array = (array.astype(np.float32) * 255).clip(0, 255).astype(np.uint8)
    images = array if batch else array[None]
    out = []
    for image in images:
        height, width, channels = image.shape
        out.append(encode_png(np.ascontiguousarray(image).tobytes(), height, width, channels))
    return out


def _pngs_lists(shape, flat, dataformats, batch):
    fmt = check_format(dataformats, len(shape), batch)
    size = dict(zip(fmt, shape))
    size.setdefault("C", 1)
    size.setdefault("N", 1)
    is_uint8 = all(isinstance(v, int) and not isinstance(v, bool) for v in flat)
    if is_uint8 and any(v < 0 or v > 255 for v in flat):
        raise ValueError("an image of ints must hold values 0..255 (use floats in [0, 1] otherwise)")
    strides, step = {}, 1
    for axis, n in reversed(list(zip(fmt, shape))):
        strides[axis] = step
        step *= n
    for axis in "NC":
        strides.setdefault(axis, 0)
    out = []
    for n in range(size["N"]):
        pixels = bytearray()
        for y in range(size["H"]):
            for x in range(size["W"]):
                for c in range(size["C"]):
                    v = flat[n * strides["N"] + y * strides["H"] + x * strides["W"] + c * strides["C"]]
                    pixels.append(v if is_uint8 else _to_uint8(v))
        out.append(encode_png(bytes(pixels), size["H"], size["W"], size["C"]))
    return out


def _to_uint8(v):
    scaled = float(v) * 255.0
    if scaled != scaled:  # NaN: numpy's cast gives 0 on common platforms; say so explicitly here
        return 0
    return int(min(max(scaled, 0.0), 255.0))
