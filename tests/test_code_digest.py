"""The code digest in every render key: the render's own code counts, the site stage's pages do not."""

from __future__ import annotations

import shutil
from pathlib import Path

import radioplay
from radioplay import code_digest

PACKAGE = Path(radioplay.__file__).parent


def test_site_pages_do_not_change_the_digest_but_the_mixer_does(tmp_path):
    copy = tmp_path / "radioplay"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = code_digest(str(copy))
    assert before == code_digest()

    (copy / "site" / "pages.py").write_text((copy / "site" / "pages.py").read_text() + "\n# a page edit\n")
    assert code_digest(str(copy)) == before

    (copy / "mix" / "mixer.py").write_text((copy / "mix" / "mixer.py").read_text() + "\n# a mixer edit\n")
    assert code_digest(str(copy)) != before
