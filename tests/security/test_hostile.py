"""Hostile specs: every one is refused (or fails cleanly), with no side effect, within seconds.

Each file in hostile/ holds one attack and says what it tries in a leading
comment. Header directives (read by `_attack`):

    # expect: E201 E202   check must refuse with one of these codes
    # expect: run-error   check may accept; run must fail with a PovdslError
    # hole: reason        a known hole: the test is xfail(strict=True) until fixed
    # hole(run): reason   the same, for the run stage only
    # generate: NAME      the body is built by GENERATORS[NAME] (huge inputs)
    # setup: symlink      the project gets escape -> ../outside
    # isolate             run in a subprocess with a time and memory cap (known hangs)

Every code-execution attempt targets the path MARKER, replaced by a file in
the test's project folder; the marker must never exist afterwards.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import povdsl
from povdsl.tools.cli import main
from povdsl.errors import PovdslError, SpecError
from povdsl.pipeline import load_plan, run

HOSTILE = Path(__file__).parent / "hostile"
LIMIT = 5.0  # seconds; a safety bound, not a benchmark
HARD_KILL = LIMIT + 4.0  # isolated children: interpreter start-up and imports on top of LIMIT
MEMORY_CAP = 3 * 1024**3  # bytes of address space for isolated children

DATA_LINE = 'data d = "d.csv" panel(hh, year)\n'

GENERATORS = {
    "nest_parens": lambda: "let a = " + "(" * 100_000 + "x" + ")" * 100_000 + "\n",
    "nest_escaped_quote": lambda: 'let a = "\\"" + ' + "(" * 5_000 + "x" + ")" * 5_000 + "\n",
    "nest_negate": lambda: "let a = " + "- " * 5_000 + "x\n",
    "nest_not": lambda: "let a = " + "not " * 5_000 + "x\n",
    "long_sum": lambda: DATA_LINE + "model m: y ~ " + " + ".join(["x"] * 2_000) + " | ols\n",
    "power_chain": lambda: "let a = " + "**".join(["2"] * 3_000) + "\n",
    "size_10mb": lambda: "let a = 1\n" * 1_000_000,
    "decl_million": lambda: "".join(f"let a{i} = 1\n" for i in range(1_000_000)),
    "decl_100k": lambda: "".join(f"let a{i} = 1\n" for i in range(100_000)),
    "comments_20k": lambda: "".join(f"let a{i} = 1 # c\n" for i in range(20_000)) + 'let z = __import__("os")\n',
    "broken_40k": lambda: "let a = )\n" * 40_000,
    "long_name": lambda: DATA_LINE + "model m: y ~ " + "z" * 3_000_000 + " | ols\n",
}


@dataclass(frozen=True)
class Attack:
    path: Path
    expect: frozenset[str]  # diagnostic codes, or {"run-error"}
    hole: str | None
    hole_run_only: bool
    generate: str | None
    setup: str | None
    isolate: bool

    @property
    def name(self) -> str:
        return self.path.stem


def _attack(path: Path) -> Attack:
    head = [line[1:].strip() for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    fields: dict[str, str] = {}
    for line in head:
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    assert "attack" in fields, f"{path.name}: the first comment must say what the attack tries"
    hole_key = "hole" if "hole" in fields else "hole(run)" if "hole(run)" in fields else None
    return Attack(
        path=path,
        expect=frozenset(fields["expect"].split()),
        hole=fields.get(hole_key) if hole_key else None,
        hole_run_only=hole_key == "hole(run)",
        generate=fields.get("generate"),
        setup=fields.get("setup"),
        isolate="isolate" in fields,
    )


ATTACKS = [_attack(p) for p in sorted(HOSTILE.glob("*.pov"))]


def _params(stage: str, *, skip_isolated: bool = False):
    out = []
    for a in ATTACKS:
        marks = []
        if a.hole and (stage == "run" or not a.hole_run_only):
            marks.append(pytest.mark.xfail(strict=True, reason=f"hole: {a.hole}"))
        if a.isolate:
            marks.append(pytest.mark.slow)
        if skip_isolated and a.isolate:
            continue
        out.append(pytest.param(a, id=a.name, marks=marks))
    return out


# ---------------------------------------------------------------- project


@pytest.fixture
def project(tmp_path) -> Path:
    """A project folder with data and weights, and an outside folder next to it."""
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / ".povdsl-root").write_text("")
    rng = np.random.default_rng(0)
    n_units, years = 30, (2004, 2005, 2006)
    rows = [(u, t, u % 5, float(rng.normal()), float(rng.normal())) for u in range(n_units) for t in years]
    pd.DataFrame(rows, columns=["hh", "year", "county", "y", "x"]).to_csv(proj / "d.csv", index=False)
    pd.DataFrame([(a, b, 1.0 + abs(a - b)) for a in range(5) for b in range(5) if a != b], columns=["o", "dd", "v"]).to_csv(proj / "w.csv", index=False)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text("hh,year,y,x\n1,2004,1,1\n")
    return proj


def _install(attack: Attack, proj: Path) -> tuple[Path, Path]:
    """Write the attack into the project; returns (spec path, marker path)."""
    marker = proj / "MARKER"
    text = attack.path.read_text(encoding="utf-8")
    if attack.generate:
        header = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
        text = header + GENERATORS[attack.generate]()
    text = text.replace("MARKER", str(marker))
    if attack.setup == "symlink":
        (proj / "escape").symlink_to(proj.parent / "outside", target_is_directory=True)
    spec = proj / f"{attack.name}.pov"
    spec.write_text(text, encoding="utf-8")
    return spec, marker


# ---------------------------------------------------------------- attempts

_CHILD = r"""
import json, sys, time
from povdsl.errors import PovdslError, SpecError
from povdsl.pipeline import load_plan, run
path, stage = sys.argv[1], sys.argv[2]
started = time.monotonic()
try:
    load_plan(path) if stage == "check" else run(path)
    out = {"outcome": "ok"}
