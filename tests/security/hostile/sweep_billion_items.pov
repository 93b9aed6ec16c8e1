# attack: a sweep over a billion items (1:1000000000), to exhaust time and memory
# expect: E013
data d = "d.csv" panel(hh, year)
model m for i in 1:1000000000: y ~ x | ols
