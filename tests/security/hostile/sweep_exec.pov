# attack: exec() as the collection of a sweep
# expect: E013 E202
data d = "d.csv" panel(hh, year)
model m for i in exec("open('MARKER', 'w')"): y ~ x | ols
