"""Path rules for data and weights files (povdsl/check/sources.py, docs/security.md).

A path resolves relative to the spec, must stay inside the spec's project
folder unless allowed with --allow-outside / allow_outside=, is never a URL,
and bundled("...") stays inside povdsl's own data folder.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import povdsl
from povdsl.check.sources import bundled_root
from povdsl.check.specfile import load_plan
from povdsl.errors import SpecError
from povdsl.tools.cli import main

CSV = "hh,year,y,x\n1,2004,1.0,2.0\n1,2005,2.0,3.0\n2,2004,1.5,2.5\n2,2005,2.5,4.0\n"


@pytest.fixture
def tree(tmp_path) -> dict[str, Path]:
    """proj/ (project root, marked) with specs/ and data/; outside/ and outside2/ next to it."""
    proj = tmp_path / "proj"
    (proj / "specs").mkdir(parents=True)
    (proj / "data").mkdir()
    (proj / ".povdsl-root").write_text("")
    (proj / "data" / "d.csv").write_text(CSV)
    for name in ("outside", "outside2", "out"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "d.csv").write_text(CSV)
    return {"proj": proj, "specs": proj / "specs", "outside": tmp_path / "outside", "outside2": tmp_path / "outside2", "out": tmp_path / "out"}


def _spec(folder: Path, source: str) -> Path:
    spec = folder / "s.pov"
    spec.write_text(f"data d = {source} panel(hh, year)\n")
    return spec


def _refused(spec: Path, **kwargs) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_plan(spec, **kwargs)
    codes = {d.code for d in info.value.diagnostics}
    assert "E301" in codes, str(info.value)
    assert re.search(re.escape(str(spec)) + r":\d+:\d+: error\[E301\]", str(info.value))
    return info.value


def test_relative_to_the_spec_not_the_working_directory(tree, monkeypatch):
    """'../data/d.csv' is read relative to the spec's folder, whatever the cwd."""
    spec = _spec(tree["specs"], '"../data/d.csv"')
    monkeypatch.chdir(tree["outside"])
    plan = load_plan(spec)
    assert Path(plan.data[0].path) == (tree["proj"] / "data" / "d.csv").resolve()


def test_absolute_path_inside_the_project_is_allowed(tree):
    spec = _spec(tree["specs"], f'"{tree["proj"] / "data" / "d.csv"}"')
    assert load_plan(spec).data[0].columns == ("hh", "year", "y", "x")


def test_a_marker_in_the_home_folder_does_not_make_home_the_project(tmp_path, monkeypatch):
    """An unmarked checkout (a downloaded archive) under a home folder that is a git repository (dotfiles):
    the project is the spec's folder, not the home folder, so ~/.ssh is outside it."""
    home = tmp_path / "home"
    (home / ".git").mkdir(parents=True)
    (home / ".ssh").mkdir()
    (home / ".ssh" / "id.csv").write_text(CSV)
    checkout = home / "downloads" / "pr-123"
    checkout.mkdir(parents=True)
    (checkout / "d.csv").write_text(CSV)
    monkeypatch.setenv("HOME", str(home))
    assert load_plan(_spec(checkout, '"d.csv"')).data[0].columns == ("hh", "year", "y", "x")
    error = _refused(_spec(checkout, '"../../.ssh/id.csv"'))
    assert f"outside the spec's project folder {checkout.resolve()}" in str(error)
    (home / "project" / "specs").mkdir(parents=True)  # a marked project below home is still one project
    (home / "project" / "pyproject.toml").write_text("")
    (home / "project" / "d.csv").write_text(CSV)
    assert load_plan(_spec(home / "project" / "specs", '"../d.csv"')).data[0].columns == ("hh", "year", "y", "x")


@pytest.mark.parametrize("raw", ["../../outside/d.csv", "../data/../../outside/d.csv", "../../../../../../../../etc/passwd"])
def test_traversal_is_refused(tree, raw):
    error = _refused(_spec(tree["specs"], f'"{raw}"'))
    assert "outside the spec's project folder" in str(error)


@pytest.mark.parametrize("raw", ["/etc/passwd", "/etc/shadow", "//etc/passwd", "/proc/self/environ"])
def test_absolute_path_outside_is_refused(tree, raw):
    _refused(_spec(tree["specs"], f'"{raw}"'))


def test_absolute_outside_refused_without_allow(tree):
    _refused(_spec(tree["specs"], f'"{tree["outside"] / "d.csv"}"'))


def test_allow_outside_api(tree):
    """allow_outside= opens exactly the named folder."""
    spec = _spec(tree["specs"], '"../../outside/d.csv"')
    plan = povdsl.load(spec, allow_outside=(tree["outside"],))
    assert Path(plan.data[0].path) == (tree["outside"] / "d.csv").resolve()
    _refused(_spec(tree["specs"], '"../../outside2/d.csv"'), allow_outside=(tree["outside"],))


