"""The paper's analysis (Tables 1-7, Figures 1, 5, 6, 7) written by hand, as a careful economist would.

The anchor of `bench/paper_bench.py`: it reads the same CSVs as spec/zhejiang.pov,
builds the same variables (4-digit clusters with LQ >= 1.25 and >= 10 firms,
their inverse-travel-time spatial lag, county GDP ten years earlier and its lag,
economic density, the relative poverty lines), fits the same models with the
usual Python backends, and writes every table (coefficients with t statistics
and stars, or the significant industries of each sweep, or Model 3 across
control sets x weight matrices) and figure (PDF, SVG, PNG as the spec asks,
Figure 7 a specification curve). It imports no povdsl code.

Care taken, as one would for a paper: the cluster table is computed once per
digit level and the sweeps read its columns; each sweep's design is built once
and only the industry column changes (numpy arrays into statsmodels); the
first-stage F is read off linearmodels' first-stage regressions; the logits use
Newton's method; one BLAS thread. Fixed effects use linearmodels' PanelOLS
(entity-clustered, Stata's small-sample factor). The robustness multiverse
(Table 7, Figure 7) reuses Model 3's frame: each member only picks columns.

    python bench/handwritten_paper.py DATA_DIR OUT_DIR [--numbers numbers.json]
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd
from linearmodels.iv import IVGMM
from linearmodels.panel import PanelOLS
from statsmodels.discrete.discrete_model import Logit
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

CONTROLS = ["age", "edu", "gender", "pop", "land", "capital"]
# Table 7 / Figure 7: Model 3 across cumulative control sets x weight matrices (first choice slowest).
CONTROL_SETS = (("age, education, gender", CONTROLS[:3]), ("+ household size, land", CONTROLS[:5]), ("+ capital (Model 3's controls)", CONTROLS))
MATRICES = (("inverse travel time", "Wcluster"), ("five nearest, row-standardised", "Wcluster5"))


def cluster_table(census: pd.DataFrame, digits: int) -> pd.DataFrame:
    """County x year x industry: employment, firms, and whether the industry is a cluster there."""
    frame = census.assign(code=census.industry.str[:digits])
    table = frame.groupby(["county", "year", "code"], as_index=False)[["firms", "employment"]].sum()
    e = table.employment.astype(float)
    e_ct = table.groupby(["county", "year"]).employment.transform("sum")
    e_it = table.groupby(["year", "code"]).employment.transform("sum")
    e_t = table.groupby("year").employment.transform("sum")
    table["cluster"] = (e * e_t >= 1.25 * e_ct * e_it * (1 - 1e-12)) & (e_ct * e_it > 0) & (table.firms >= 10)
    return table


def stars(p: float) -> str:
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.10 else ""


def load(data: Path):
    hh = pd.read_csv(data / "households.csv")
    census = pd.read_csv(data / "census.csv", dtype={"industry": str})
    counties = pd.read_csv(data / "counties.csv")
    times = pd.read_csv(data / "traveltime.csv")
    names = pd.read_csv(data / "industries.csv", dtype={"code": str})
    matrix = times.pivot(index="origin", columns="destination", values="minutes")
    minutes = matrix.to_numpy()
    return hh, census, counties, {"traveltime": inverse(minutes), "nearest5": inverse(minutes, k=5)}, matrix.index, dict(zip(names.code, names.name))


def inverse(minutes: np.ndarray, k: int | None = None) -> np.ndarray:
    """w_ij = 1/minutes_ij off the diagonal; with k, each row keeps its k nearest and is row-standardised."""
    off = ~np.eye(len(minutes), dtype=bool)
    with np.errstate(divide="ignore"):
        w = np.where(off & (minutes > 0), 1.0 / minutes, 0.0)
    if k is None:
        return w
    nearest = np.argsort(np.where(off, minutes, np.inf), axis=1, kind="stable")[:, :k]
    kept = np.zeros_like(w)
    np.put_along_axis(kept, nearest, np.take_along_axis(w, nearest, axis=1), axis=1)
    return kept / kept.sum(axis=1, keepdims=True)


def build(hh, census, counties, matrices, regions):
    """The analysis frame: clusters, their spatial lag, instruments, density, poverty lines."""
    cells = pd.MultiIndex.from_product([regions, [2004, 2008]], names=["county", "year"])
    table = cluster_table(census, 4)
    cluster = table[table.cluster].groupby(["county", "year"]).size().reindex(cells, fill_value=0).astype(float)
    county = counties.set_index(["county", "year"]).reindex(cells)
    gdp_lag = county.gdp_lag10

    def spatial(values: pd.Series, w: np.ndarray) -> pd.Series:
        grid = values.unstack("year").reindex(regions)
        return pd.DataFrame(w @ grid.fillna(0).to_numpy(), index=regions, columns=grid.columns).stack()

    keys = pd.MultiIndex.from_arrays([hh.county, hh.year])
    hh["cluster"] = cluster.reindex(keys).to_numpy()
    hh["Wcluster"] = spatial(cluster, matrices["traveltime"]).reindex(keys).to_numpy()
    hh["Wcluster5"] = spatial(cluster, matrices["nearest5"]).reindex(keys).to_numpy()
    hh["gdp_lag10"] = gdp_lag.reindex(keys).to_numpy()
    hh["Wgdp"] = spatial(gdp_lag, matrices["traveltime"]).reindex(keys).to_numpy()
    hh["density"] = (county.gdp / county.area).reindex(keys).to_numpy()
    lines = {}
    for year in (2004, 2008):
        lines[year] = 0.5 * hh.loc[hh.year == year, "income"].mean()
        hh[f"poor{year % 100:02d}"] = np.where(hh.income.isna(), np.nan, (hh.income < lines[year]).astype(float))
    hh["lninc"] = np.log(hh.income)
    return hh, lines


def models(hh: pd.DataFrame) -> dict[str, dict]:
    """Tables 1-4: estimates, t statistics, p-values, fit statistics per model."""
    x_main = ["cluster", "Wcluster", *CONTROLS]
    out: dict[str, dict] = {}

    def keep(name, res, **stats):
        t = res.tvalues if hasattr(res, "tvalues") else res.tstats
        out[name] = {"params": res.params, "t": t, "p": res.pvalues, "nobs": int(res.nobs), **stats}

    for name, outcome, x in (("m1", "poor04", x_main), ("m2", "poor08", x_main), ("m5", "poor04", ["density", *CONTROLS])):
        d = hh.dropna(subset=[outcome, *x])
        res = Logit(d[outcome], d[x].assign(const=1.0)).fit(disp=0)
        keep(name, res, pseudo_r2=res.prsquared)
    for name, x in (("m3", x_main), ("m4", ["density", *CONTROLS])):
        p = hh.dropna(subset=["lninc", *x]).set_index(["household", "year"])
        res = PanelOLS(p.lninc, p[x], entity_effects=True).fit(cov_type="clustered", cluster_entity=True, group_debias=True)
        keep(name, res, r2_within=res.rsquared_within)
    for name, outcome, subset in (("m6", "lninc", None), ("m7", "poor04", None), ("m8", "lninc", 1.0), ("m9", "lninc", 0.0)):
        d = hh.dropna(subset=[outcome, *x_main, "gdp_lag10", "Wgdp"] + (["poor04"] if subset is not None else []))
        if subset is not None:
            d = d[d.poor04 == subset]
        res = IVGMM(d[outcome], d[CONTROLS].assign(const=1.0), d[["cluster", "Wcluster"]], d[["gdp_lag10", "Wgdp"]]).fit(cov_type="robust")
        q = 2
        first = [float(f.params.to_numpy()[-q:] @ np.linalg.solve(np.asarray(f.cov)[-q:, -q:], f.params.to_numpy()[-q:])) / q for f in res.first_stage.individual.values()]
        keep(name, res, j_stat=res.j_stat.stat, j_pvalue=res.j_stat.pval, first_stage_f=min(first))
    return out


def multiverse(hh: pd.DataFrame) -> list[dict]:
    """Table 7: Model 3 (household fixed effects) for every control set x weight matrix, in the spec's order."""
    panel = hh.set_index(["household", "year"])
    out = []
    for controls_label, controls in CONTROL_SETS:
        for matrix_label, lag in MATRICES:
            x = ["cluster", lag, *controls]
            p = panel.dropna(subset=["lninc", *x])
            res = PanelOLS(p.lninc, p[x], entity_effects=True).fit(cov_type="clustered", cluster_entity=True, group_debias=True)
            low, high = res.conf_int().loc["cluster"]
            out.append({"controls": controls_label, "matrix": matrix_label, "params": res.params, "b": res.params["cluster"], "t": res.tstats["cluster"],
                        "p": res.pvalues["cluster"], "low": low, "high": high, "nobs": int(res.nobs)})
    return out


