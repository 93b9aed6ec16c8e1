"""diff_specs read as data: the fields a reviewer's tooling relies on."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from povdsl.language.parser import parse
from povdsl.tools.diff import Change, diff_specs, format_text

SPEC = """\
data households = "households.csv" panel(household, year)
let poor = income < 0.5 * mean(income)
let adult = age >= 18
terms demog = age + edu
terms controls = demog + gender
model m1 "Model 1": poor ~ cluster + controls | logit
model m2 "Model 2": log(income) ~ cluster + controls | fe(household) where adult
model m3: income ~ cluster + land + controls | gmm(iv=z)
table t1 = m1, m2, m3
  label cluster = "clusters"
"""


def diff(old: str, new: str) -> tuple[Change, ...]:
    return diff_specs(parse(old), parse(new))


def test_changes_are_frozen():
    [change] = diff(SPEC, SPEC.replace("| logit", "| probit"))
    with pytest.raises(FrozenInstanceError):
        change.kind = "renamed"


def test_macro_change_reported_once_with_every_model_reached():
    changes = diff(SPEC, SPEC.replace("age + edu", "age + edu + married"))
    assert changes == (Change("terms", "demog", "term added", new="married", models_reached=("m1", "m2", "m3")),)


def test_macro_change_does_not_reach_a_model_that_already_had_the_term():
    changes = diff(SPEC, SPEC.replace("age + edu", "age + edu + land"))
    assert [c.models_reached for c in changes] == [("m1", "m2")]


def test_term_through_macro_is_named_at_the_model():
    changes = diff(SPEC, SPEC.replace("+ land + controls", "+ land + controls + demog").replace("terms controls = demog + gender", "terms controls = gender"))
    by_place = {(c.declaration, c.name, c.kind, c.new or c.old, c.via_macro) for c in changes}
    # m3 keeps age and edu (now written through `household` directly); m1, m2 lose them
    assert ("terms", "controls", "term removed", "age", "demog") in by_place
    assert not any(c.declaration == "model" and c.name == "m3" for c in changes)
    [removed_age] = [c for c in changes if c.old == "age"]
    assert removed_age.models_reached == ("m1", "m2")


def test_term_added_directly_says_so():
    [change] = diff(SPEC, SPEC.replace("cluster + controls | logit", "cluster + controls + land | logit"))
    assert (change.name, change.kind, change.new, change.via_macro) == ("m1", "term added", "land", None)
    assert "term added: land (directly)" in format_text((change,))


def test_estimator_options_compared_argument_by_argument():
    changes = diff(SPEC, SPEC.replace("gmm(iv=z)", "gmm(endog=cluster, iv=w)"))
    assert [(c.kind, c.detail, c.old, c.new) for c in changes] == [
        ("estimator option added", "endog", None, "cluster"),
        ("estimator option changed", "iv", "z", "w"),
    ]


def test_let_change_reaches_models_through_outcome_and_where():
    changes = diff(SPEC, SPEC.replace("0.5 *", "0.4 *").replace(">= 18", ">= 16"))
    assert {c.name: c.models_reached for c in changes} == {"poor": ("m1",), "adult": ("m2",)}


def test_column_named_like_a_renamed_macro_is_left_alone():
    spec = 'data h = "h.csv" panel(household, year)\nterms household = age\nmodel m: y ~ household | ols\n'
    changes = diff(spec, spec.replace("terms household", "terms family").replace("~ household", "~ family"))
    assert [(c.kind, c.old, c.new) for c in changes] == [("renamed", "household", "family")]


def test_rename_rewrites_references():
    renamed = SPEC.replace("terms demog", "terms family").replace("= demog +", "= family +").replace("model m3:", "model m3b:").replace("m2, m3", "m2, m3b")
    changes = diff(SPEC, renamed)
    assert [(c.declaration, c.kind, c.old, c.new) for c in changes] == [
        ("terms", "renamed", "demog", "family"),
        ("model", "renamed", "m3", "m3b"),
    ]


def test_changed_body_is_not_a_rename():
    changes = diff(SPEC, SPEC.replace("model m3: income ~ cluster + land", "model m4: income ~ cluster").replace("m2, m3", "m2, m4"))
    assert [(c.name, c.kind) for c in changes] == [("m4", "added"), ("m3", "removed"), ("t1", "model added"), ("t1", "model removed")]


def test_syntax_only_nothing_is_checked():
    """Specs that would not check (unknown names) still diff: no data is needed."""
    old = "model m1: y ~ nonexistent | ols\n"
    assert diff(old, old.replace("ols", "nosuchestimator"))[0].kind == "estimator changed"


DECLARATIONS = [chunk + "\n" for chunk in SPEC.strip().split("\n") if not chunk.startswith("  ")]


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.permutations(range(len(DECLARATIONS) - 1)))
def test_declaration_order_is_no_change(order):
    table = SPEC[SPEC.index("table t1") :]
    shuffled = "".join(DECLARATIONS[i] for i in order) + table
    assert diff(SPEC, shuffled) == ()


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.permutations(["age", "edu", "gender", "land", "cluster:edu", "edu:cluster:age"]))
def test_term_order_and_interaction_order_are_no_change(terms):
    old = "model m: y ~ age + edu + gender + land + cluster:edu + age:cluster:edu | ols\n"
    new = f"model m: y ~ {' + '.join(terms)} | ols\n"
    assert diff(old, new) == ()


def test_colour_only_when_asked():
    changes = diff(SPEC, SPEC.replace("| logit", "| probit"))
    assert "\x1b[" not in format_text(changes)
    assert "\x1b[1mmodel m1\x1b[0m" in format_text(changes, colour=True)


SPEC_FILES = sorted((Path(__file__).parents[1] / "fixtures" / "identity").glob("*.pov")) + sorted(
    (Path(__file__).parent / "cases").glob("*/*.pov")
)


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fmt_output_means_the_same(path):
    """`povdsl fmt` changes layout only, so the diff of a file and its formatted self is empty."""
    from povdsl.tools.fmt import format_text as fmt

    text = path.read_text(encoding="utf-8")
    assert diff(text, fmt(text)) == ()


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_removing_everything_removes_every_declaration(path):
    spec = parse(path.read_text(encoding="utf-8"))
    changes = diff_specs(spec, parse(""))
    assert [c.kind for c in changes] == ["removed"] * len({(type(d), d.name) for d in spec.declarations})