def test_allow_outside_is_not_a_string_prefix(tree):
    """Allowing .../out does not allow .../outside (folder containment, not text prefix)."""
    _refused(_spec(tree["specs"], '"../../outside/d.csv"'), allow_outside=(tree["out"],))


def test_allow_outside_cli(tree, capsys):
    spec = _spec(tree["specs"], '"../../outside/d.csv"')
    assert main(["check", str(spec)]) == 1
    assert "--allow-outside" in capsys.readouterr().err
    assert main(["check", str(spec), "--allow-outside", str(tree["outside"])]) == 0
    assert main(["check", str(spec), "--allow-outside", str(tree["outside2"])]) == 1


def test_allow_outside_run(tree, tmp_path):
    spec = _spec(tree["specs"], '"../../outside/d.csv"')
    spec.write_text(spec.read_text() + "model m: y ~ x | ols\n")
    with pytest.raises(SpecError):
        povdsl.run(spec)
    assert povdsl.run(spec, allow_outside=(tree["outside"],)).results["m"].nobs == 4


@pytest.mark.parametrize(
    "raw",
    ["file:///etc/passwd", "http://example.com/d.csv", "https://example.com/d.csv", "HTTP://EXAMPLE.COM/d.csv", "ftp://example.com/d.csv", "s3://bucket/d.csv", "smb://host/share/d.csv"],
)
def test_urls_are_refused(tree, raw):
    error = _refused(_spec(tree["specs"], f'"{raw}"'))
    assert "URL" in str(error)


def test_urls_refused_even_with_allow_outside(tree):
    _refused(_spec(tree["specs"], '"file:///etc/passwd"'), allow_outside=(Path("/"),))


def test_symlink_escape_is_refused(tree):
    """A symlink inside the project pointing outside does not open the outside."""
    (tree["proj"] / "data" / "escape").symlink_to(tree["outside"], target_is_directory=True)
    (tree["proj"] / "data" / "passwd").symlink_to("/etc/passwd")
    _refused(_spec(tree["specs"], '"../data/escape/d.csv"'))
    _refused(_spec(tree["specs"], '"../data/passwd"'))


def test_symlink_inside_the_project_is_allowed(tree):
    (tree["proj"] / "data" / "alias.csv").symlink_to(tree["proj"] / "data" / "d.csv")
    assert load_plan(_spec(tree["specs"], '"../data/alias.csv"')).data[0].columns == ("hh", "year", "y", "x")


def test_symlink_escape_through_allow_outside_target(tree):
    """A symlink inside an allowed folder that points elsewhere is judged by its target."""
    (tree["outside"] / "hop").symlink_to(tree["outside2"], target_is_directory=True)
    _refused(_spec(tree["specs"], f'"{tree["outside"] / "hop" / "d.csv"}"'), allow_outside=(tree["outside"],))


@pytest.mark.parametrize("raw", ["../../../../../../etc/passwd", "/etc/passwd", "zhejiang/../../../../etc/passwd", "..", "../datasets/zhejiang/households.csv/../../../../etc/passwd"])
def test_bundled_traversal_is_refused(tree, raw):
    _refused(_spec(tree["specs"], f'bundled("{raw}")'))


def test_bundled_file_is_found(tree):
    spec = tree["specs"] / "s.pov"
    spec.write_text('data d = bundled("zhejiang/households.csv") panel(household, year)\n')
    plan = load_plan(spec)
    assert bundled_root().resolve() in Path(plan.data[0].path).parents


def test_bundled_is_not_widened_by_allow_outside(tree):
    """allow_outside applies to plain paths, never to bundled()."""
    _refused(_spec(tree["specs"], 'bundled("../../../../etc/passwd")'), allow_outside=(Path("/"),))


def test_weights_file_follows_the_same_rules(tree):
    spec = tree["specs"] / "s.pov"
    spec.write_text('data d = "../data/d.csv" panel(hh, year)\nweights w = inverse("../../outside/w.csv", o, dd, v)\n')
    _refused(spec)


@pytest.mark.parametrize("raw", ['""', '"   "'])
def test_empty_path_is_refused(tree, raw):
    _refused(_spec(tree["specs"], raw))


def test_refusal_reads_nothing(tree, monkeypatch):
    """A refused path is never opened: the check happens on the resolved name."""
    import builtins

    opened = []
    real_open = builtins.open

    def spy(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    spec = _spec(tree["specs"], '"../../outside/d.csv"')
    monkeypatch.setattr(builtins, "open", spy)
    with pytest.raises(SpecError):
        load_plan(spec)
    assert not any("outside" in f for f in opened)
