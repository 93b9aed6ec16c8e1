# attack: the __builtins__ name in a table drop list
# expect: E201
data d = "d.csv" panel(hh, year)
model m: y ~ x | ols
table t = m
  drop __builtins__
