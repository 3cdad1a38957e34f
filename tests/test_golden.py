"""The built seed site against a committed copy (Pelican's functional test idea).

When output is meant to change, regenerate deliberately and review the diff:

    DIGEST_UPDATE_GOLDEN=1 pytest tests/test_golden.py
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

from tests.conftest import build_site, tree_bytes

GOLDEN = Path(__file__).resolve().parent / "golden" / "seed-site"


SUFFIX = ".golden"  # stored as data, so code-duplication tools skip the generated pages


def test_seed_site_matches_golden_copy(site: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    build_site(site, output)
    actual = tree_bytes(output)
    if os.environ.get("DIGEST_UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for name, data in actual.items():
            target = GOLDEN / (name + SUFFIX)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    expected = {name.removesuffix(SUFFIX): data for name, data in tree_bytes(GOLDEN).items()}
    assert sorted(actual) == sorted(expected)
    for name, data in expected.items():
        if actual[name] != data:
            diff = "\n".join(
                difflib.unified_diff(
                    data.decode(errors="replace").splitlines(),
                    actual[name].decode(errors="replace").splitlines(),
                    "golden/" + name,
                    "built/" + name,
                    lineterm="",
                    n=1,
                )
            )
            raise AssertionError(f"{name} differs from the golden copy:\n{diff[:4000]}")
