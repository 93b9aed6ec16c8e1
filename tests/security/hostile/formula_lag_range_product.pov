# attack: the product of two 101-lag ranges is 10,201 interaction columns (and three would be a million)
# stages: check run diff
# expect: E166
# cpu: 5
data d = "d.csv" panel(hh, year)
model m: y ~ L(x, 0:100)*L(county, 0:100)*L(y, 0:100) | ols