except SpecError as exc:
    out = {"outcome": "SpecError", "codes": [d.code for d in exc.diagnostics], "text": str(exc)[:5000]}
except PovdslError as exc:
    out = {"outcome": "PovdslError", "text": str(exc)[:5000]}
except BaseException as exc:
    out = {"outcome": type(exc).__name__, "text": str(exc)[:1000]}
out["elapsed"] = time.monotonic() - started
print(json.dumps(out))
"""


def _cap_memory():  # runs in the child before exec
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def _attempt(spec: Path, stage: str, isolate: bool) -> dict:
    """Check or run a spec; report outcome, codes, text and elapsed seconds."""
    if isolate:
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        try:
            done = subprocess.run(
                [sys.executable, "-c", _CHILD, str(spec), stage],
                capture_output=True, text=True, timeout=HARD_KILL, preexec_fn=_cap_memory, env=env, cwd=spec.parent,
            )
        except subprocess.TimeoutExpired:
            return {"outcome": "timeout", "elapsed": float("inf"), "text": ""}
        lines = done.stdout.strip().splitlines()
        if not lines:
            return {"outcome": f"died (exit {done.returncode})", "elapsed": float("inf"), "text": done.stderr[-2000:]}
        return json.loads(lines[-1])
    started = time.monotonic()
    try:
        load_plan(spec) if stage == "check" else run(spec, spec.parent / "tables")
        out = {"outcome": "ok"}
    except SpecError as exc:
        out = {"outcome": "SpecError", "codes": [d.code for d in exc.diagnostics], "text": str(exc)}
    except PovdslError as exc:
        out = {"outcome": "PovdslError", "text": str(exc)}
    out["elapsed"] = time.monotonic() - started
    return out


def _assert_refused(result: dict, attack: Attack, spec: Path):
    assert result["outcome"] == "SpecError", f"{attack.name}: expected a refusal, got {result['outcome']}: {result.get('text', '')[:300]}"
    assert attack.expect & set(result["codes"]), f"{attack.name}: expected one of {sorted(attack.expect)}, got {result['codes']}"
    assert re.search(re.escape(str(spec)) + r":\d+:\d+: error\[E\d{3}\]", result["text"]), "the diagnostic must name file:line:col"


# ------------------------------------------------------------------ tests


def test_corpus_is_large_enough():
    """At least 30 attacks, each with a one-line description and an expectation."""
    assert len(ATTACKS) >= 30
    assert all(a.expect for a in ATTACKS)


@pytest.mark.parametrize("attack", _params("check"))
def test_check_refuses(attack, project):
    """`check` refuses the spec with a located diagnostic, touches nothing, and is quick."""
    spec, marker = _install(attack, project)
    result = _attempt(spec, "check", attack.isolate)
    assert not marker.exists(), "a spec caused a side effect"
    assert result["elapsed"] < LIMIT, f"check took {result['elapsed']:.1f} s ({result['outcome']})"
    if attack.expect == {"run-error"}:
        assert result["outcome"] in ("ok", "SpecError"), result
    else:
        _assert_refused(result, attack, spec)


@pytest.mark.parametrize("attack", _params("run"))
def test_run_refuses(attack, project):
    """`povdsl.run` fails cleanly (a PovdslError), writes no table, touches nothing, and is quick."""
    spec, marker = _install(attack, project)
    result = _attempt(spec, "run", attack.isolate)
    assert not marker.exists(), "a spec caused a side effect"
    assert result["elapsed"] < LIMIT, f"run took {result['elapsed']:.1f} s ({result['outcome']})"
    if attack.expect == {"run-error"}:
        assert result["outcome"] in ("SpecError", "PovdslError"), result
    else:
        _assert_refused(result, attack, spec)
    assert not (project / "tables").exists() or not any((project / "tables").iterdir())


@pytest.mark.parametrize("attack", [p for p in _params("check", skip_isolated=True) if p.values[0].expect != {"run-error"}])
def test_cli_check_exits_1(attack, project, capsys):
    """`povdsl check FILE` exits 1 and prints file:line:col, never a traceback."""
    spec, marker = _install(attack, project)
    started = time.monotonic()
    status = main(["check", str(spec)])
    elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    assert status == 1
    assert re.search(re.escape(str(spec)) + r":\d+:\d+: error\[E\d{3}\]", err)
    assert "Traceback" not in err
    assert not marker.exists()
    assert elapsed < LIMIT


# ------------------------------------------------------------ povdsl.fit

FIT_ATTACKS = [
    ('y ~ x + __import__("os").system("touch MARKER") | ols', {"E013"}),
    ("y ~ __import__('os').system('touch MARKER') | ols", {"E011"}),
    ('eval("open(\'MARKER\', \'w\')") ~ x | ols', {"E202"}),
    ('y ~ I(open("MARKER", "w")) | ols', {"E202"}),
    ('y ~ log(exec("open(\'MARKER\', \'w\')")) | ols', {"E202"}),
    ('y ~ C(__class__) | ols', {"E201"}),
    ('y ~ x | ols where exec("open(\'MARKER\', \'w\')") == 0', {"E202"}),
    ("y ~ x | fe(__class__)", {"E201"}),
    ('y ~ x | gmm(iv=__import__("os"))', {"E201"}),
    ("y ~ x | ols vcov cluster(__import__)", {"E201"}),
    ("y ~ x.__class__ | ols", {"E013"}),
    ("y ~ x[0] | ols", {"E011"}),
    ("y ~ `x` | ols", {"E011"}),
    # a second declaration smuggled into the model line: never reaches the checker
    ('y ~ x | ols\ndata e = "/etc/passwd" panel(hh, year)', {"E020"}),
    ('y ~ x | ols\nlet z = __import__("os")', {"E020", "E201"}),
]


def _frame(n_units: int = 20) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = [(u, t, float(rng.normal()), float(rng.normal())) for u in range(n_units) for t in (1, 2, 3)]
    return pd.DataFrame(rows, columns=["hh", "year", "y", "x"])


@pytest.mark.parametrize("line,codes", FIT_ATTACKS)
def test_fit_refuses(line, codes, tmp_path):
    """povdsl.fit refuses hostile model lines with a located diagnostic and no side effect."""
    marker = tmp_path / "MARKER"
    started = time.monotonic()
    with pytest.raises(SpecError) as info:
        povdsl.fit(line.replace("MARKER", str(marker)), _frame(), panel=("hh", "year"))
    assert time.monotonic() - started < LIMIT
    assert codes & {d.code for d in info.value.diagnostics}, str(info.value)
    assert re.search(r"<fit>:\d+:\d+: error\[E\d{3}\]", str(info.value))
    assert not marker.exists()


_FIT_CHILD = r"""
import sys, time, json
import numpy as np, pandas as pd, povdsl
from povdsl.errors import PovdslError
frame = pd.DataFrame({"hh": np.repeat(np.arange(20), 3), "year": np.tile([1, 2, 3], 20), "y": np.arange(60.0), "x": np.sin(np.arange(60.0))})
started = time.monotonic()
try:
    povdsl.fit(sys.argv[1], frame, panel=("hh", "year"))
    out = {"outcome": "ok"}
