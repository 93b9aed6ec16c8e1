# attack: a formula of 2,000 terms on one line: a left-deep tree 2,000 levels deep
# generate: long_sum
# expect: E003
data d = "d.csv" panel(hh, year)
model m: y ~ x + x + x + x | ols
