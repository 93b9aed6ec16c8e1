# attack: exec() smuggled inside an allowed function, log()
# expect: E202
data d = "d.csv" panel(hh, year)
model m: y ~ log(exec("open('MARKER', 'w').write('x')")) | ols
