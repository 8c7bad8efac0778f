"""Device choice: auto uses CUDA only when it would really work; an explicit cuda never silently falls back."""

from __future__ import annotations

import onnxruntime
import pytest

from radioplay.errors import EngineError
from radioplay.voice.engines import devices
from radioplay.voice.engines.kokoro import KokoroEngine
from radioplay.voice.engines.piper import PiperEngine


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: ["CPUExecutionProvider"])


@pytest.fixture
def gpu(monkeypatch):
    monkeypatch.setattr(onnxruntime, "get_available_providers",
                        lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    monkeypatch.setattr(devices, "_cuda_driver_device_count", lambda: 1)


def test_cpu_is_always_cpu(gpu):
    assert devices.resolve_device("cpu") == "cpu"


def test_auto_falls_back_to_cpu_and_says_why(no_gpu):
    assert devices.resolve_device("auto") == "cpu"
    assert "onnxruntime-gpu" in devices.cuda_unavailable_reason("onnx")


def test_auto_uses_cuda_when_usable(gpu):
    assert devices.resolve_device("auto") == "cuda"
    assert devices.cuda_unavailable_reason("onnx") is None
    assert PiperEngine(device="auto").device() == "cuda"
    assert KokoroEngine(device="AUTO").device() == "cuda"


def test_gpu_build_without_a_visible_gpu_is_not_cuda(monkeypatch, gpu):
    monkeypatch.setattr(devices, "_cuda_driver_device_count", lambda: 0)
    assert devices.resolve_device("auto") == "cpu"
    assert devices.cuda_unavailable_reason("onnx") == "no CUDA GPU is visible to the driver"


def test_explicit_cuda_without_gpu_is_an_error(no_gpu):
    with pytest.raises(EngineError, match="--device cuda: onnxruntime has no CUDAExecutionProvider"):
        devices.resolve_device("cuda")
    with pytest.raises(EngineError, match="--device cuda"):
        PiperEngine(device="cuda").device()


def test_unknown_device_is_an_error():
    with pytest.raises(EngineError, match="use one of: auto, cpu, cuda"):
        PiperEngine(device="tpu")


def test_providers_and_threads():
    assert devices.onnx_providers("cpu") == ["CPUExecutionProvider"]
    cuda = devices.onnx_providers("cuda")
    assert cuda[0][0] == "CUDAExecutionProvider" and cuda[-1] == "CPUExecutionProvider"
    assert devices.onnx_session_options(2).intra_op_num_threads == 2
    assert devices.onnx_session_options(None).intra_op_num_threads == 0  # onnxruntime's default
    with pytest.raises(EngineError):
        devices.onnx_session_options(0)


def test_torch_backend_without_torch_says_so():
    import importlib.util

    if importlib.util.find_spec("torch") is not None:
        pytest.skip("torch is installed here")
    assert devices.cuda_unavailable_reason("torch") == "torch is not installed"
    assert devices.resolve_device("auto", "torch") == "cpu"
