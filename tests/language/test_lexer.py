"""povdsl's one-pass lexer against Lark's own contextual lexer and parser.

`povdsl.language.lexer` replaces Lark's lexer for speed; these tests hold it to
Lark's behaviour on every corpus spec and on random mutations of them: the
same tokens (kind, text, position) and the same verdict on what parses.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings

from povdsl import SpecError, parse
from povdsl.language.lexer import scan
from povdsl.language.parser import MAX_NESTING, MAX_TOKENS, _parser, _recognizer, _vocabulary

sys.path.insert(0, str(Path(__file__).parent))
from test_properties import IDENTITY, mutated

ROOT = Path(__file__).resolve().parents[2]
CORPUS = [*IDENTITY, ROOT / "spec" / "zhejiang.pov"]
LIMITS = {"E001", "E002", "E003", "E004"}


def _shape(tokens) -> list[tuple]:
    return [(t.type, str(t), t.line, t.column, t.end_line, t.end_column) for t in tokens]


def _ours(text: str) -> list[tuple]:
    """The tokens povdsl's parser consumed, keywords typed as the parser state decided."""
    scanned = scan(text, "t.pov", _vocabulary(), MAX_TOKENS, MAX_NESTING)
    parser = _parser()
    parser.options.transformer.begin("t.pov")
    parser.parse(scanned.tokens)
    return _shape(scanned.tokens)


def _larks(text: str) -> list[tuple]:
    """The tokens Lark's contextual lexer gives its parser for the same text."""
    interactive = _recognizer().parse_interactive(text)
    tokens = list(interactive.iter_parse())
    interactive.feed_eof()
    return _shape(tokens)


def _lark_accepts(text: str) -> bool:
    try:
        _recognizer().parse(text)
    except Exception:
        return False
    return True


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_corpus_lexes_to_larks_own_tokens(path):
    text = path.read_text()
    assert _ours(text) == _larks(text)


def test_words_that_are_keywords_elsewhere_are_names_where_a_name_is_expected():
    text = 'let order = 1\nlet fit = order + 1\ntable t = m\n  keep order, fit\n  order fit\n'
    assert _ours(text) == _larks(text)
    spec = parse(text)
    assert [d.name for d in spec.declarations[:2]] == ["order", "fit"]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(mutated())
def test_povdsl_accepts_exactly_what_lark_accepts_with_the_same_tokens(text):
    try:
        parse(text, "mutated.pov")
        ours = True
    except SpecError as exc:
        if {d.code for d in exc.diagnostics} & LIMITS:
            return  # refused before or beside the grammar: size, NUL, nesting, token count
        assert exc.diagnostics, "a rejected spec must say why"
        ours = False
    assert ours == _lark_accepts(text)
    if ours:
        assert _ours(text) == _larks(text)


def test_a_keyword_glued_to_a_name_is_one_unexpected_word():
    # Lark's contextual lexer alone would read `data households` here, where no name may stand
    with pytest.raises(SpecError) as info:
        parse('datahouseholds = "households.csv"\n', "glued.pov")
    (diagnostic,) = info.value.diagnostics
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.col) == ("E013", 1, 1)
    assert diagnostic.message.startswith("unexpected name 'datahouseholds'")