def sweeps(hh: pd.DataFrame, census: pd.DataFrame, regions) -> dict[str, list[tuple[str, float, float, float]]]:
    """Tables 5-6: one regression per industry code present in the census year, (code, coef, se, p)."""
    out: dict[str, list] = {}
    for digits in (3, 4):
        table = cluster_table(census, digits)
        for year in (2004, 2008):
            rows = hh[hh.year == year]
            codes = sorted(census.loc[census.year == year, "industry"].str[:digits].unique())
            clusters = table[table.cluster & (table.year == year)]
            indicator = clusters.pivot_table(index="county", columns="code", values="cluster", aggfunc="sum").reindex(regions, fill_value=0).fillna(0)
            place = indicator.index.get_indexer(rows.county)
            for outcome, kind in (("lninc", "inc"), (f"poor{year % 100:02d}", "pov")):
                sample = rows.dropna(subset=[outcome, *CONTROLS])
                at = place[rows.index.get_indexer(sample.index)]
                y = sample[outcome].to_numpy(dtype=float)
                X = np.column_stack([np.ones(len(sample)), np.zeros(len(sample)), sample[CONTROLS].to_numpy(dtype=float)])
                results = []
                for code in codes:
                    X[:, 1] = indicator[code].to_numpy()[at] if code in indicator else 0.0
                    try:
                        with warnings.catch_warnings():
                            warnings.simplefilter("error", PerfectSeparationWarning)  # separated: no ML estimate
                            res = OLS(y, X).fit() if kind == "inc" else Logit(y, X).fit(disp=0)
                        if not np.isfinite(res.bse[1]) or np.ptp(X[:, 1]) == 0 or not getattr(res, "mle_retvals", {}).get("converged", True):
                            continue
                        results.append((code, float(res.params[1]), float(res.bse[1]), float(res.pvalues[1])))
                    except Exception:  # singular or separated: skipped and listed, as the paper's notes do
                        continue
                out[f"{kind}{year % 100:02d}_{digits}"] = results
    return out


