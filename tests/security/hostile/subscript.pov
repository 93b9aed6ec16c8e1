# attack: subscripts, e.g. to index into __subclasses__()
# expect: E011 E013
data d = "d.csv" panel(hh, year)
model m: y ~ x[0] | ols
