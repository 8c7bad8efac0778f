"""Voices fetched on first use, for people with a network: Piper voices by catalogue name
(`en_GB-alan-medium`) and Kokoro's English voices (`af_heart`, ...).

Nothing here runs unless a cast names such a voice: the bundled voices need no network. A fetched
file is checked against the sha256 its catalogue gives. Piper's upstream voices.json gives only an
md5, so for its files the sha256 comes from Hugging Face, which names a large (LFS) file's sha256 in
the `X-Linked-Etag` header of its redirect; both digests are then checked. A file with neither (the
small JSON configs, stored in git rather than LFS) is checked by its md5. It is written atomically into the voice folder with a `.sha256`
beside it, and reused from there without the network while it still matches. Any network error
becomes an EngineError that names the URL to fetch and the file to put it in; a file put there by
hand is taken as it is (and checked against the sha256 when one is known offline, as for Kokoro's).

    voice folder: $RADIOPLAY_MODEL_DIR/voices, else <user data dir>/radioplay/voices
    Piper catalogue: $RADIOPLAY_PIPER_CATALOGUE (a voices.json URL); its file paths are relative to it
    Kokoro voices file: $RADIOPLAY_KOKORO_VOICES (URL) with $RADIOPLAY_KOKORO_VOICES_SHA256
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from urllib.parse import urljoin

from radioplay.errors import EngineError
from radioplay.io import atomic_path, sha256_file

MODEL_DIR_ENV = "RADIOPLAY_MODEL_DIR"
PIPER_CATALOGUE_ENV = "RADIOPLAY_PIPER_CATALOGUE"
PIPER_CATALOGUE_URL = "https://huggingface.co/rhasspy/piper-voices/resolve/main/voices.json"
KOKORO_VOICES_ENV = "RADIOPLAY_KOKORO_VOICES"
KOKORO_VOICES_SHA256_ENV = "RADIOPLAY_KOKORO_VOICES_SHA256"
KOKORO_VOICES_URL = "https://github.com/thewh1teagle/kokoro-onnx/releases/download/model-files-v1.0/voices-v1.0.bin"
KOKORO_VOICES_SHA256 = "bca610b8308e8d99f32e6fe4197e7ec01679264efed0cac9140fe9c29f1fbf7d"
KOKORO_ENGLISH_VOICES = (
    "af_alloy", "af_aoede", "af_bella", "af_heart", "af_jessica", "af_kore", "af_nicole", "af_nova",
    "af_river", "af_sarah", "af_sky", "am_adam", "am_echo", "am_eric", "am_fenrir", "am_liam",
    "am_michael", "am_onyx", "am_puck", "am_santa", "bf_alice", "bf_emma", "bf_isabella", "bf_lily",
    "bm_daniel", "bm_fable", "bm_george", "bm_lewis",
)
"""The American (a) and British (b) voices in Kokoro v1.0's voices-v1.0.bin."""
TIMEOUT_SECONDS = 30
_PIPER_NAME = re.compile(r"^([a-z]{2,3})_([A-Z]{2})-([A-Za-z0-9_]+)-(x_low|low|medium|high)$")


def voice_dir() -> Path:
    env = os.environ.get(MODEL_DIR_ENV)
    if env:
        return Path(env).expanduser() / "voices"
    import platformdirs

    return Path(platformdirs.user_data_dir("radioplay")) / "voices"


def is_piper_catalogue_name(voice: str) -> bool:
    return bool(_PIPER_NAME.match(voice))


def piper_voice(name: str) -> tuple[Path, Path]:
    """(model, config) of Piper catalogue voice `name`, fetched into the voice folder if missing."""
    folder = voice_dir() / "piper"
    model, config = folder / f"{name}.onnx", folder / f"{name}.onnx.json"
    if _verified(model) and _verified(config):
        return model, config
    catalogue_url = os.environ.get(PIPER_CATALOGUE_ENV) or PIPER_CATALOGUE_URL
    language, region, speaker, quality = _PIPER_NAME.match(name).groups()
    # Upstream's layout, for the offline message: the catalogue gives the real paths when reachable.
    guessed = [f"{language}/{language}_{region}/{speaker}/{quality}/{name}{ext}" for ext in (".onnx", ".onnx.json")]
    try:
        catalogue = json.loads(_get(catalogue_url))
    except (OSError, ValueError) as exc:
        raise _offline(f"piper voice {name!r}", [(urljoin(catalogue_url, p), folder / Path(p).name) for p in guessed],
                       exc) from None
    entry = catalogue.get(name) if isinstance(catalogue, dict) else None
    if not isinstance(entry, dict):
        entry = next((e for e in catalogue.values() if isinstance(e, dict) and name in e.get("aliases", ())), None)
    if entry is None:
        raise EngineError(f"piper has no voice {name!r} in its catalogue {catalogue_url}")
    for path, facts in entry.get("files", {}).items():
        if path.endswith((".onnx", ".onnx.json")):
            target = model if path.endswith(".onnx") else config
            url = urljoin(catalogue_url, path)
            fetch(url, target, sha256=facts.get("sha256") or linked_sha256(url), md5=facts.get("md5_digest"))
    if not (model.is_file() and config.is_file()):
        raise EngineError(f"piper catalogue entry {name!r} lists no .onnx and .onnx.json files")
    return model, config


