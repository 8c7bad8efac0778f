"""The content-addressed take store: re-rendering re-voices only the takes whose content changed."""

from radioplay.cache.store import (
    CacheProblem,
    EntryInfo,
    PruneResult,
    StoreInfo,
    StoredAudio,
    TakeStore,
    default_cache_dir,
    format_size,
    parse_size,
    samples_sha256,
    take_key,
)

__all__ = [
    "CacheProblem",
    "EntryInfo",
    "PruneResult",
    "StoreInfo",
    "StoredAudio",
    "TakeStore",
    "default_cache_dir",
    "format_size",
    "parse_size",
    "samples_sha256",
    "take_key",
]
