"""Hostile specs: every one is refused (or fails cleanly), with no side effect, within a CPU and memory ceiling.

Each file in hostile/ holds one attack and says what it tries in a leading
comment. Header directives (read by `_attack`):

    # expect: E201 E202   check must refuse with one of these codes
    # expect: run-error   check may accept; run must fail with a PovdslError
    # expect: ok          check accepts (attacks on later passes, e.g. diff)
    # cpu: 2              ceiling on the child's CPU seconds (default CPU_CEILING)
    # rss: 300            ceiling on the growth of the child's peak RSS, in MB (default RSS_CEILING)
    # stages: check diff  which passes the attack is run through (default: check run)
    # diff-old: NAME      diff's old side is GENERATORS[NAME] (default: BENIGN)
    # hole: reason        a known hole: the test is xfail(strict=True) until fixed
    # hole(run): reason   the same, for one stage only (run, check or diff)
    # generate: NAME      the body is built by GENERATORS[NAME] (huge inputs)
    # setup: symlink      the project gets escape -> ../outside
    # alias: TEXT         FORMULAIC_ALIAS in the body becomes formulaic's alias of the backticked name TEXT

Adding an attack with its own ceiling is one file with these lines. Every
attempt runs in a forked child (`_measured`): the ceilings are the child's CPU
time and peak RSS as the kernel counts them (`os.wait4`), never wall time, so
a loaded machine does not fail them; RLIMIT_CPU and RLIMIT_AS kill a child
that would run away. The stage `diff` runs `povdsl diff OLD ATTACK`, which
must refuse an unsafe spec (exit 2, located diagnostic) or compare it.

Every code-execution attempt targets the path MARKER, replaced by a file in
the test's project folder; the marker must never exist afterwards.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import resource
import select
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import povdsl
from povdsl.errors import PovdslError, SpecError
from povdsl.pipeline import load_plan, run
from povdsl.tools.cli import main

HOSTILE = Path(__file__).parent / "hostile"
CPU_CEILING = 5.0  # CPU seconds of the child; a safety bound, not a benchmark
RSS_CEILING = 512  # MB of peak-RSS growth over the parent at fork
HANG_GUARD = 120.0  # wall seconds before a child that burns no CPU (a deadlock) is killed; never a measurement

DATA_LINE = 'data d = "d.csv" panel(hh, year)\n'
BENIGN = DATA_LINE + "model m: y ~ x | ols\n"

GENERATORS: dict[str, Callable[[], str]] = {
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
    "unknown_names_3000": lambda: DATA_LINE + "".join(f"let known{i} = x + {i}\n" for i in range(3_000))
    + "".join(f"let other{i} = knwn{i}\n" for i in range(3_000)),
    "macros_doubling_60": lambda: DATA_LINE + "terms t0 = x + county\n" + "".join(f"terms t{i} = t{i - 1} + t{i - 1}\n" for i in range(1, 61)) + "model m: y ~ t60 | ols\n",
    "macros_square_60": lambda: DATA_LINE + "terms t0 = x + county\n" + "".join(f"terms t{i} = t{i - 1} * t{i - 1}\n" for i in range(1, 61)) + "model m: y ~ t60 | ols\n",
    "macros_chain_1000": lambda: DATA_LINE + "terms t0 = x\n" + "".join(f"terms t{i} = t{i - 1} + x\n" for i in range(1, 1000)) + "model m: y ~ t999 | ols\n",
    "lets_3000": lambda: DATA_LINE + "".join(f"let a{i} = x + {i}\n" for i in range(3_000)),
    "lets_3000_renamed": lambda: DATA_LINE + "".join(f"let b{i} = x + {i}\n" for i in reversed(range(3_000))),
    "sweeps_under_limit_200": lambda: DATA_LINE
    + "".join(f"model m{i} for a in [{', '.join(map(str, range(100)))}] for b in [{', '.join(map(str, range(99)))}]: y ~ x | ols where year == a + b\n" for i in range(200)),
    "cumulative_9000": lambda: DATA_LINE + "model m for c in cumulative(" + ", ".join(f"x{i}" for i in range(9_000)) + "): y ~ c | ols\n",
}


@dataclass(frozen=True)
class Attack:
    path: Path
    expect: frozenset[str]  # diagnostic codes, or {"run-error"}, or {"ok"}
    hole: str | None
    hole_stages: frozenset[str]
    generate: str | None
    setup: str | None
    cpu: float  # CPU seconds
    rss: int  # MB of peak-RSS growth
    stages: frozenset[str]
    diff_old: str | None
    alias: str | None = None

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
    assert "isolate" not in fields, f"{path.name}: every attack runs in a child now; drop '# isolate'"
    stages = frozenset(fields.get("stages", "check run").split())
    assert stages <= {"check", "run", "diff"}, f"{path.name}: unknown stage in {sorted(stages)}"
    hole_key = next((k for k in fields if k == "hole" or re.fullmatch(r"hole\((check|run|diff)\)", k)), None)
    hole_stages = stages if hole_key == "hole" else frozenset([hole_key[5:-1]]) if hole_key else frozenset()
    return Attack(
        path=path,
        expect=frozenset(fields["expect"].split()),
        hole=fields.get(hole_key) if hole_key else None,
        hole_stages=hole_stages,
        generate=fields.get("generate"),
        setup=fields.get("setup"),
        cpu=float(fields.get("cpu", CPU_CEILING)),
        rss=int(fields.get("rss", RSS_CEILING)),
        stages=stages,
        diff_old=fields.get("diff-old"),
        alias=fields.get("alias"),
    )


ATTACKS = [_attack(p) for p in sorted(HOSTILE.glob("*.pov"))]


def _params(stage: str):
    out = []
    for a in ATTACKS:
        if stage not in a.stages:
            continue
        marks = []
        if stage in a.hole_stages:
            marks.append(pytest.mark.xfail(strict=True, reason=f"hole: {a.hole}"))
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
    pd.DataFrame([(c, t, float(rng.normal())) for c in range(5) for t in years], columns=["county", "year", "g"]).to_csv(proj / "r.csv", index=False)
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
    if attack.alias:  # formulaic's alias of a backticked name, computed after MARKER is in place
        target = attack.alias.replace("MARKER", str(marker))
        text = text.replace("FORMULAIC_ALIAS", "_formulaic_" + "".join(c if re.match(r"\w", c) else "_" for c in target))
    if attack.setup == "symlink":
        (proj / "escape").symlink_to(proj.parent / "outside", target_is_directory=True)
    spec = proj / f"{attack.name}.pov"
    spec.write_text(text, encoding="utf-8")
    return spec, marker


# ------------------------------------------------------- measured children


@dataclass(frozen=True)
class Usage:
    """What the kernel counted for one child: CPU seconds and peak-RSS growth in MB."""

    cpu: float
    rss: float

    def within(self, cpu: float, rss: float) -> bool:
        return self.cpu < cpu and self.rss < rss

    def __str__(self) -> str:
        return f"{self.cpu:.2f} CPU s, +{self.rss:.0f} MB peak RSS"


def _status_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise LookupError(key)


def _measured(fn: Callable[..., dict], *args: Any, cpu: float = CPU_CEILING, rss: float = RSS_CEILING) -> tuple[dict, Usage]:
    """Run fn(*args) in a forked child; return its JSON result and the child's CPU time and peak-RSS growth.

    A fork shares this process's imports, so the child pays for the attack only.
    The child's peak RSS counts from its RSS right after the fork (pages it
    shares with this process, as the kernel maps them), which it reports and
    which is subtracted.
    RLIMIT_CPU (just over the ceiling) and RLIMIT_AS (room over it) end a runaway
    child; the measurement itself is the kernel's, from wait4.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            rss_at_fork = _status_kb("VmRSS")
            os.close(read_end)
            hard_cpu = math.ceil(cpu) + 1
            resource.setrlimit(resource.RLIMIT_CPU, (hard_cpu, hard_cpu + 1))
            address_space = _status_kb("VmSize") * 1024 + int(2 * rss + 512) * 1024**2
            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
            try:
                out = fn(*args)
            except BaseException as exc:
                out = {"outcome": type(exc).__name__, "text": str(exc)[:2000]}
            payload = json.dumps({"result": out, "rss_at_fork": rss_at_fork}).encode()
        except BaseException as exc:
            payload = json.dumps({"result": {"outcome": f"child error {type(exc).__name__}", "text": str(exc)[:2000]}, "rss_at_fork": 0}).encode()
        try:
            with os.fdopen(write_end, "wb") as fh:
                fh.write(payload)
        finally:
            os._exit(0)
    os.close(write_end)
    chunks = []
    with os.fdopen(read_end, "rb") as fh:
        while True:
            ready, _, _ = select.select([fh], [], [], HANG_GUARD)
            if not ready:
                os.kill(pid, signal.SIGKILL)
                break
            chunk = os.read(fh.fileno(), 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    _, status, usage = os.wait4(pid, 0)
    cpu_seconds = usage.ru_utime + usage.ru_stime
    if os.WIFSIGNALED(status):
        return {"outcome": f"killed by {signal.Signals(os.WTERMSIG(status)).name}", "text": ""}, Usage(cpu_seconds, usage.ru_maxrss / 1024)
    if not chunks:
        return {"outcome": "hung (no CPU, no answer)", "text": ""}, Usage(cpu_seconds, usage.ru_maxrss / 1024)
    answer = json.loads(b"".join(chunks))
    return answer["result"], Usage(cpu_seconds, max(0.0, (usage.ru_maxrss - answer["rss_at_fork"]) / 1024))


def _stage(spec: str, stage: str) -> dict:
    """The child's work: check or run a spec; report outcome, codes and text."""
    try:
        load_plan(spec) if stage == "check" else run(spec, Path(spec).parent / "tables")
        return {"outcome": "ok"}
    except SpecError as exc:
        return {"outcome": "SpecError", "codes": [d.code for d in exc.diagnostics], "text": str(exc)[:5000]}
    except PovdslError as exc:
        return {"outcome": "PovdslError", "text": str(exc)[:5000]}


def _cli(*argv: str) -> dict:
    """The child's work: the command line, with what it prints."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return {"outcome": "exit", "status": status, "out": out.getvalue()[:5000], "err": err.getvalue()[:5000]}


def _attempt(attack: Attack, spec: Path, stage: str) -> dict:
    """Check or run the attack in a child; asserts the CPU and memory ceilings."""
    result, used = _measured(_stage, str(spec), stage, cpu=attack.cpu, rss=attack.rss)
    assert used.within(attack.cpu, attack.rss), f"{attack.name} ({stage}): {used}, ceiling {attack.cpu} CPU s, {attack.rss} MB ({result['outcome']})"
    return result


def _assert_refused(result: dict, attack: Attack, spec: Path):
    assert result["outcome"] == "SpecError", f"{attack.name}: expected a refusal, got {result['outcome']}: {result.get('text', '')[:300]}"
    assert attack.expect & set(result["codes"]), f"{attack.name}: expected one of {sorted(attack.expect)}, got {result['codes']}"
    assert re.search(re.escape(str(spec)) + r":\d+:\d+: error\[E\d{3}\]", result["text"]), "the diagnostic must name file:line:col"


# ------------------------------------------------------------------ tests


def test_corpus_is_large_enough():
    """At least 30 attacks, each with a one-line description and an expectation."""
    assert len(ATTACKS) >= 30
    assert all(a.expect for a in ATTACKS)


def test_ceilings_measure_the_child():
    """The harness sees a child's CPU time and memory: a busy child and a 300 MB child exceed small ceilings."""

    def spin() -> dict:
        end = time.process_time() + 0.5
        while time.process_time() < end:
            pass
        return {"outcome": "ok"}

    def grow() -> dict:
        block = np.ones(300 * 1024**2 // 8)
        return {"outcome": "ok", "sum": float(block[:10].sum())}

    _, busy = _measured(spin)
    _, big = _measured(grow)
    _, idle = _measured(lambda: {"outcome": "ok"})
    assert 0.45 < busy.cpu < 3.0 and busy.rss < 100, busy
    assert big.rss > 250, big
    assert idle.cpu < 0.45 and idle.rss < 100, idle


@pytest.mark.parametrize("attack", _params("check"))
def test_check_refuses(attack, project):
    """`check` refuses the spec with a located diagnostic, touches nothing, and stays under its ceilings."""
    spec, marker = _install(attack, project)
    result = _attempt(attack, spec, "check")
    assert not marker.exists(), "a spec caused a side effect"
    if attack.expect == {"run-error"}:
        assert result["outcome"] in ("ok", "SpecError"), result
    elif attack.expect == {"ok"}:
        assert result["outcome"] == "ok", result
    else:
        _assert_refused(result, attack, spec)


@pytest.mark.parametrize("attack", _params("run"))
def test_run_refuses(attack, project):
    """`povdsl.run` fails cleanly (a PovdslError), writes no table, touches nothing, and stays under its ceilings."""
    spec, marker = _install(attack, project)
    result = _attempt(attack, spec, "run")
    assert not marker.exists(), "a spec caused a side effect"
    if attack.expect == {"run-error"}:
        assert result["outcome"] in ("SpecError", "PovdslError"), result
    else:
        _assert_refused(result, attack, spec)
    assert not (project / "tables").exists() or not any((project / "tables").iterdir())


@pytest.mark.parametrize("attack", [p for p in _params("check") if p.values[0].expect - {"run-error", "ok"}])
def test_cli_check_exits_1(attack, project):
    """`povdsl check FILE` exits 1 and prints file:line:col, never a traceback."""
    spec, marker = _install(attack, project)
    result, used = _measured(_cli, "check", str(spec), cpu=attack.cpu, rss=attack.rss)
    assert used.within(attack.cpu, attack.rss), f"{used} ({result['outcome']})"
    assert result.get("status") == 1, result
    assert re.search(re.escape(str(spec)) + r":\d+:\d+: error\[E\d{3}\]", result["err"])
    assert "Traceback" not in result["err"]
    assert not marker.exists()


@pytest.mark.parametrize("attack", _params("diff"))
def test_diff_refuses_or_compares(attack, project):
    """`povdsl diff OLD ATTACK` refuses what check refuses (exit 2, located), else compares; within its ceilings."""
    spec, marker = _install(attack, project)
    old = project / "old.pov"
    old.write_text(GENERATORS[attack.diff_old]() if attack.diff_old else BENIGN, encoding="utf-8")
    result, used = _measured(_cli, "diff", str(old), str(spec), cpu=attack.cpu, rss=attack.rss)
    assert used.within(attack.cpu, attack.rss), f"{attack.name} (diff): {used}, ceiling {attack.cpu} CPU s, {attack.rss} MB ({result})"
    assert not marker.exists()
    assert "Traceback" not in result.get("err", "") and result["outcome"] == "exit", result
    if attack.expect == {"ok"}:
        assert result["status"] in (0, 1), result
    else:
        assert result["status"] == 2, result
        assert re.search(re.escape(str(spec)) + r":\d+:\d+: error\[E\d{3}\]", result["err"]), result["err"]


@pytest.mark.parametrize("attack", [p for p in _params("diff") if p.values[0].expect != {"ok"}])
def test_git_diff_driver_refuses_unsafe_specs(attack, project):
    """As git's external diff driver, an unsafe side prints the checker's diagnostics and a line diff, exit 0 (git's rule), within the ceilings."""
    spec, marker = _install(attack, project)
    old = project / "old.pov"
    old.write_text(BENIGN, encoding="utf-8")
    # git passes the path from the repository root, its working folder; here the absolute path plays both parts
    argv = ["diff", "--git-external", str(spec), str(old), "0" * 40, "100644", str(spec), "1" * 40, "100644"]
    result, used = _measured(_cli, *argv, cpu=attack.cpu, rss=attack.rss)
    assert used.within(attack.cpu, attack.rss), f"{attack.name} (git driver): {used} ({result})"
    assert result.get("status") == 0, result
    assert re.search(r"error\[E\d{3}\]", result["out"]) and "+++ b/" in result["out"], result["out"]
    assert not marker.exists()


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
    ("y ~ x[0] | ols", {"E011", "E013"}),
    ("y ~ `x` | ols", {"E011"}),
    # a second declaration smuggled into the model line: never reaches the checker
    ('y ~ x | ols\ndata e = "/etc/passwd" panel(hh, year)', {"E020"}),
    ('y ~ x | ols\nlet z = __import__("os")', {"E020", "E201"}),
]


def _frame(n_units: int = 20) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = [(u, t, float(rng.normal()), float(rng.normal())) for u in range(n_units) for t in (1, 2, 3)]
    return pd.DataFrame(rows, columns=["hh", "year", "y", "x"])


def _fit_outcome(line: str, frame: pd.DataFrame) -> dict:
    """The child's work: povdsl.fit on a model line; outcome, codes and text."""
    try:
        povdsl.fit(line, frame, panel=("hh", "year"))
        return {"outcome": "ok"}
    except SpecError as exc:
        return {"outcome": "SpecError", "codes": [d.code for d in exc.diagnostics], "text": str(exc)[:5000]}
    except PovdslError as exc:
        return {"outcome": "PovdslError", "text": str(exc)[:5000]}


@pytest.mark.parametrize("line,codes", FIT_ATTACKS)
def test_fit_refuses(line, codes, tmp_path):
    """povdsl.fit refuses hostile model lines with a located diagnostic and no side effect."""
    marker = tmp_path / "MARKER"
    result, used = _measured(_fit_outcome, line.replace("MARKER", str(marker)), _frame())
    assert used.within(CPU_CEILING, RSS_CEILING), used
    assert result["outcome"] == "SpecError", result
    assert codes & set(result["codes"]), result["text"]
    assert re.search(r"<fit>:\d+:\d+: error\[E\d{3}\]", result["text"])
    assert not marker.exists()


def test_fit_exponent_tower_fails_fast():
    """An exponent tower through povdsl.fit fails with a PovdslError within its CPU and memory ceilings."""
    frame = pd.DataFrame({"hh": np.repeat(np.arange(20), 3), "year": np.tile([1, 2, 3], 20), "y": np.arange(60.0), "x": np.sin(np.arange(60.0))})
    result, used = _measured(_fit_outcome, "y ~ I(x + 2**2**2**2**99) | ols", frame)
    assert used.within(CPU_CEILING, RSS_CEILING), used
    assert result["outcome"] in ("SpecError", "PovdslError"), result


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


def _run_params(spec: str) -> dict:
    """The child's work: run a spec; the first model's parameter names."""
    out = run(spec)
    return {"outcome": "ok", "params": list(next(iter(out.results.values())).params.index)}


def test_hostile_csv_columns_are_inert(project):
    """A CSV whose column names carry code: unused columns are harmless, the model fits, nothing runs."""
    marker = project / "MARKER"
    frame = pd.read_csv(project / "d.csv")
    for i, name in enumerate(HOSTILE_COLUMNS):
        frame[name.replace("MARKER", str(marker))] = float(i)
    frame.to_csv(project / "hostile.csv", index=False)
    spec = project / "s.pov"
    spec.write_text('data d = "hostile.csv" panel(hh, year)\nmodel m: y ~ x | ols\n')
    result, used = _measured(_run_params, str(spec))
    assert used.within(CPU_CEILING, RSS_CEILING), used
    assert result == {"outcome": "ok", "params": ["Intercept", "x"]}, result
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
    """A header ' x' (leading space) is refused at the data line (E304, naming the column); never a raw formulaic error."""
    frame = pd.read_csv(project / "d.csv").rename(columns={"x": " x"})
    frame.to_csv(project / "p.csv", index=False)
    spec = project / "s.pov"
    spec.write_text('data d = "p.csv" panel(hh, year)\nmodel m: y ~ x | ols\n')
    with pytest.raises(SpecError) as info:
        run(spec, project / "tables")
    padded = [d for d in info.value.diagnostics if d.code == "E304"]
    assert padded, str(info.value)
    assert "' x'" in padded[0].message
    assert (padded[0].span.line, padded[0].span.col) == (1, 10)  # the data file's path
    assert "formulaic" not in str(info.value).lower() and "Traceback" not in str(info.value)
    assert not (project / "tables").exists()


def test_column_named_like_a_lag_cannot_spoof_it():
    """A column called 'L1.x' never stands in for L(x, 1): the clash is refused naming the column, or the true lag is used."""
    clean = _frame()
    noise = np.random.default_rng(7).normal(size=len(clean))
    spoofed = clean.assign(**{"L1.x": noise})
    expected = povdsl.fit("y ~ L(x, 1) | ols", clean, panel=("hh", "year")).params
    # the spoof would matter: the noise column gives other estimates than the true lag
    with_noise = povdsl.fit("y ~ noise | ols", clean.assign(noise=noise), panel=("hh", "year")).params
    assert not np.allclose(with_noise.to_numpy(), expected.to_numpy(), atol=1e-3)
    try:
        got = povdsl.fit("y ~ L(x, 1) | ols", spoofed, panel=("hh", "year")).params
    except PovdslError as exc:
        assert "'L1.x'" in str(exc) and "rename" in str(exc), str(exc)
    else:
        pd.testing.assert_series_equal(got, expected, rtol=1e-12)


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
