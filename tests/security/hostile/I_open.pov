# attack: open() for writing inside I(), which formulaic evaluates as Python
# expect: E202
data d = "d.csv" panel(hh, year)
model m: y ~ I(open("MARKER", "w")) | ols
