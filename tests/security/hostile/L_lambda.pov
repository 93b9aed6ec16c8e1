# attack: a Python lambda inside L()
# expect: E013 E202 E110
data d = "d.csv" panel(hh, year)
model m: y ~ L(lambda t: open("MARKER", "w"), 1) | ols
