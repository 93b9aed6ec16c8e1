# attack: the literal 1e999 (infinity) as a GMM lag bound
# expect: E210 E221
data d = "d.csv" panel(hh, year)
model m: y ~ L(y, 1) | diffgmm(gmm(y, 2:1e999))
