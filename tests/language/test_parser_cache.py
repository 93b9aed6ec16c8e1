"""Lark's tables are cached in a private per-user folder, never beside the spec; anything else falls back silently."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from povdsl.language import parser_cache

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "spec" / "zhejiang.pov"
_CHILD = """
import sys
from povdsl.language.parser import parse
spec = parse(open(sys.argv[1], encoding="utf-8").read(), "z.pov")
try:
    parse("model m: y ~ | ols", "b.pov")
except Exception as exc:
    print(exc)
print(repr(spec))
"""


def _parse_in_child(env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run([sys.executable, "-c", _CHILD, str(SPEC)], capture_output=True, text=True, env=env, cwd=cwd, check=True)
    assert done.stderr == ""  # silent, whatever the cache did
    return done.stdout


@pytest.fixture
def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("XDG_CACHE_HOME", "POVDSL_NO_CACHE")}


def test_cached_tables_parse_the_same(tmp_path, clean_env):
    """First process writes the cache, the second loads it; both parse (and report errors) as without a cache."""
    cache_home = tmp_path / "cache"
    env = dict(clean_env, XDG_CACHE_HOME=str(cache_home))
    plain = _parse_in_child(dict(clean_env, POVDSL_NO_CACHE="1"), tmp_path)
    first = _parse_in_child(env, tmp_path)
    files = sorted(p.name for p in (cache_home / "povdsl").iterdir())
    second = _parse_in_child(env, tmp_path)
    assert plain == first == second
    assert "error[E013]" in plain
    assert len(files) == 2 and all(f.endswith(".lark") for f in files)  # the parser and the recognizer
    assert stat.S_IMODE((cache_home / "povdsl").stat().st_mode) == 0o700
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"]  # nothing in the working folder
    assert not [p for p in SPEC.parent.iterdir() if p.suffix == ".lark"]  # nor beside the spec


def test_a_folder_others_can_write_is_not_used(tmp_path, monkeypatch):
    folder = tmp_path / "povdsl"
    folder.mkdir(mode=0o700)
    folder.chmod(0o777)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("POVDSL_NO_CACHE", raising=False)
    assert parser_cache.cache_folder() is None
    assert parser_cache.cache_file("parser", ROOT / "povdsl" / "language" / "grammar.lark") is False
    folder.chmod(0o700)
    assert parser_cache.cache_folder() == folder


def test_a_symlinked_folder_or_file_is_not_used(tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "povdsl").symlink_to(elsewhere, target_is_directory=True)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("POVDSL_NO_CACHE", raising=False)
    assert parser_cache.cache_folder() is None
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "own"))
    grammar = ROOT / "povdsl" / "language" / "grammar.lark"
    target = Path(parser_cache.cache_file("parser", grammar))
    target.symlink_to(tmp_path / "anything")
    assert parser_cache.cache_file("parser", grammar) is False


def test_an_unwritable_cache_home_falls_back(tmp_path, clean_env):
    """A cache home that cannot be created: the parse works, nothing is printed."""
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    env = dict(clean_env, XDG_CACHE_HOME=str(blocked / "cache"))
    assert "error[E013]" in _parse_in_child(env, tmp_path)


_BLAS_CHILD = """
from threadpoolctl import threadpool_info
from povdsl.estimate.executors import one_blas_thread
one_blas_thread()
print(max(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"))
"""


@pytest.mark.parametrize("user_setting, expected", [(None, 1), ("2", 2)])
def test_sweep_workers_run_one_blas_thread_unless_told(user_setting, expected):
    """The pool's initializer pins BLAS to one thread; OPENBLAS/OMP/MKL_NUM_THREADS set by the user win."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")}
    if user_setting:
        env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = user_setting
    done = subprocess.run([sys.executable, "-c", _BLAS_CHILD], capture_output=True, text=True, env=env, check=True)
    threads = int(done.stdout.split()[-1])
    if user_setting is None:
        assert threads == 1
    else:
        assert threads == min(expected, os.cpu_count() or 1)
