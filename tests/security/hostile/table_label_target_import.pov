# attack: __import__ as the target of a table label
# expect: E201
data d = "d.csv" panel(hh, year)
model m: y ~ x | ols
table t = m
  label __import__("os") = "x"
