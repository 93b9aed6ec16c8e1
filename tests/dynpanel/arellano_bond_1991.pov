# Arellano & Bond (1991), Table 4 column (b): two-step difference GMM on the UK
# company panel. GMM-style instruments: every lag of n from 2 on; the other
# regressors instrument themselves (IV-style, in differences), as in xtabond2's
# `gmm(n, lag(2 .)) iv(L(0/1).(w ys) k)`; year dummies.
data uk = "data/emplUK.csv" panel(firm, year)

let n = log(emp)
let w = log(wage)
let k = log(capital)
let ys = log(output)

model ab "AB (1991) Table 4(b)": n ~ L(n, 1:2) + L(w, 0:1) + k + L(ys, 0:1) | diffgmm(gmm(n, 2:.), iv(L(w, 0:1) + k + L(ys, 0:1)), timeeffects)

table t4 "Arellano and Bond (1991), Table 4(b)" = ab
