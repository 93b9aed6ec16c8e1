# attack: a Python single-quoted string inside I()
# expect: E011
data d = "d.csv" panel(hh, year)
model m: y ~ I('x') | ols
