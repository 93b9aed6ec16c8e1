# attack: getattr() inside W() to reach __globals__
# expect: E202
data d = "d.csv" panel(hh, year)
weights w = inverse("w.csv", o, dd, v)
model m: y ~ W(getattr(x, "__globals__"), w) | ols
