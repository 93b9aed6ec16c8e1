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
