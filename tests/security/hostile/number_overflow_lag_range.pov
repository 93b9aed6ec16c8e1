# attack: the literal 1e999 (infinity) as a lag bound: int(inf) raises OverflowError
# expect: E165 E221
data d = "d.csv" panel(hh, year)
model m: y ~ L(x, 1e999:2) | ols