except PovdslError as exc:
    out = {"outcome": "PovdslError"}
except BaseException as exc:
    out = {"outcome": type(exc).__name__}
out["elapsed"] = time.monotonic() - started
print(json.dumps(out))
"""


@pytest.mark.slow
def test_fit_exponent_tower_fails_fast():
    """An exponent tower through povdsl.fit fails with a PovdslError within seconds."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    try:
        done = subprocess.run([sys.executable, "-c", _FIT_CHILD, "y ~ I(x + 2**2**2**2**99) | ols"], capture_output=True, text=True,
                              timeout=HARD_KILL, preexec_fn=_cap_memory, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail("povdsl.fit did not finish")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["outcome"] == "PovdslError" and result["elapsed"] < LIMIT, result


# ------------------------------------------------------ hostile data columns

HOSTILE_COLUMNS = [
    'x` + __import__("os").system("touch MARKER") + `y',
    "`x`",
    'a"b',
    "a'b",
    "__class__",
    "x)+eval(\"open('MARKER','w')\")+(x",
    "W(x, w)",
    "{open('MARKER','w')}",
]


def test_hostile_csv_columns_are_inert(project):
    """A CSV whose column names carry code: unused columns are harmless, the model fits, nothing runs."""
    marker = project / "MARKER"
    frame = pd.read_csv(project / "d.csv")
    for i, name in enumerate(HOSTILE_COLUMNS):
        frame[name.replace("MARKER", str(marker))] = float(i)
    frame.to_csv(project / "hostile.csv", index=False)
    spec = project / "s.pov"
    spec.write_text('data d = "hostile.csv" panel(hh, year)\nmodel m: y ~ x | ols\n')
    started = time.monotonic()
    out = run(spec)
    assert time.monotonic() - started < LIMIT
    assert list(out.results["m"].params.index) == ["Intercept", "x"]
    assert not marker.exists()


def test_hostile_column_cannot_be_named_in_a_spec(project):
    """The spec language has no syntax to name a column outside [A-Za-z_][A-Za-z0-9_]*."""
    (project / "h.csv").write_text('hh,year,y,x,"x` + __import__(""os"").system(""touch M"") + `y"\n1,2004,1,1,1\n')
    spec = project / "s.pov"
    spec.write_text('data d = "h.csv" panel(hh, year)\nmodel m: y ~ `x` + __import__("os").system("touch M") + `y` | ols\n')
    with pytest.raises(SpecError) as info:
        load_plan(spec)
    assert {d.code for d in info.value.diagnostics} & {"E011", "E013"}
    assert not (project / "M").exists()


def test_fit_hostile_dataframe_columns_are_inert(tmp_path):
    """povdsl.fit with hostile column names in the frame: the model fits, nothing runs."""
    marker = tmp_path / "MARKER"
    frame = _frame()
    for i, name in enumerate(HOSTILE_COLUMNS):
        frame[name.replace("MARKER", str(marker))] = float(i)
    result = povdsl.fit("y ~ x | ols", frame, panel=("hh", "year"))
    assert list(result.params.index) == ["Intercept", "x"]
    assert not marker.exists()


@pytest.mark.parametrize("name", ["lambda", "print", "open", "eval", "exec", "None", "True", "yield"])
def test_python_words_as_column_names_are_plain_data(name, tmp_path):
    """Columns named like Python builtins or keywords are data, never resolved as Python objects."""
    frame = _frame()
    frame[name] = frame["x"] * 2 + np.linspace(0, 1, len(frame))
    try:
        result = povdsl.fit(f"y ~ {name} | ols", frame, panel=("hh", "year"))
    except PovdslError:
        return  # refusing is fine too
    assert name in result.params.index


def test_padded_header_fails_cleanly(project):
    """A header ' x' (leading space) is either the column x everywhere or refused; never a raw formulaic error."""
    frame = pd.read_csv(project / "d.csv").rename(columns={"x": " x"})
    frame.to_csv(project / "p.csv", index=False)
    spec = project / "s.pov"
    spec.write_text('data d = "p.csv" panel(hh, year)\nmodel m: y ~ x | ols\n')
    try:
        run(spec)
    except PovdslError:
        pass


def test_column_named_like_a_lag_cannot_spoof_it():
    """A column called 'L1.x' must not stand in for L(x, 1)."""
    clean = _frame()
    spoofed = clean.assign(**{"L1.x": np.random.default_rng(7).normal(size=len(clean))})
    expected = povdsl.fit("y ~ L(x, 1) | ols", clean, panel=("hh", "year")).params
    try:
        got = povdsl.fit("y ~ L(x, 1) | ols", spoofed, panel=("hh", "year")).params
    except PovdslError:
        return  # refusing the clash is fine
    pd.testing.assert_series_equal(got, expected)


# ----------------------------------------------------------------- LaTeX


def test_latex_injection_in_labels_is_escaped(project):
    """Titles, model labels, term labels and notes reach LaTeX escaped: no \\input, \\write18, ^^ tricks."""
    spec = project / "s.pov"
    spec.write_text(
        'data d = "d.csv" panel(hh, year)\n'
        'model m "\\\\input{/etc/passwd}": y ~ x | ols\n'
        'table t "\\\\immediate\\\\write18{touch MARKER}" = m\n'
        '  label x = "$\\\\input{/etc/passwd}$ ^^5cinput"\n'
        '  note "\\\\write18{id} \\\\catcode`\\\\^^5c=0 \\\\def\\\\x{}"\n'
    )
    latex = run(spec, formats=("latex",), standalone=True).tables["t"]["latex"]
    for bad in ("\\input{", "\\write18", "\\immediate", "^^5c", "\\catcode", "\\def\\x"):
        assert bad not in latex, bad


def test_pdflatex_runs_without_shell_escape(tmp_path, monkeypatch):
    """compile_pdf passes -no-shell-escape and reads no stdin."""
    from povdsl.render import pdf as latex

    seen = {}

    def fake_run(argv, **kwargs):
        seen["argv"], seen["kwargs"] = argv, kwargs
        return subprocess.CompletedProcess(argv, 0, b"", b"")

    monkeypatch.setattr(latex, "pdflatex_path", lambda: "/usr/bin/pdflatex")
    monkeypatch.setattr(latex.subprocess, "run", fake_run)
    tex = tmp_path / "t.tex"
    tex.write_text("\\documentclass{article}\\begin{document}x\\end{document}")
    latex.compile_pdf(tex)
    assert "-no-shell-escape" in seen["argv"]
    assert "-shell-escape" not in seen["argv"]
    assert seen["kwargs"].get("stdin") == subprocess.DEVNULL
    assert seen["kwargs"].get("timeout")


# ------------------------------------------------------------- spec file size


def test_oversized_file_is_not_read_whole(tmp_path):
    """A 256 MB sparse spec file is refused without reading it into memory."""
    import tracemalloc

    spec = tmp_path / "huge.pov"
    with open(spec, "wb") as fh:
        fh.truncate(256 * 1024**2)  # sparse: costs no disk
    tracemalloc.start()
    try:
        with pytest.raises(SpecError):
            load_plan(spec)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024**2, f"peak {peak / 1024**2:.0f} MB"
