# attack: string literals holding parentheses and quotes inside I(): once a traceback from formulaic's tokenizer
# (the run fails in logit, after the design is built)
# expect: run-error
data d = "d.csv" panel(hh, year)
model m: y ~ x + I(x + (x == "a(b") + (x != ")`'")) | logit
