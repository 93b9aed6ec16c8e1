"""Input side of issue 12.5/12.6: spec symlinks, symlink loops, control characters, git's quoted file names."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from povdsl.tools.cli import main

SECRET = "POVDSL_SECRET_TOKEN=hunter2"


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "proj"
    root.mkdir()
    (root / ".povdsl-root").write_text("")
    (root / "d.csv").write_text("y,x\n1,2\n2,3\n4,4\n", encoding="utf-8")
    outside = tmp_path / "outside.pov"
    outside.write_text(f"{SECRET}\n", encoding="utf-8")
    return root


@pytest.mark.parametrize("command", [["check"], ["explain"], ["fmt", "--check"], ["run"]])
def test_a_spec_linking_outside_the_project_is_refused_without_printing_the_target(project, capsys, command):
    link = project / "s.pov"
    link.symlink_to(project.parent / "outside.pov")
    status = main([*command, str(link)])
    out, err = capsys.readouterr()
    assert status in (1, 2)
    assert "symbolic link leading outside its project folder" in err
    assert "hunter2" not in out + err and "SECRET" not in out + err


def test_a_spec_linking_to_proc_environ_is_refused(project, capsys, monkeypatch):
    monkeypatch.setenv("POVDSL_PROBE", "hunter2")
    link = project / "s.pov"
    link.symlink_to("/proc/self/environ")
    assert main(["check", str(link)]) == 1
    out, err = capsys.readouterr()
    assert f"{link}:1:1: error[E006]: spec '{link}' is a symbolic link leading outside its project folder" in err
    assert "hunter2" not in out + err


def test_diff_refuses_a_spec_linking_outside(project, capsys):
    (project / "a.pov").write_text('data d = "d.csv"\n', encoding="utf-8")
    link = project / "b.pov"
    link.symlink_to(project.parent / "outside.pov")
    assert main(["diff", str(project / "a.pov"), str(link)]) == 2
    out, err = capsys.readouterr()
    assert "symbolic link leading outside" in err and "hunter2" not in out + err


def test_a_spec_linking_inside_the_project_is_read(project, capsys):
    (project / "real.pov").write_text('data d = "d.csv"\n\nmodel m: y ~ x | ols\n', encoding="utf-8")
    (project / "s.pov").symlink_to(project / "real.pov")
    assert main(["check", str(project / "s.pov")]) == 0


def test_a_symlink_loop_as_data_file_is_a_located_error(project, capsys):
    (project / "a.csv").symlink_to(project / "b.csv")
    (project / "b.csv").symlink_to(project / "a.csv")
    spec = project / "s.pov"
    spec.write_text('data d = "a.csv"\n\nmodel m: y ~ x | ols\n', encoding="utf-8")
    assert main(["check", str(spec)]) == 1
    err = capsys.readouterr().err
    assert f"{spec}:1:10: error[E301]: " in err and "cannot be resolved" in err and err.count("error[") == 1


def test_control_characters_in_a_diagnostic_are_escaped(project, capsys):
    spec = project / "s.pov"
    spec.write_text('data d = "nope\x1b]0;owned\x07\x1b[2K\u202e.csv"\n\nmodel m: y ~ x | ols\n', encoding="utf-8")
    assert main(["check", str(spec)]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err and "\u202e" not in err
    assert "nope\\x1b]0;owned\\x07\\x1b[2K\\u202e.csv" in err


def test_diff_output_escapes_control_characters(project, capsys):
    old = project / "a.pov"
    new = project / "b.pov"
    old.write_text('data d = "d.csv"\n\nmodel m: y ~ x | ols\n\ntable t "Plain" = m\n', encoding="utf-8")
    new.write_text('data d = "d.csv"\n\nmodel m: y ~ x | ols\n\ntable t "Plain\r\x1b[1A\x1b[2Kfine\u202e" = m\n', encoding="utf-8")
    assert main(["diff", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\r" not in out and "\u202e" not in out
    assert "\\x0d\\x1b[1A\\x1b[2Kfine\\u202e" in out
    assert main(["diff", "--format", "json", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out and "\\u202e" in out


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
@pytest.mark.parametrize("name", ["café.pov", "new\nline.pov", "tab\there.pov"])
def test_diff_git_on_names_git_quotes(tmp_path, monkeypatch, capsys, name):
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "core.quotepath=true"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    (repo / "d.csv").write_text("y,x\n1,2\n", encoding="utf-8")
    spec = repo / name
    spec.write_text('data d = "d.csv"\n\nmodel m: y ~ x | ols\n', encoding="utf-8")
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "one"], cwd=repo, check=True)
    spec.write_text('data d = "d.csv"\n\nmodel m: y ~ x | logit\n', encoding="utf-8")
    monkeypatch.chdir(repo)
    assert main(["diff", "--git", "HEAD"]) == 1
    out = capsys.readouterr().out
    assert "estimator changed: ols -> logit" in out
    shown = name.replace("\n", "\\x0a")  # a tab moves nothing out of sight: kept
    assert f"=== {shown}\n" in out


def test_a_file_name_with_control_characters_is_escaped_in_check_output(project, capsys):
    spec = project / "s\x1b[31m\u202e.pov"
    spec.write_text('data d = "d.csv"\n\nmodel m: y ~ x | ols\n', encoding="utf-8")
    assert main(["check", str(spec)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out and "s\\x1b[31m\\u202e.pov: ok (1 models, 0 tables)" in out
