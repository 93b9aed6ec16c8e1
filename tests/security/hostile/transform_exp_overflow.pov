# attack: exp(x*1000) overflows to inf; the design must not carry inf into a fit (a located DataError)
# expect: run-error
data d = "d.csv" panel(hh, year)
model m: y ~ exp(x * 1000) | ols
