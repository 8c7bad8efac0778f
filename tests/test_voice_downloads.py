"""Voices fetched on first use, from a catalogue served on 127.0.0.1: verified, reused, refused when
the digest is wrong, and an offline error that says what to fetch and where. Nothing leaves the machine."""

from __future__ import annotations

import hashlib
import io
import json
import socket
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from radioplay.errors import EngineError
from radioplay.voice.engines import downloads
from radioplay.voice.engines.kokoro import KokoroEngine
from radioplay.voice.engines.piper import PiperEngine

VOICE = "en_GB-test-medium"
FOLDER = "en/en_GB/test/medium"
MODEL = b"not really an onnx model, but the bytes the catalogue vouches for" * 50
CONFIG = json.dumps({"audio": {"sample_rate": 22050}}).encode()


class _Server:
    """Serves a folder as Hugging Face serves piper-voices: a large (.onnx) file's URL answers with a
    redirect to the file that names its sha256 in `X-Linked-Etag` (`linked` overrides it by path)."""

    def __init__(self, root):
        self.paths: list[str] = []
        self.linked: dict[str, str] = {}
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_HEAD(self):
                if not self._redirected():
                    super().do_HEAD()

            def do_GET(self):
                server.paths.append(self.path)
                if not self._redirected():
                    super().do_GET()

            def _redirected(self) -> bool:
                if not self.path.endswith(".onnx"):
                    return False
                file = root / self.path.lstrip("/")
                sha256 = server.linked.get(self.path) or hashlib.sha256(file.read_bytes()).hexdigest()
                self.send_response(302)
                self.send_header("Location", self.path + "?download=true")
                self.send_header("X-Linked-Etag", f'"{sha256}"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def site(tmp_path, monkeypatch):
    root = tmp_path / "site"
    (root / FOLDER).mkdir(parents=True)
    (root / FOLDER / f"{VOICE}.onnx").write_bytes(MODEL)
    (root / FOLDER / f"{VOICE}.onnx.json").write_bytes(CONFIG)
    # upstream's voices.json gives an md5 only
    catalogue = {VOICE: {"key": VOICE, "files": {
        f"{FOLDER}/{VOICE}.onnx": {"size_bytes": len(MODEL), "md5_digest": hashlib.md5(MODEL).hexdigest()},
        f"{FOLDER}/{VOICE}.onnx.json": {"size_bytes": len(CONFIG), "md5_digest": hashlib.md5(CONFIG).hexdigest()},
        f"{FOLDER}/MODEL_CARD": {"size_bytes": 1, "md5_digest": "0" * 32}}}}
    (root / "voices.json").write_text(json.dumps(catalogue), encoding="utf-8")
    server = _Server(root)
    monkeypatch.setenv(downloads.MODEL_DIR_ENV, str(tmp_path / "models"))
    monkeypatch.setenv(downloads.PIPER_CATALOGUE_ENV, f"{server.url}/voices.json")
    yield server, root
    server.close()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_piper_voice_fetched_verified_and_reused(site, tmp_path):
    server, _ = site
    engine = PiperEngine()
    engine.check_voice(VOICE)
    model, config = engine.model_files(VOICE)
    assert model == tmp_path / "models" / "voices" / "piper" / f"{VOICE}.onnx"
    assert model.read_bytes() == MODEL and config.read_bytes() == CONFIG
    assert (model.parent / f"{VOICE}.onnx.sha256").read_text().strip() == hashlib.sha256(MODEL).hexdigest()
    onnx = f"/{FOLDER}/{VOICE}.onnx"
    assert server.paths == ["/voices.json", onnx, f"{onnx}?download=true", f"{onnx}.json"]
    engine.check_voice(VOICE)
    assert PiperEngine().model_files(VOICE) == [model, config]
    assert len(server.paths) == 4  # reused: no request at all
    model.write_bytes(b"damaged")  # a file that no longer matches is fetched again
    assert PiperEngine().model_files(VOICE)[0].read_bytes() == MODEL
    assert len(server.paths) == 8


def test_the_model_is_verified_by_the_sha256_hugging_face_names(site, tmp_path):
    """The md5 in the catalogue matches, but the sha256 in the redirect's X-Linked-Etag does not."""
    server, _ = site
    server.linked[f"/{FOLDER}/{VOICE}.onnx"] = hashlib.sha256(b"another model").hexdigest()
    with pytest.raises(EngineError, match=r"sha256 is [0-9a-f]{64}, not the catalogue's .*: refused"):
        PiperEngine().check_voice(VOICE)
    assert downloads.linked_sha256(f"{server.url}/{FOLDER}/{VOICE}.onnx") == hashlib.sha256(b"another model").hexdigest()
    assert downloads.linked_sha256(f"{server.url}/{FOLDER}/{VOICE}.onnx.json") is None  # a small file: md5 only
    assert downloads.linked_sha256(f"{closed_port_url()}/x.onnx") is None


def test_wrong_digest_is_refused(site, tmp_path):
    _, root = site
    (root / FOLDER / f"{VOICE}.onnx").write_bytes(MODEL + b"tampered")  # its linked sha256 says so too
    with pytest.raises(EngineError, match=r"md5 is [0-9a-f]{32}, not the catalogue's .*: refused"):
        PiperEngine().check_voice(VOICE)
    piper_dir = tmp_path / "models" / "voices" / "piper"
    assert not (piper_dir / f"{VOICE}.onnx").exists()
    assert not [p for p in piper_dir.iterdir() if p.suffix == ".onnx" or ".partial" in p.name]


def test_offline_names_what_to_fetch_and_where(tmp_path, monkeypatch):
    url = closed_port_url()
    monkeypatch.setenv(downloads.MODEL_DIR_ENV, str(tmp_path / "models"))
    monkeypatch.setenv(downloads.PIPER_CATALOGUE_ENV, f"{url}/voices.json")
    with pytest.raises(EngineError) as caught:
        PiperEngine().check_voice("en_GB-alan-medium")
    message = str(caught.value)
    target = tmp_path / "models" / "voices" / "piper"
    assert "not on this machine and cannot be fetched" in message
    assert f"{url}/en/en_GB/alan/medium/en_GB-alan-medium.onnx -> {target}/en_GB-alan-medium.onnx" in message
    assert f"{url}/en/en_GB/alan/medium/en_GB-alan-medium.onnx.json -> {target}/en_GB-alan-medium.onnx.json" in message
    # Put there by hand, as the message says, the voice is used with no network.
    target.mkdir(parents=True)
    (target / "en_GB-alan-medium.onnx").write_bytes(MODEL)
    (target / "en_GB-alan-medium.onnx.json").write_bytes(CONFIG)
    assert PiperEngine().model_files("en_GB-alan-medium")[0] == target / "en_GB-alan-medium.onnx"


def test_bundled_voices_never_touch_the_network(tmp_path, monkeypatch):
    url = closed_port_url()
    monkeypatch.setenv(downloads.MODEL_DIR_ENV, str(tmp_path / "models"))
    monkeypatch.setenv(downloads.PIPER_CATALOGUE_ENV, f"{url}/voices.json")
    monkeypatch.setenv(downloads.KOKORO_VOICES_ENV, f"{url}/voices.npz")
    monkeypatch.setenv(downloads.KOKORO_VOICES_SHA256_ENV, "0" * 64)
    PiperEngine().check_voice("joe")
    KokoroEngine().check_voice("jm_kumo")
    KokoroEngine().check_voice("jf_gongitsune*0.5 + jm_kumo*0.5")
    assert not (tmp_path / "models").exists()


def test_kokoro_english_voice_fetched_on_first_use(site, tmp_path, monkeypatch):
    server, root = site
    styles = io.BytesIO()
    np.savez(styles, af_heart=np.full((510, 1, 256), 0.25, np.float32), bm_george=np.zeros((510, 1, 256), np.float32))
    (root / "voices.npz").write_bytes(styles.getvalue())
    monkeypatch.setenv(downloads.KOKORO_VOICES_ENV, f"{server.url}/voices.npz")
    monkeypatch.setenv(downloads.KOKORO_VOICES_SHA256_ENV, hashlib.sha256(styles.getvalue()).hexdigest())
    engine = KokoroEngine()
    engine.check_voice("af_heart*0.6 + bm_george*0.4")
    fetched = engine.model_files("af_heart")[-1]
    assert fetched.parent == tmp_path / "models" / "voices" / "kokoro" and fetched.read_bytes() == styles.getvalue()
    assert np.allclose(engine._style_table("af_heart*0.6 + bm_george*0.4", None), 0.15)
    KokoroEngine().check_voice("bm_george")
    assert server.paths == ["/voices.npz"]
    with pytest.raises(EngineError, match="kokoro has no voice 'am_adam'"):
        engine.check_voice("am_adam")  # an English name the (fake) voices file lacks


def test_kokoro_offline_names_the_voices_file(tmp_path, monkeypatch):
    monkeypatch.delenv(downloads.KOKORO_VOICES_ENV, raising=False)
    monkeypatch.delenv(downloads.KOKORO_VOICES_SHA256_ENV, raising=False)
    monkeypatch.setenv(downloads.MODEL_DIR_ENV, str(tmp_path / "models"))
    monkeypatch.setattr(downloads, "KOKORO_VOICES_URL", closed_port_url() + "/voices-v1.0.bin")
    with pytest.raises(EngineError) as caught:
        KokoroEngine().check_voice("af_heart")
    target = tmp_path / "models" / "voices" / "kokoro" / f"voices-{downloads.KOKORO_VOICES_SHA256[:16]}.npz"
    assert f"/voices-v1.0.bin -> {target}" in str(caught.value)
