# attack: gmm(steps=1000000000): a billion GMM iterations for linearmodels' iter_limit
# expect: E217
data d = "d.csv" panel(hh, year)
model m: y ~ x | gmm(iv=county, steps=1000000000)
