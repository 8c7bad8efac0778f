"""Make an ONNX model's random draws come from the caller, so a take depends only on its seed.

VITS voices (Piper) draw noise inside the graph with `RandomNormalLike`. onnxruntime seeds that
generator from the clock and advances it on every run, so the same text said twice in one
session differs, and a take would depend on what was synthesized before it. We rewrite each
random node into "take the first size(x) values of a noise bank input, reshaped like x" and feed
banks drawn from numpy generators seeded by (seed, stream, node). The graph computes exactly
what it did before; only the source of the noise changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RANDOM_OPS = ("RandomNormalLike", "RandomUniformLike", "RandomNormal", "RandomUniform")
_FLOAT = 1  # onnx.TensorProto.FLOAT


@dataclass(frozen=True)
class NoiseInput:
    """One graph input that replaced one random node."""

    name: str
    kind: str
    """"normal" or "uniform"."""
    a: float
    """mean (normal) or low (uniform)."""
    b: float
    """scale (normal) or high (uniform)."""

    def draw(self, rng: np.random.Generator, length: int) -> np.ndarray:
        if self.kind == "normal":
            return (rng.standard_normal(length, dtype=np.float32) * self.b + self.a).astype(np.float32)
        return rng.uniform(self.a, self.b, length).astype(np.float32)


def externalize_noise(model_bytes: bytes) -> tuple[bytes, list[NoiseInput]]:
    """Rewrite every random node of an ONNX model into a noise-bank input.

    Returns the new serialized model and the inputs to feed (empty, and the model unchanged,
    when the model draws no random numbers).
    """
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load_from_string(model_bytes)
    graph = model.graph
    if not any(node.op_type in RANDOM_OPS for node in graph.node):
        return model_bytes, []

    new_nodes: list = []
    noise_inputs: list[NoiseInput] = []
    shared = "radioplay_noise_"
    graph.initializer.extend([
        numpy_helper.from_array(np.array([0], dtype=np.int64), shared + "zero"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), shared + "one"),
    ])
    for node in graph.node:
        if node.op_type not in RANDOM_OPS:
            new_nodes.append(node)
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        k = len(noise_inputs)
        p = f"{shared}{k}_"
        bank = f"{shared}bank_{k}"
        if node.op_type.startswith("RandomNormal"):
            spec = NoiseInput(bank, "normal", float(attrs.get("mean", 0.0)), float(attrs.get("scale", 1.0)))
        else:
            spec = NoiseInput(bank, "uniform", float(attrs.get("low", 0.0)), float(attrs.get("high", 1.0)))
        noise_inputs.append(spec)
        graph.input.append(helper.make_tensor_value_info(bank, _FLOAT, ["noise_length"]))

        if node.op_type.endswith("Like"):
            new_nodes.append(helper.make_node("Shape", [node.input[0]], [p + "shape"]))
        else:  # static shape attribute
            graph.initializer.append(numpy_helper.from_array(np.array(attrs["shape"], dtype=np.int64), p + "shape"))
        # banks are float32; a node asking for another type (a *Like node without dtype copies
        # its input's type, which for these voices is float32) gets a Cast
        out_dtype = int(attrs.get("dtype", _FLOAT))
        shaped = p + "shaped" if out_dtype != _FLOAT else node.output[0]
        new_nodes += [
            # n = number of values wanted; reps = ceil(n / len(bank)) so a short bank tiles, never fails
            helper.make_node("ReduceProd", [p + "shape"], [p + "n0"], keepdims=1),
            helper.make_node("Shape", [bank], [p + "len"]),
            helper.make_node("Sub", [p + "len", shared + "one"], [p + "len1"]),
            helper.make_node("Add", [p + "n0", p + "len1"], [p + "n_up"]),
            helper.make_node("Div", [p + "n_up", p + "len"], [p + "reps"]),
            helper.make_node("Tile", [bank, p + "reps"], [p + "tiled"]),
            helper.make_node("Slice", [p + "tiled", shared + "zero", p + "n0", shared + "zero"], [p + "flat"]),
            helper.make_node("Reshape", [p + "flat", p + "shape"], [shaped]),
        ]
        if shaped != node.output[0]:
            new_nodes.append(helper.make_node("Cast", [shaped], [node.output[0]], to=out_dtype))

    del graph.node[:]
    graph.node.extend(new_nodes)
    return model.SerializeToString(), noise_inputs


def noise_feeds(noise_inputs: list[NoiseInput], seed: int, stream: int, length: int) -> dict[str, np.ndarray]:
    """Banks for one run: a pure function of (seed, stream, node), so takes never share noise state."""
    feeds = {}
    for k, spec in enumerate(noise_inputs):
        rng = np.random.default_rng([seed % 2**63, stream, k])
        feeds[spec.name] = spec.draw(rng, length)
    return feeds
