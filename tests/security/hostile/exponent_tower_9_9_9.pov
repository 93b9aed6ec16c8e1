# attack: 9**9**9 inside I(): a 370-million-digit integer
# isolate
# expect: run-error
# hole(run): same as exponent_tower_in_I: Python int arithmetic in formulaic's eval
data d = "d.csv" panel(hh, year)
model m: y ~ I(x + 9**9**9) | ols
