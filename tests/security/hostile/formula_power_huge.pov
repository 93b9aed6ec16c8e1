# attack: a Wilkinson power of 100,000,000 on a formula term: formulaic expands it term by term
# expect: E160
data d = "d.csv" panel(hh, year)
model m: y ~ x**100000000 | ols
