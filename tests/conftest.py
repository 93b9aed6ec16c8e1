"""What every test folder shares: the `--regen` option, one run of the paper per session, a private cache folder.

Golden files (rendered tables, `povdsl check` diagnostics, `povdsl diff`
reports) are compared byte for byte by the `golden` fixture.  After an
intended change of output, rewrite them all with one option and review the
diff before committing:

    python -m pytest --regen
    git diff tests/
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAPER_SPEC = ROOT / "spec" / "zhejiang.pov"
PAPER_FORMATS = ("latex", "markdown", "html")


@pytest.fixture(scope="session", autouse=True)
def private_cache_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """This session's own per-user cache folder (Lark's tables, the fit cache's seal key), whatever HOME is on the machine."""
    if not os.environ.get("XDG_CACHE_HOME"):
        folder = tmp_path_factory.mktemp("xdg-cache")
        folder.chmod(0o700)
        os.environ["XDG_CACHE_HOME"] = str(folder)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen",
        action="store_true",
        default=False,
        help="rewrite golden files from the current output instead of comparing (review `git diff tests/` after)",
    )


@pytest.fixture(scope="session")
def regen(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--regen"))


@pytest.fixture(scope="session")
def golden(regen: bool) -> Callable[[Path, str | bytes], None]:
    """`golden(path, actual)`: assert `actual` equals the file byte for byte (with --regen, write it first)."""

    def compare(path: Path, actual: str | bytes) -> None:
        data = actual.encode("utf-8") if isinstance(actual, str) else actual
        if regen:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        assert path.exists(), f"no golden file {path}; write it with: python -m pytest --regen"
        assert data == path.read_bytes(), f"{path} differs; after an intended change: python -m pytest --regen, then review git diff"

    return compare


@pytest.fixture(scope="session")
def paper(tmp_path_factory: pytest.TempPathFactory):
    """The paper's spec run once for the whole session, every table written in every text format."""
    import povdsl

    out = tmp_path_factory.mktemp("paper")
    return povdsl.run(PAPER_SPEC, out, formats=PAPER_FORMATS)
