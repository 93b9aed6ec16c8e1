"""The language stage: grammar, lexer, parser, syntax tree and its canonical printer."""
