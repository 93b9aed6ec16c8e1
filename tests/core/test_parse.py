"""The parser: trees with spans, comments on their nodes, errors with carets."""

from __future__ import annotations

import pytest

import povdsl
from povdsl.errors import SpecError
from povdsl.language import syntax as s

SPEC = """# header comment
let poor04 = income < 0.5 * mean(income, year == 2004)
model m1 "Model 1": poor04 ~ cluster + W(cluster, tt) + age | logit
  where year == 2004
table t1 "T" = m1
  # the label
  label cluster = "local clusters"
  stars 0.10 0.05 0.01
"""


def test_tree_has_spans_and_comments():
    spec = povdsl.parse(SPEC, "x.pov")
    let, model, table = spec.declarations
    assert let.comments == ("# header comment",)
    assert (let.span.line, let.span.col) == (2, 1)
    assert model.name_span.line == 3 and model.name_span.col == 7
    assert model.label == "Model 1" and model.estimator == s.Estimator("logit")
    assert isinstance(model.where.condition, s.Compare)
    assert table.options[0].comments == ("# the label",)
    assert [o.kind for o in table.options] == ["label", "stars"]


def test_equality_ignores_layout():
    a = povdsl.parse("model m: y ~ x + W(c,tt) | ols where z==1")
    b = povdsl.parse("model m:\n  y ~ x + W(c, tt)\n  | ols\n  where z == 1\n")
    assert a == b


def test_wilkinson_and_arithmetic_share_one_precedence_table():
    (let,) = povdsl.parse("let v = -a**2 + b:c * d").declarations
    plus = let.value
    assert plus.op == "+" and isinstance(plus.left, s.Negate) and plus.right.op == "*"
    assert plus.right.left.op == ":"


def test_syntax_error_names_file_line_col_with_caret_and_hint():
    with pytest.raises(SpecError) as info:
        povdsl.parse('let x = 1\nmodel m1 "x": y ~ x | ols where a = 1\n', "b.pov")
    assert str(info.value) == (
        "b.pov:2:35: error[E013]: unexpected '='; expected end of file, 'data', 'figure', 'let', 'model', 'table', …\n"
        '2 | model m1 "x": y ~ x | ols where a = 1\n'
        "                                      ^\n"
        "  = hint: use '==' to compare\n"
        "1 error found"
    )


def test_every_broken_declaration_is_reported():
    with pytest.raises(SpecError) as info:
        povdsl.parse("let x = (1\nlet y = 2\nmodel m: y ~ | ols\n", "c.pov")
    assert [(d.span.line, d.code) for d in info.value.diagnostics] == [(1, "E012"), (3, "E013")]


@pytest.mark.parametrize(
    "text, code",
    [
        ('let x = "abc\n', "E010"),
        ("let x = a[1]\n", "E013"),  # brackets are tokens now (sweep lists): an unexpected token
        ("let x = a{1}\n", "E011"),
        ("let x = 'a'\n", "E011"),
        ("let x = (" * 200 + "1" + ")" * 200, "E003"),
        ("let x = 1\x00\n", "E002"),
        ("model m y ~ x | ols", "E013"),
        ("let x =", "E012"),
    ],
)
def test_malformed_input_is_a_spec_error(text, code):
    with pytest.raises(SpecError) as info:
        povdsl.parse(text, "m.pov")
    assert info.value.diagnostics[0].code == code
