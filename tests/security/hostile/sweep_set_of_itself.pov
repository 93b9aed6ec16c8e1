# attack: a set of weights that names itself and a sweep over it, to loop the expansion
# expect: E511
data d = "d.csv" panel(hh, year) region(county)
weights w = inverse("w.csv", o, dd, v)
weights s = [w, s]
model m for v in s: y ~ W(x, v) | ols
