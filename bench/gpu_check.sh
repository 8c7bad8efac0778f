#!/usr/bin/env bash
# Render the seed on a CUDA GPU and on the CPU; print each real-time factor and the providers that ran.
#
#   bench/gpu_check.sh [SCRIPT]        (default: ../shared/seeds/000_bce81a884f985e50.txt)
#
# Env: VENV (default .venv-gpu), OUT (default output/gpu_check), PIP_ARGS (e.g. "--no-index
# --find-links /wheels" on a machine without a network), JOBS_CPU (default: all cores).
# Needs an NVIDIA driver; installs onnxruntime-gpu with the CUDA 12 / cuDNN 9 runtime from pip.
set -euo pipefail

cd "$(dirname "$0")/.."
SCRIPT="${1:-../shared/seeds/000_bce81a884f985e50.txt}"
VENV="${VENV:-.venv-gpu}"
OUT="${OUT:-output/gpu_check}"
PIP_ARGS="${PIP_ARGS:-}"
PYTHON="${PYTHON:-python3.11}"

nvidia-smi -L || { echo "gpu_check: nvidia-smi found no GPU; this check needs one" >&2; exit 1; }

# 1. A venv with onnxruntime-gpu in place of onnxruntime (both own the `onnxruntime` module).
[[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q $PIP_ARGS -e .
"$VENV/bin/python" -m pip uninstall -q -y onnxruntime
"$VENV/bin/python" -m pip install -q $PIP_ARGS "onnxruntime-gpu[cuda,cudnn]>=1.21"

# 2. Which execution providers the engines really get (a session can silently fall back to CPU).
"$VENV/bin/python" - <<'PY'
import onnxruntime
from radioplay.model import VoiceSpec
from radioplay.voice.engines.devices import cuda_unavailable_reason
from radioplay.voice.engines.kokoro import KokoroEngine
from radioplay.voice.engines.piper import PiperEngine

print("onnxruntime", onnxruntime.__version__, "available:", onnxruntime.get_available_providers())
print("cuda usable:", cuda_unavailable_reason("onnx") or "yes")
for engine, voice in ((PiperEngine(device="cuda"), "joe"), (KokoroEngine(device="cuda"), "jm_kumo")):
    engine.synthesize("Checking the device.", VoiceSpec(engine.name, voice), 1.0, 0)
    print(f"{engine.name}: device={engine.device()} providers={engine.execution_providers()}")
PY

# 3. The seed, fully synthesized on each device (separate take stores, so nothing is reused).
mkdir -p "$OUT"
for device in cuda cpu; do
    rm -rf "$OUT/cache-$device"
    jobs=()
    # one GPU: one worker process owns it; the CPU run uses every core
    if [[ $device == cuda ]]; then jobs=(--jobs 1); elif [[ -n "${JOBS_CPU:-}" ]]; then jobs=(--jobs "$JOBS_CPU"); fi
    "$VENV/bin/radioplay" render "$SCRIPT" --device "$device" "${jobs[@]}" --cache "$OUT/cache-$device" \
        --report "$OUT/report-$device.json" -o "$OUT/episode-$device.wav"
done

# 4. Real-time factor = synthesis seconds / seconds of audio (lower is faster).
"$VENV/bin/python" - "$OUT" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
rtf = {}
for device in ("cuda", "cpu"):
    report = json.loads((out / f"report-{device}.json").read_text())
    synth, audio = report["seconds"]["synthesize"], report["audio_seconds"]
    rtf[device] = synth / audio
    print(f"{device:>4}: synthesize {synth:8.1f} s for {audio:7.1f} s of audio -> RTF {rtf[device]:.3f}")
print(f"GPU speed-up over CPU: {rtf['cpu'] / rtf['cuda']:.1f}x")
PY