def write_tables(out: Path, fitted: dict, swept: dict, names: dict, robust: list[dict]) -> None:
    groups = {"table1": ["m1", "m2", "m3"], "table2": ["m4", "m5"], "table3": ["m6", "m7"], "table4": ["m8", "m9"]}
    for table, members in groups.items():
        terms = list(dict.fromkeys(t for m in members for t in fitted[m]["params"].index))
        lines = [r"\begin{tabular}{l" + "c" * len(members) + "}", r"\toprule", " & ".join(["", *members]) + r" \\", r"\midrule"]
        for term in terms:
            cells, below = [], []
            for m in members:
                r = fitted[m]
                if term in r["params"].index:
                    cells.append(f"{r['params'][term]:.3f}{stars(r['p'][term])}")
                    below.append(f"({r['t'][term]:.2f})")
                else:
                    cells.append("")
                    below.append("")
            lines += [" & ".join([term.replace("_", r"\_"), *cells]) + r" \\", " & ".join(["", *below]) + r" \\"]
        lines += [r"\midrule", " & ".join(["Observations", *(f"{fitted[m]['nobs']:,}" for m in members)]) + r" \\", r"\bottomrule", r"\end{tabular}"]
        (out / f"{table}.tex").write_text("\n".join(lines) + "\n")
    for table, year in (("table5", "04"), ("table6", "08")):
        lines = [r"\begin{tabular}{llc}", r"\toprule"]
        for key in (f"inc{year}_3", f"inc{year}_4", f"pov{year}_3", f"pov{year}_4"):
            lines.append(rf"\multicolumn{{3}}{{l}}{{{key}}} \\")
            lines += [f"{code} & {names.get(code, code)} & {b:.2f}{stars(p)} \\\\" for code, b, _, p in swept[key] if p < 0.10]
        lines += [r"\bottomrule", r"\end{tabular}"]
        (out / f"{table}.tex").write_text("\n".join(lines) + "\n")
    lines = [r"\begin{tabular}{lc}", r"\toprule", r" & Model 3 \\", r"\midrule"]
    for r in robust:
        lines += [f"{r['controls']}; {r['matrix']} & {r['b']:.2f}{stars(r['p'])} \\\\", f" & ({r['t']:.2f}) \\\\"]
    nobs = sorted(r["nobs"] for r in robust)
    lines += [r"\midrule", f"Observations & {nobs[0]:,}--{nobs[-1]:,} \\\\", r"\bottomrule", r"\end{tabular}"]
    (out / "table7.tex").write_text("\n".join(lines) + "\n")


