#!/usr/bin/env bash
# Test radioplay's optional Coqui engine in its own venv, so the default install never pulls torch.
#
#   ci/coqui.sh            create/refresh .venv-coqui, then run the coqui tests
#   VENV=/path ci/coqui.sh use another venv folder
#
# The first run installs torch + coqui-tts: about 4 minutes and 7.6 GB. A stamp file makes later
# runs skip the install while the pinned set below is unchanged.
set -euo pipefail

cd "$(dirname "$0")/.."
VENV="${VENV:-.venv-coqui}"
PYTHON="${PYTHON:-python3.11}"

# coqui-tts 0.28 refuses to import without torchaudio, needs torchcodec on torch >= 2.9, and imports
# `six` without declaring it. PyPI has no torchaudio for newer CPU-only torch builds, so pin the set
# that is known to work together.
PINNED=(torch==2.9.1 "torchaudio==2.9.*" torchcodec coqui-tts six)
STAMP="$VENV/.radioplay-coqui-installed"
WANT="${PINNED[*]}"

if [[ ! -x "$VENV/bin/python" ]]; then
    "$PYTHON" -m venv "$VENV"
fi
if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$WANT" ]]; then
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet "${PINNED[@]}"
    "$VENV/bin/python" -m pip install --quiet -e ".[test]"
    echo "$WANT" > "$STAMP"
else
    # the package itself may have new entry points or dependencies
    "$VENV/bin/python" -m pip install --quiet --no-deps -e .
fi

# Fail loudly (not skip) when the extra did not install: this script exists to run these tests.
"$VENV/bin/python" -c "import TTS, torch; print('coqui-tts', __import__('importlib.metadata').metadata.version('coqui-tts'), 'torch', torch.__version__)"
exec "$VENV/bin/python" -m pytest -m coqui tests/test_coqui.py "$@"
