# attack: a dunder keyword argument to an estimator, logit(__class__=...)
# expect: E201
data d = "d.csv" panel(hh, year)
model m: y ~ x | logit(__class__=true)
