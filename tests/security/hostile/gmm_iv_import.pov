# attack: __import__ as an estimator argument, gmm(iv=...)
# expect: E201
data d = "d.csv" panel(hh, year)
model m: y ~ x | gmm(iv=__import__("os"))
