# attack: L(x, 0:100000000) in a dynamic panel: the checker itself builds 10^8 regressors
# isolate
# expect: E165 E215
# hole: signatures._dynamic expands the lag range into a list while checking; `check` hangs
data d = "d.csv" panel(hh, year)
model m: y ~ L(x, 0:100000000) | diffgmm(gmm(y, 2:.))
