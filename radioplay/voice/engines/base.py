"""The engine protocol and the registry that finds engines through entry points.

An engine is cheap to construct: it loads models lazily, on first synthesis, once per process.
Built-in engines register through the same `radioplay.engines` entry-point group a plugin uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Callable, Mapping, Protocol, runtime_checkable

from radioplay.errors import EngineError
from radioplay.model import Audio, VoiceSpec
from radioplay.values import Rule

ENTRY_POINT_GROUP = "radioplay.engines"


@dataclass(frozen=True)
class VoiceInfo:
    engine: str
    name: str
    language: str = "en"
    gender: str | None = None
    """"female", "male" or None; auto-casting uses it to contrast the leads."""
    sample_rate: int = 0
    """Hz the engine produces for this voice (0 when unknown before loading)."""
    description: str = ""


@dataclass(frozen=True)
class EngineOption:
    """A setting a cast file may give an engine (`length_scale = 1.1`): its type, range and meaning.
    The cast loader checks every value against it before the first take."""

    name: str
    rule: Rule
    doc: str
    path: bool = False
    """A file path, resolved against the cast file's folder; the file must exist."""


@runtime_checkable
class Engine(Protocol):
    """What radioplay needs from a TTS engine."""

    name: str
    options: tuple[EngineOption, ...]
    """Every option the engine takes; a cast giving any other is refused when it is loaded."""

    def version(self) -> str:
        """Goes into the take key: a new engine version re-voices."""

    def unavailable_reason(self) -> str | None:
        """None when the engine can run here; otherwise what is missing (a package, a program)."""

    def voices(self) -> list[VoiceInfo]:
        """The voices usable on this machine (cheap: no model loading)."""

    def check_voice(self, voice: str, options: Mapping[str, object] | None = None) -> None:
        """Raise EngineError when `voice` (a name, path or blend) is not usable with these
        (already checked) options, e.g. a voice that lives in the options' voices file."""

    def model_files(self, voice: str) -> list[Path]:
        """The model and voice files behind `voice`; the take store hashes them into the take key."""

    def device(self) -> str:
        """"cpu" or "cuda": where synthesis would run."""

    def synthesize(self, text: str, spec: VoiceSpec, speed: float, seed: int) -> Audio:
        """Voice `text` (already normalized) with `spec` at its natural pitch.

        `speed` already includes the delivery's factor. Pitch shifting (spec.pitch plus delivery)
        is applied afterwards by the synthesis stage, the same way for every engine."""


_PROTOCOL_ATTRIBUTES = ("name", "options", "version", "unavailable_reason", "voices", "check_voice",
                        "model_files", "device", "synthesize")

EngineFactory = Callable[..., Engine]
"""Called as factory(device=..., threads=...); must not load models."""


class EngineRegistry:
    """Maps engine names to factories; instantiates each engine once, lazily."""

    def __init__(self, factories: dict[str, EngineFactory] | None = None, *, device: str = "auto",
                 threads: int | None = None):
        self._factories: dict[str, EngineFactory | EntryPoint] = dict(factories or {})
        self._engines: dict[str, Engine] = {}
        self.device = device
        self.threads = threads

    @classmethod
    def from_entry_points(cls, **kwargs) -> "EngineRegistry":
        """Every engine installed in the `radioplay.engines` group, built-in ones included."""
        registry = cls(**kwargs)
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            registry._factories.setdefault(ep.name, ep)  # imported on first use, not now
        return registry

    def register(self, name: str, factory: EngineFactory) -> None:
        self._factories[name] = factory
        self._engines.pop(name, None)

    def names(self) -> list[str]:
        return sorted(self._factories)

    def get(self, name: str) -> Engine:
        if name not in self._engines:
            factory = self._factories.get(name)
            if factory is None:
                known = ", ".join(self.names()) or "none"
                raise EngineError(f"unknown engine {name!r} (known: {known})")
            if isinstance(factory, EntryPoint):
                try:
                    factory = factory.load()
                except ImportError as exc:
                    raise EngineError(f"engine {name!r} cannot be imported: {exc}") from exc
            engine = factory(device=self.device, threads=self.threads)
            missing = [attr for attr in _PROTOCOL_ATTRIBUTES if not hasattr(engine, attr)]
            if missing:  # a plugin written for an older protocol: say so instead of failing later
                raise EngineError(f"engine {name!r} does not follow radioplay's engine protocol: "
                                  f"it has no {', '.join(missing)}")
            self._engines[name] = engine
        return self._engines[name]


def refuse_unknown_options(engine: Engine, spec: VoiceSpec) -> None:
    """Raise EngineError when `spec` gives an option `engine` does not declare (a cast is checked
    when it is loaded; this guards specs built in code)."""
    names = [option.name for option in engine.options]
    unknown = sorted(set(dict(spec.options)) - set(names))
    if unknown:
        raise EngineError(f"{engine.name}: unknown option(s) {', '.join(unknown)} "
                          f"(options: {', '.join(names) or 'none'})")
