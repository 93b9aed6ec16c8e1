# attack: 9**9**9 inside I(): a 370-million-digit integer
# expect: run-error
data d = "d.csv" panel(hh, year)
model m: y ~ I(x + 9**9**9) | ols