def is_kokoro_download(voice_names: list[str], bundled: list[str]) -> bool:
    """True when a Kokoro voice (or blend) names only English voices the bundled styles lack."""
    return bool(voice_names) and all(n in KOKORO_ENGLISH_VOICES and n not in bundled for n in voice_names)


def kokoro_voices_file(fetch_missing: bool = True) -> Path | None:
    """Kokoro's English voices file, fetched into the voice folder on first use (or None when it is
    missing and not `fetch_missing`)."""
    url = os.environ.get(KOKORO_VOICES_ENV) or KOKORO_VOICES_URL
    sha256 = os.environ.get(KOKORO_VOICES_SHA256_ENV) or (KOKORO_VOICES_SHA256 if url == KOKORO_VOICES_URL else None)
    if not sha256:
        raise EngineError(f"{KOKORO_VOICES_ENV} is set, so set {KOKORO_VOICES_SHA256_ENV} to its file's sha256 too")
    target = voice_dir() / "kokoro" / f"voices-{sha256[:16]}.npz"
    if _verified(target, sha256):
        return target
    if not fetch_missing:
        return None
    fetch(url, target, sha256=sha256)
    return target


def fetch(url: str, target: Path, *, sha256: str | None = None, md5: str | None = None) -> Path:
    """Download `url` to `target`, refusing it unless it matches `sha256` and `md5`, each one given."""
    expected = {name: value.lower() for name, value in (("sha256", sha256), ("md5", md5)) if value}
    if not expected:
        raise EngineError(f"{url}: the catalogue gives no digest for it, so it is not fetched")
    digests = [hashlib.new(name) for name in expected]
    with atomic_path(target) as tmp, open(tmp, "wb") as out:  # a refused or cut-off file never lands
        try:
            response = _open(url)
        except OSError as exc:  # URLError, refused, timed out: offline
            raise _offline(target.name, [(url, target)], exc) from None
        with response:
            while True:
                try:
                    block = response.read(1 << 20)
                except OSError as exc:
                    raise _offline(target.name, [(url, target)], exc) from None
                if not block:
                    break
                for digest in digests:
                    digest.update(block)
                out.write(block)
        for digest in digests:
            if digest.hexdigest() != expected[digest.name]:
                raise EngineError(f"{url}: downloaded file's {digest.name} is {digest.hexdigest()}, not the "
                                  f"catalogue's {expected[digest.name]}: refused")
    target.with_name(target.name + ".sha256").write_text(sha256_file(target) + "\n", encoding="utf-8")
    return target


def linked_sha256(url: str) -> str | None:
    """The sha256 that Hugging Face gives for a large file in the `X-Linked-Etag` header of the
    redirect from its `resolve` URL (None where the server names none, or cannot be reached: the
    download that follows reports that)."""
    import urllib.error
    import urllib.request

    class KeepRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None  # the header is on the redirect itself, not on the file it leads to

    request = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.build_opener(KeepRedirect).open(request, timeout=TIMEOUT_SECONDS) as response:
            headers = response.headers
    except urllib.error.HTTPError as answer:  # the 302 arrives as an "error" once redirects are kept
        headers = answer.headers
    except OSError:
        return None
    etag = (headers.get("X-Linked-Etag") or "").strip().removeprefix("W/").strip('"').lower()
    return etag if re.fullmatch(r"[0-9a-f]{64}", etag) else None


def _verified(path: Path, sha256: str | None = None) -> bool:
    """A fetched file still whole: its sha256 matches the one recorded when it was verified (or
    `sha256`). A file put there by hand with no record and no known digest is taken and recorded."""
    if not path.is_file():
        return False
    record = path.with_name(path.name + ".sha256")
    actual = sha256_file(path)
    expected = record.read_text(encoding="utf-8").strip() if record.is_file() else (sha256 or "").lower()
    if not expected:
        record.write_text(actual + "\n", encoding="utf-8")
        return True
    return actual == expected


def _offline(what: str, files: list[tuple[str, Path]], exc: Exception) -> EngineError:
    reason = getattr(exc, "reason", None) or exc
    todo = "; ".join(f"{url} -> {path}" for url, path in files)
    return EngineError(f"{what} is not on this machine and cannot be fetched ({reason}); "
                       f"download it elsewhere and save it here: {todo}")


def _open(url: str):
    from urllib.request import urlopen

    return urlopen(url, timeout=TIMEOUT_SECONDS)  # noqa: S310 (http(s) URLs from the catalogue)


def _get(url: str) -> bytes:
    with _open(url) as response:
        return response.read()
