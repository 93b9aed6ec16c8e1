# attack: exec() in a where clause
# expect: E202
data d = "d.csv" panel(hh, year)
model m: y ~ x | ols
  where exec("open('MARKER', 'w')") == 0
