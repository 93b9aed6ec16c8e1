# attack: L(x, 0:100000000) in a dynamic panel: the checker itself builds 10^8 regressors
# expect: E165 E215
data d = "d.csv" panel(hh, year)
model m: y ~ L(x, 0:100000000) | diffgmm(gmm(y, 2:.))
