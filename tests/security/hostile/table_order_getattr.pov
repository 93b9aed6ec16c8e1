# attack: getattr() in a table order list
# expect: E202
data d = "d.csv" panel(hh, year)
model m: y ~ x | ols
table t = m
  order getattr(x, "__class__")
