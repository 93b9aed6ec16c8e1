"""`povdsl diff` as a command: exit codes, errors without tracebacks, colour, git."""

from __future__ import annotations

import io
import json
import shlex
import shutil
import subprocess
import sys

import pytest

from povdsl.tools.diff.cli import main as run_cli
from povdsl.tools.diff.output import _use_colour

OLD = 'model m1 "Model 1": y ~ x + z | ols\n'
NEW = 'model m1 "Model 1": y ~ x + z + w | ols\n'



@pytest.fixture
def pair(tmp_path):
    (tmp_path / "old.pov").write_text(OLD)
    (tmp_path / "new.pov").write_text(NEW)
    return tmp_path / "old.pov", tmp_path / "new.pov"


def test_changes_exit_1(pair, capsys):
    assert run_cli([str(pair[0]), str(pair[1])]) == 1
    assert capsys.readouterr().out == "model m1\n  term added: w (directly)\n"


def test_syntax_error_exits_2_with_the_spec_error_text(pair, capsys):
    pair[1].write_text("model m1: y ~ x + | ols\n")
    assert run_cli([str(pair[0]), str(pair[1])]) == 2
    err = capsys.readouterr().err
    assert "error[E0" in err and "new.pov:1:" in err
    assert "Traceback" not in err


def test_missing_and_binary_files_exit_2(pair, capsys):
    assert run_cli([str(pair[0]), str(pair[1].with_name("nope.pov"))]) == 2
    assert "nope.pov" in capsys.readouterr().err
    pair[1].write_bytes(b"\xff\xfe model")
    assert run_cli([str(pair[0]), str(pair[1])]) == 2
    assert "not UTF-8" in capsys.readouterr().err


def test_wrong_number_of_files_exits_2(pair, capsys):
    assert run_cli([str(pair[0])]) == 2
    assert "OLD NEW" in capsys.readouterr().err


def test_colour_needs_a_tty_and_no_NO_COLOR(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert _use_colour(Tty())
    assert not _use_colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not _use_colour(Tty())


# ---------------------------------------------------------------- git

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(root, *args) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A real repository with two commits of spec.pov (x + z, then x + z + w)."""
    home = tmp_path / "home"
    home.mkdir()
    for key, value in {
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }.items():
        monkeypatch.setenv(key, value)
    root = tmp_path / "repo"
    root.mkdir()
    monkeypatch.chdir(root)

    git(root, "init", "-q")
    (root / "spec.pov").write_text(OLD)
    (root / "notes.txt").write_text("not a spec\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first")
    (root / "spec.pov").write_text("# reformatted\nmodel m1 \"Model 1\":\n    y ~ z + x + w\n    | ols\n")
    git(root, "commit", "-q", "-am", "second")
    return root


@needs_git
def test_git_mode_compares_against_a_revision(repo, capsys):
    assert run_cli(["--git", "HEAD~1"]) == 1
    assert capsys.readouterr().out == "=== spec.pov\nmodel m1\n  term added: w (directly)\n"
    assert run_cli(["--git", "HEAD"]) == 0
    assert capsys.readouterr().out == "no semantic change\n"


@needs_git
def test_git_mode_layout_only_edit_is_no_change(repo, capsys):
    (repo / "spec.pov").write_text("model m1 \"Model 1\": y ~ w + x + z | ols  # same meaning\n")
    assert run_cli(["--git", "HEAD", "spec.pov"]) == 0


@needs_git
def test_git_mode_new_and_deleted_files(repo, capsys):
    (repo / "other.pov").write_text("let a = 1\n")
    git(repo, "add", "other.pov")
    (repo / "spec.pov").unlink()
    assert run_cli(["--git", "HEAD", "--format", "json"]) == 1
    files = {f["new"]: f["changes"] for f in json.loads(capsys.readouterr().out)["files"]}
    assert [c["kind"] for c in files["other.pov"]] == ["added"]
    assert [(c["name"], c["kind"]) for c in files["spec.pov"]] == [("m1", "removed")]


@needs_git
def test_git_mode_bad_revision_exits_2(repo, capsys):
    assert run_cli(["--git", "no-such-rev"]) == 2
    assert "Traceback" not in capsys.readouterr().err


@needs_git
def test_git_external_diff_driver(repo):
    """`git diff` with the driver from docs/review.md prints the semantic diff."""
    (repo / ".gitattributes").write_text("*.pov diff=povdsl\n")
    command = f"{shlex.quote(sys.executable)} -m povdsl.tools.diff --git-external"
    shown = git(repo, "-c", f"diff.povdsl.command={command}", "diff", "HEAD~1", "HEAD", "--", "spec.pov")
    assert shown == "povdsl diff a/spec.pov b/spec.pov\nmodel m1\n  term added: w (directly)\n"
    (repo / "spec.pov").write_text("model m1: y ~ | ols\n")
    broken = git(repo, "-c", f"diff.povdsl.command={command}", "diff", "--", "spec.pov")
    assert "error[E0" in broken and "+model m1: y ~ | ols" in broken


def test_repository_wiring_files():
    from pathlib import Path

    import yaml

    root = Path(__file__).parents[2]
    assert "*.pov diff=povdsl" in (root / ".gitattributes").read_text().splitlines()
    hooks = {h["id"]: h for h in yaml.safe_load((root / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["povdsl-fmt"]["entry"] == "povdsl fmt --check"
    assert hooks["povdsl-check"]["entry"] == "povdsl check"
    assert all(h["files"] == r"\.pov$" and h["language"] == "python" for h in hooks.values())
    review = (root / "docs" / "review.md").read_text()
    assert 'diff.povdsl.command "povdsl diff --git-external"' in review and '"schema_version": 1' in review


def test_git_external_rejects_wrong_arity(capsys):
    assert run_cli(["--git-external", "a", "b"]) == 2
    assert "expected path old-file" in capsys.readouterr().err
