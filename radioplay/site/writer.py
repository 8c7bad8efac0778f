"""The site written as one set: every file staged beside its destination, then all renamed into
place under a lock on the site, the pages after the files they link to and the feed and the
site's record last. A failure before that leaves the previous site as it was."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from radioplay.errors import ExportError
from radioplay.io import check_writable, finish_partial, new_partial, remove_stale_partials

SITE_LOCK = ".radioplay-site.lock"
LOCK_TIMEOUT_S = 600.0


class SiteWriter:
    """with SiteWriter(site) as writer: writer.write_text("feed.xml", ...); writer.commit(last=[...])"""

    def __init__(self, site: Path):
        self.site = Path(site)
        self._staged: dict[Path, Path] = {}  # destination -> temporary
        self._held: contextlib.ExitStack | None = None

    def __enter__(self) -> "SiteWriter":
        from filelock import FileLock, Timeout

        lock = check_writable(self.site / SITE_LOCK)
        self._held = contextlib.ExitStack()
        try:
            self._held.enter_context(FileLock(str(lock), timeout=LOCK_TIMEOUT_S))
        except Timeout:
            raise ExportError(f"{self.site}: another publish has been writing this site for "
                              f"{LOCK_TIMEOUT_S:.0f} s; try again when it has finished") from None
        return self

    def __exit__(self, *exc) -> None:
        try:
            for tmp in self._staged.values():
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
            self._staged = {}
        finally:
            self._held.close()

    def _stage(self, name: str) -> Path:
        dest = self.site / name
        if dest in self._staged:
            return self._staged[dest]
        check_writable(dest)
        remove_stale_partials(dest)
        try:
            self._staged[dest] = new_partial(dest)
        except OSError as exc:
            raise ExportError(f"{dest}: cannot write: {exc.strerror or exc}") from exc
        return self._staged[dest]

    def write_text(self, name: str, text: str) -> None:
        tmp = self._stage(name)
        try:
            tmp.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ExportError(f"{self.site / name}: cannot write: {exc.strerror or exc}") from exc

    def copy(self, name: str, source: Path) -> None:
        tmp = self._stage(name)
        try:
            shutil.copyfile(source, tmp)
        except OSError as exc:
            raise ExportError(f"{self.site / name}: cannot copy {source}: {exc.strerror or exc}") from exc

    def commit(self, last: tuple[str, ...] = ()) -> list[Path]:
        """Rename every staged file into place, those named in `last` last and in that order."""
        tail = [self.site / name for name in last]
        order = [dest for dest in self._staged if dest not in tail] + [dest for dest in tail if dest in self._staged]
        try:
            for dest in order:
                finish_partial(self._staged[dest])
            for dest in order:
                os.replace(self._staged.pop(dest), dest)
        except OSError as exc:
            raise ExportError(f"{getattr(exc, 'filename', None) or self.site}: cannot publish: "
                              f"{exc.strerror or exc}") from exc
        return order
