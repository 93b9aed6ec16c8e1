# attack: dunder name inside C() to reach object internals (__class__)
# expect: E201
data d = "d.csv" panel(hh, year)
model m: y ~ C(__class__) | ols
