# attack: a number literal that overflows to infinity (1e999999)
# expect: E221
data d = "d.csv" panel(hh, year)
let big = 1e999999
model m: y ~ x | ols
  where x < big
