"""Kokoro's int8 convolutions on onnxruntime's fast int8 kernel, giving the same samples.

The dynamically quantized Kokoro model runs its 1-D convolutions as `ConvInteger` with uint8
weights, and onnxruntime implements `ConvInteger` only for uint8 x uint8, whose GEMM does not use
the CPU's int8 dot-product (VNNI) instructions. Each such convolution is rewritten here as an
im2col in the graph (Transpose, Pad with the input's zero point, Gather of the kernel's taps) and
one `MatMulInteger` with int8 weights, which runs on the uint8 x int8 VNNI kernel.

The weights become `w - 128` with zero point `zp - 128`: every `w - zp` is the same integer, so
every sum is the same int32 and the model's output is bit-identical (the take store's keys stay
valid). That holds only where the uint8 x int8 kernel is exact: without VNNI, x86's AVX2 kernel
multiplies through `vpmaddubsw`, which saturates at int16, so the rewrite is used only on x86 CPUs
that report VNNI (`avx512_vnni`, `avx_vnni`, `amx_int8`) and only on the CPU provider.
"""

from __future__ import annotations

import platform
from pathlib import Path

import numpy as np

from radioplay.errors import EngineError
from radioplay.io import atomic_path, sha256_file

REWRITE_VERSION = 1
"""Part of the rewritten file's name: a change to the rewrite gets a new file."""
EXACT_INT8_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")


def exact_int8_kernel(cpuinfo: str | None = None) -> bool:
    """Whether onnxruntime's uint8 x int8 GEMM is exact here: an x86 CPU with VNNI (Linux's
    /proc/cpuinfo flags; `cpuinfo` is that file's text, for tests). Elsewhere: False, the safe side."""
    if cpuinfo is None:
        if platform.machine().lower() not in ("x86_64", "amd64"):
            return False
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
    for line in cpuinfo.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "flags":
            return any(flag in value.split() for flag in EXACT_INT8_FLAGS)
    return False


def rewrite_conv_integer(model) -> int:
    """Rewrite every stride-1, one-group `ConvInteger` with constant uint8 weights in `model` (an
    onnx ModelProto, changed in place) as im2col + int8-weight `MatMulInteger`; return how many."""
    from onnx import helper, numpy_helper

    graph = model.graph
    initializers = {init.name: init for init in graph.initializer}
    added = []

    def const(name: str, value) -> str:
        added.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    nodes = []
    rewritten = 0
    for node in graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        weights = initializers.get(node.input[1]) if node.op_type == "ConvInteger" else None
        if (weights is None or len(node.input) != 4 or node.input[3] not in initializers
                or attrs.get("group", 1) != 1 or list(attrs.get("strides", [1])) != [1]
                or attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET") or len(weights.dims) != 3):
            nodes.append(node)
            continue
        x, _, x_zero, w_zero_name = node.input
        w = numpy_helper.to_array(weights)
        w_zero = numpy_helper.to_array(initializers[w_zero_name]).reshape(-1)
        if w.dtype != np.uint8 or w_zero.size != 1:
            nodes.append(node)
            continue
        out_channels, channels, taps = w.shape
        dilation = list(attrs.get("dilations", [1]))[0]
        pad_begin, pad_end = list(attrs.get("pads", [0, 0]))
        p = node.name + "/s8"
        # rows of the im2col are (tap, channel), as the Gather lays them out
        b = (w.astype(np.int16) - 128).astype(np.int8).transpose(2, 1, 0).reshape(taps * channels, out_channels)
        b_name = const(p + "/weight", np.ascontiguousarray(b))
        b_zero = const(p + "/weight_zero_point", np.array(int(w_zero[0]) - 128, np.int8))
        new = [helper.make_node("Transpose", [x], [p + "/frames"], perm=[0, 2, 1])]  # [1, T, C]
        frames = p + "/frames"
        if pad_begin or pad_end:  # padded with the zero point, as ConvInteger pads
            pads = const(p + "/pads", np.array([0, pad_begin, 0, 0, pad_end, 0], np.int64))
            new.append(helper.make_node("Pad", [frames, pads, x_zero], [p + "/padded"]))
            frames = p + "/padded"
        if taps > 1:
            new += [
                helper.make_node("Shape", [frames], [p + "/length"], start=1, end=2),
                helper.make_node("Sub", [p + "/length", const(p + "/span", np.array([dilation * (taps - 1)], np.int64))],
                                 [p + "/outputs"]),
                helper.make_node("Squeeze", [p + "/outputs", const(p + "/axis0", np.array([0], np.int64))],
                                 [p + "/count"]),
                helper.make_node("Range", [const(p + "/zero", np.array(0, np.int64)), p + "/count",
                                           const(p + "/one", np.array(1, np.int64))], [p + "/starts"]),
                helper.make_node("Unsqueeze", [p + "/starts", const(p + "/axis1", np.array([1], np.int64))],
                                 [p + "/column"]),
                helper.make_node("Add", [p + "/column", const(p + "/taps", np.arange(taps, dtype=np.int64).reshape(1, taps)
                                                               * dilation)], [p + "/index"]),
                helper.make_node("Gather", [frames, p + "/index"], [p + "/gathered"], axis=1),  # [1, T', taps, C]
            ]
            frames = p + "/gathered"
        new += [
            helper.make_node("Reshape", [frames, const(p + "/rows", np.array([-1, taps * channels], np.int64))],
                             [p + "/columns"]),
            helper.make_node("MatMulInteger", [p + "/columns", b_name, x_zero, b_zero], [p + "/product"]),
            helper.make_node("Transpose", [p + "/product"], [p + "/channels"], perm=[1, 0]),
            helper.make_node("Unsqueeze", [p + "/channels", const(p + "/batch", np.array([0], np.int64))],
                             [node.output[0]]),
        ]
        nodes += new
        rewritten += 1
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(added)
    used = {name for node in graph.node for name in node.input}
    kept = [init for init in graph.initializer if init.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    return rewritten


def rewritten_path(source: Path) -> Path:
    return source.with_name(f"{source.stem}.s8conv{REWRITE_VERSION}.onnx")


def rewritten_model(source: Path) -> Path:
    """The rewritten model beside `source` (a verified model file): made once, written atomically
    under a lock, with its sha256 in a `.sha256` file beside it; remade when the two disagree."""
    target = rewritten_path(source)
    digest_file = target.with_name(target.name + ".sha256")
    if _verified(target, digest_file):
        return target
    import onnx
    from filelock import FileLock

    try:
        with FileLock(str(target.with_name(target.name + ".lock"))):
            if _verified(target, digest_file):
                return target
            model = onnx.load(str(source))
            if not rewrite_conv_integer(model):
                raise EngineError(f"kokoro: {source.name} has no ConvInteger to rewrite")
            with atomic_path(target) as tmp:
                tmp.write_bytes(model.SerializeToString())
            with atomic_path(digest_file) as tmp:
                tmp.write_text(sha256_file(target) + "\n", encoding="utf-8")
    except OSError as exc:
        raise EngineError(f"kokoro: cannot write {target}: {exc}") from exc
    return target


def _verified(target: Path, digest_file: Path) -> bool:
    try:
        expected = digest_file.read_text(encoding="utf-8").strip()
    except OSError:
        return False
    return target.is_file() and sha256_file(target) == expected
