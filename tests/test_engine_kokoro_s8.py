"""Kokoro's ConvInteger layers rewritten as im2col + int8-weight MatMulInteger: the same integers."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper

from radioplay.voice.engines import kokoro, kokoro_s8
from radioplay.voice.engines.kokoro_s8 import exact_int8_kernel, rewrite_conv_integer, rewritten_model

CHANNELS, FRAMES = 16, 300
# (out channels, taps, dilation, pads at each end, stride): Kokoro's shapes in small, and one strided layer
LAYERS = [(8, 11, 1, (5, 5), 1), (8, 7, 3, (9, 9), 1), (8, 1, 1, (0, 0), 1), (8, 3, 5, (7, 2), 1), (8, 12, 1, (3, 3), 6),
          (8, 3, 1, (0, 0), 1)]


def conv_model(weights: list[np.ndarray], zero_points: list[int]) -> onnx.ModelProto:
    """One ConvInteger per layer over the same uint8 input, each with its own output."""
    x = helper.make_tensor_value_info("x", TensorProto.UINT8, [1, CHANNELS, None])
    zero = helper.make_tensor_value_info("x_zero", TensorProto.UINT8, [])
    nodes, inits, outputs = [], [], []
    for i, ((_, taps, dilation, pads, stride), w, zp) in enumerate(zip(LAYERS, weights, zero_points)):
        inits += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(np.array(zp, np.uint8), f"wz{i}")]
        nodes.append(helper.make_node("ConvInteger", ["x", f"w{i}", "x_zero", f"wz{i}"], [f"y{i}"], name=f"conv{i}",
                                      kernel_shape=[taps], dilations=[dilation], pads=list(pads), strides=[stride]))
        outputs.append(helper.make_tensor_value_info(f"y{i}", TensorProto.INT32, [1, LAYERS[i][0], None]))
    model = helper.make_model(helper.make_graph(nodes, "convs", [x, zero], outputs, inits),
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def run(model: onnx.ModelProto, x: np.ndarray, x_zero: int) -> list[np.ndarray]:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x, "x_zero": np.array(x_zero, np.uint8)})


def layers(rng, low: int, high: int) -> tuple[list[np.ndarray], list[int]]:
    weights = [rng.integers(low, high + 1, (out, CHANNELS, taps)).astype(np.uint8) for out, taps, *_ in LAYERS]
    return weights, [int(z) for z in rng.integers(low, high + 1, len(LAYERS))]


def check_same_integers(weights, zero_points, x, x_zero) -> None:
    model = conv_model(weights, zero_points)
    before = run(model, x, x_zero)
    rewritten = onnx.ModelProto()
    rewritten.CopyFrom(model)
    assert rewrite_conv_integer(rewritten) == 5  # all but the strided layer
    assert [n.op_type for n in rewritten.graph.node].count("ConvInteger") == 1
    assert [n.op_type for n in rewritten.graph.node].count("MatMulInteger") == 5
    onnx.checker.check_model(rewritten)
    after = run(rewritten, x, x_zero)
    for i, (a, b) in enumerate(zip(before, after)):
        assert a.shape == b.shape, i
        assert np.array_equal(a, b), i


def test_rewrite_gives_the_same_int32_sums():
    # values that no uint8 x int8 kernel can saturate (x <= 127, |w - 128| <= 127), on any CPU
    rng = np.random.default_rng(1)
    weights, zero_points = layers(rng, 1, 255)
    check_same_integers(weights, zero_points, rng.integers(0, 128, (1, CHANNELS, FRAMES)).astype(np.uint8), 37)


@pytest.mark.skipif(not exact_int8_kernel(), reason="this CPU has no VNNI: the rewrite is not used here")
def test_rewrite_gives_the_same_int32_sums_at_the_extremes():
    rng = np.random.default_rng(2)
    weights, zero_points = layers(rng, 0, 255)
    weights[0][:4] = 0
    weights[1][:4] = 255
    x = rng.integers(0, 256, (1, CHANNELS, FRAMES)).astype(np.uint8)
    x[0, :4] = 255
    check_same_integers(weights, [0, 255, *zero_points[2:]], x, 0)
    check_same_integers(weights, zero_points, x, 255)


def test_exact_kernel_only_with_vnni_flags():
    assert exact_int8_kernel("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_vnni\n")
    assert exact_int8_kernel("flags\t: avx2 avx_vnni\n")
    assert not exact_int8_kernel("flags\t: fpu sse2 avx2 fma avx512f avx512bw\n")
    assert not exact_int8_kernel("processor\t: 0\n")


def test_rewritten_model_is_made_once_verified_and_remade_when_corrupt(tmp_path):
    rng = np.random.default_rng(3)
    source = tmp_path / "model.onnx"
    source.write_bytes(conv_model(*layers(rng, 1, 255)).SerializeToString())
    target = rewritten_model(source)
    assert target == kokoro_s8.rewritten_path(source) and target.parent == tmp_path
    assert [n.op_type for n in onnx.load(str(target)).graph.node].count("MatMulInteger") == 5
    mtime = target.stat().st_mtime_ns
    assert rewritten_model(source) == target and target.stat().st_mtime_ns == mtime  # reused
    good = target.read_bytes()
    target.write_bytes(good[:1000])  # truncated
    assert rewritten_model(source).read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == sorted(
        [source.name, target.name, target.name + ".sha256"])  # no partial files


@pytest.mark.slow
@pytest.mark.skipif(not exact_int8_kernel(), reason="this CPU has no VNNI: the rewrite is not used here")
def test_kokoro_runs_the_rewrite_with_the_same_samples():
    engine = kokoro.KokoroEngine(device="cpu", threads=1)
    original = kokoro.assemble_model()
    assert engine.model_path() == kokoro_s8.rewritten_path(original)
    model = engine._load()
    tokens = [model.vocab[c] for c in engine.phonemize("Look at SayCan, which uses an LLM, a robot can execute.")
              if c in model.vocab]
    style = engine._style_table("jf_gongitsune", None)[len(tokens) - 1].reshape(1, -1)
    feeds = {"tokens": np.array([[0, *tokens, 0]], np.int64), "style": style, "speed": np.array([0.8], np.float32)}
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    int8 = onnxruntime.InferenceSession(str(original), options, providers=["CPUExecutionProvider"])
    expected = int8.run(None, feeds)[0]
    got = model.session.run(None, feeds)[0]
    assert expected.size > 24_000 and np.array_equal(expected, got)
