# attack: a Wilkinson power of 100,000,000 on a formula term: formulaic expands it term by term
# isolate
# expect: E160
# hole: the checker accepts any number as a formula power; `run` never finishes
data d = "d.csv" panel(hh, year)
model m: y ~ x**100000000 | ols
