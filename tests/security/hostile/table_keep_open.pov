# attack: open() in a table keep list
# expect: E202
data d = "d.csv" panel(hh, year)
model m: y ~ x | ols
table t = m
  keep x, open("MARKER", "w")