def write_figures(out: Path, fitted: dict, swept: dict, names: dict, robust: list[dict]) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.8, 3.0), layout="constrained")
    ax = fig.add_subplot()
    for i, m in enumerate(("m1", "m2", "m3")):
        r = fitted[m]
        for j, term in enumerate(("cluster", "Wcluster")):
            b, se = r["params"][term], r["params"][term] / r["t"][term]
            ax.errorbar([b], [j + 0.2 * i], xerr=[[1.96 * abs(se)], [1.96 * abs(se)]], fmt="o", label=m if j == 0 else None)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set_yticks([0, 1], ["local industrial clusters", "industrial clusters in other regions"])
    ax.legend()
    for ext in ("pdf", "svg", "png"):
        fig.savefig(out / f"figure1.{ext}")
    for figure, key, formats in (("figure5", "inc04_3", ("pdf", "svg", "png")), ("figure6", "inc08_3", ("pdf", "svg"))):
        rows = swept[key]
        fig = Figure(figsize=(4.8, 0.18 * len(rows) + 1), layout="constrained")
        ax = fig.add_subplot()
        ax.errorbar([b for _, b, _, _ in rows], range(len(rows)), xerr=[1.96 * se for _, _, se, _ in rows], fmt="o", ms=3)
        ax.set_yticks(range(len(rows)), [names.get(code, code) for code, *_ in rows], fontsize=6)
        ax.axvline(0, color="grey", lw=0.5)
        for ext in formats:
            fig.savefig(out / f"{figure}.{ext}")
    # Figure 7: the specification curve, estimates sorted above, each member's choices marked below.
    ranked = sorted(robust, key=lambda r: r["b"])
    choices = [label for label, _ in CONTROL_SETS] + [label for label, _ in MATRICES]
    fig = Figure(figsize=(4.8, 3.6), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    at = range(len(ranked))
    top.errorbar(at, [r["b"] for r in ranked], yerr=[[r["b"] - r["low"] for r in ranked], [r["high"] - r["b"] for r in ranked]], fmt="o", ms=3)
    top.axhline(0, color="grey", lw=0.5)
    top.set_ylabel("local industrial clusters")
    for i, r in enumerate(ranked):
        bottom.plot([i, i], [choices.index(r["controls"]), choices.index(r["matrix"])], "s", color="black", ms=4)
    bottom.set_yticks(range(len(choices)), choices, fontsize=6)
    bottom.set_ylim(len(choices) - 0.5, -0.5)
    bottom.set_xlabel("specification (sorted by estimate)")
    for ext in ("pdf", "svg", "png"):
        fig.savefig(out / f"figure7.{ext}")


def main(argv: list[str]) -> int:
    warnings.simplefilter("ignore")
    data, out = Path(argv[0]), Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    hh, census, counties, matrices, regions, names = load(data)
    hh, _ = build(hh, census, counties, matrices, regions)
    fitted = models(hh)
    swept = sweeps(hh, census, regions)
    robust = multiverse(hh)
    write_tables(out, fitted, swept, names, robust)
    write_figures(out, fitted, swept, names, robust)
    if "--numbers" in argv:  # for the benchmark's check that both sides computed the same numbers
        numbers = {m: {str(k): float(v) for k, v in r["params"].items()} for m, r in fitted.items()}
        numbers["sweeps"] = {k: [[c, b] for c, b, _, _ in v] for k, v in swept.items()}
        numbers["robust3"] = [[r["controls"], r["matrix"], {str(k): float(v) for k, v in r["params"].items()}] for r in robust]
        Path(argv[argv.index("--numbers") + 1]).write_text(json.dumps(numbers))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
