"""The spec tools start without the estimation half; the public names stay what they were."""

import subprocess
import sys

HEAVY = ("pandas", "numpy", "statsmodels", "linearmodels", "scipy", "formulaic", "jinja2", "matplotlib")


def _imported_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_parse_check_fmt_and_the_cli_import_no_estimation_library():
    loaded = _imported_after("import povdsl, povdsl.tools.cli, povdsl.check, povdsl.tools.fmt, povdsl.tools.explain, povdsl.check.specfile, povdsl.tools.diff")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_checking_the_paper_spec_imports_no_estimation_backend():
    code = "from pathlib import Path\nfrom povdsl.check.specfile import load_plan\nload_plan(Path('spec/zhejiang.pov'))"
    loaded = _imported_after(code)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_public_functions_survive_importing_the_modules_beside_them():
    import povdsl
    import povdsl.estimate.fitting
    import povdsl.pipeline
    from povdsl.api import fit, load, run
    from povdsl.data.weights import Weights
    from povdsl.estimate.result import Result

    assert (povdsl.fit, povdsl.load, povdsl.run, povdsl.Result, povdsl.Weights) == (fit, load, run, Result, Weights)
    assert set(povdsl.__all__) <= set(dir(povdsl))


def test_the_plotting_calls_load_matplotlib_only_when_called():
    loaded = _imported_after("import povdsl\nf = povdsl.coefplot\ng = povdsl.sweepplot")
    assert "matplotlib" not in loaded


def _modules_after_cli(*argv: str) -> set[str]:
    """Every module (full dotted names) a `povdsl ARGV` process has loaded when it exits."""
    probe = (
        "import runpy, sys\n"
        f"sys.argv = ['povdsl', *{list(argv)!r}]\n"
        "try:\n"
        "    runpy.run_module('povdsl.tools.cli', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(done.stderr.split())


def test_povdsl_check_cli_loads_no_backend_and_no_scipy_stats():
    """`povdsl check` stays cheap: the real CLI on the paper's spec, not only its imports."""
    loaded = _modules_after_cli("check", "spec/zhejiang.pov")
    heavy = {m for m in loaded if m.split(".")[0] in ("statsmodels", "linearmodels", "matplotlib", "pandas") or m.startswith("scipy.stats")}
    assert not heavy, sorted(heavy)[:10]


def test_the_run_pipeline_imports_no_backend_until_a_model_is_fitted():
    """Importing the pipeline (and the estimator registry) loads no adapter, backend or scipy.stats:
    each adapter module is imported by its registry entry on first use."""
    probe = (
        "import sys, povdsl.pipeline, povdsl.estimate.registry, povdsl.api\n"
        "print(' '.join(sorted(sys.modules)))"
    )
    loaded = set(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split())
    heavy = {m for m in loaded if m.split(".")[0] in ("statsmodels", "linearmodels", "matplotlib") or m.startswith(("scipy.stats", "povdsl.estimate.adapters."))}
    assert not heavy, sorted(heavy)[:10]


def test_povdsl_explain_loads_no_backend_adapter_or_scipy_optimizer():
    """Decision 63 for explain: the backend call it prints is text (estimate/calls.py), so the spatial and the
    paper's spec are explained without spreg, linearmodels, statsmodels, scipy.stats or scipy.optimize."""
    for spec in ("spec/zhejiang_spatial.pov", "spec/zhejiang.pov"):
        loaded = _modules_after_cli("explain", spec)
        heavy = {
            m for m in loaded
            if m.split(".")[0] in ("statsmodels", "linearmodels", "spreg", "libpysal", "pyfixest", "matplotlib")
            or m.startswith(("scipy.stats", "scipy.optimize", "povdsl.estimate.adapters", "povdsl.estimate.spatial"))
        }
        assert not heavy, (spec, sorted(heavy)[:10])

