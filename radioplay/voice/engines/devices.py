"""Where synthesis runs: CPU or a CUDA GPU, for onnxruntime engines and for torch (Coqui).

`--device auto` uses CUDA only when it would really work: for onnxruntime that means the
`onnxruntime-gpu` build (it offers `CUDAExecutionProvider`) and a GPU the CUDA driver can see;
for torch it means `torch.cuda.is_available()`. Otherwise it is the CPU. Nothing here is cached
at module level: each engine asks once and keeps the answer.
"""

from __future__ import annotations

import ctypes
import importlib.util
from typing import Literal

from radioplay.errors import EngineError

DEVICES = ("auto", "cpu", "cuda")
Backend = Literal["onnx", "torch"]
CUDA_PROVIDER = "CUDAExecutionProvider"
CPU_PROVIDER = "CPUExecutionProvider"


def check_requested(requested: str) -> str:
    """Normalize a --device value or raise EngineError naming the valid ones."""
    value = (requested or "auto").strip().lower()
    if value not in DEVICES:
        raise EngineError(f"unknown device {requested!r} (use one of: {', '.join(DEVICES)})")
    return value


def _cuda_driver_device_count() -> int:
    """GPUs the CUDA driver sees (0 without a driver). Asks libcuda directly, so no torch is needed."""
    for name in ("libcuda.so.1", "libcuda.so", "nvcuda.dll"):
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        count = ctypes.c_int(0)
        if lib.cuInit(0) != 0 or lib.cuDeviceGetCount(ctypes.byref(count)) != 0:
            return 0
        return count.value
    return 0


def cuda_unavailable_reason(backend: Backend = "onnx") -> str | None:
    """None when `backend` can run on a CUDA GPU here; otherwise why not, in words a user can act on."""
    if backend == "onnx":
        import onnxruntime

        if CUDA_PROVIDER not in onnxruntime.get_available_providers():
            return ("onnxruntime has no CUDAExecutionProvider (pip uninstall onnxruntime && "
                    "pip install 'onnxruntime-gpu[cuda,cudnn]')")
        if _cuda_driver_device_count() < 1:
            return "no CUDA GPU is visible to the driver"
        return None
    if backend == "torch":
        if importlib.util.find_spec("torch") is None:
            return "torch is not installed"
        import torch

        if not torch.cuda.is_available():
            return "torch.cuda.is_available() is False"
        return None
    raise ValueError(f"unknown backend {backend!r}")


def gpu_build_unusable_reason(backend: Backend | None) -> str | None:
    """Why the GPU build installed for `backend` cannot be used here, or None: None too when no GPU
    build is installed (a CPU install is a choice, nothing to note) and for engines without a
    backend (`backend` None: programs and the tone engine only ever run on the CPU)."""
    if backend == "onnx":
        import onnxruntime

        if CUDA_PROVIDER not in onnxruntime.get_available_providers():
            return None
    elif backend == "torch":
        if importlib.util.find_spec("torch") is None:
            return None
        import torch

        if not torch.version.cuda:
            return None
    else:
        return None
    return cuda_unavailable_reason(backend)


def resolve_device(requested: str, backend: Backend = "onnx") -> str:
    """"cpu" or "cuda" for a requested "auto" | "cpu" | "cuda".

    "auto" falls back to the CPU when CUDA is not usable (the caller says so once, using
    `cuda_unavailable_reason`); an explicit "cuda" that cannot work is an EngineError, because
    silently running a GPU benchmark on the CPU would mislead.
    """
    value = check_requested(requested)
    if value == "cpu":
        return "cpu"
    reason = cuda_unavailable_reason(backend)
    if reason is None:
        return "cuda"
    if value == "cuda":
        raise EngineError(f"--device cuda: {reason}")
    return "cpu"


def onnx_providers(device: str) -> list:
    """onnxruntime providers for a resolved device, CPU last as the fallback for unsupported ops."""
    if device == "cuda":
        _preload_cuda_libraries()
        # HEURISTIC avoids cuDNN's exhaustive conv search, which costs seconds per new input length
        return [(CUDA_PROVIDER, {"cudnn_conv_algo_search": "HEURISTIC"}), CPU_PROVIDER]
    return [CPU_PROVIDER]


def _preload_cuda_libraries() -> None:
    """Let onnxruntime-gpu find CUDA/cuDNN installed as pip packages (nvidia-*-cu12), which are
    not on the loader path; a system CUDA install needs nothing, and a failure here only means
    onnxruntime will look on the default path itself."""
    import onnxruntime

    preload = getattr(onnxruntime, "preload_dlls", None)  # onnxruntime >= 1.21
    if preload is not None:
        try:
            preload()
        except Exception:  # noqa: BLE001 - best effort; the session reports real failures
            pass


def onnx_session_options(threads: int | None):
    """SessionOptions with `threads` intra-op threads (None: onnxruntime's default, one per core)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if threads is not None:
        if threads < 1:
            raise EngineError(f"threads must be at least 1, not {threads}")
        options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1  # the graphs are sequential; more inter-op threads only spin
    return options
