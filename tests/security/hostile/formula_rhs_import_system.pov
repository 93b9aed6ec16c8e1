# attack: code execution from the formula's right-hand side via __import__("os").system
# expect: E011 E013 E201
data d = "d.csv" panel(hh, year)
model m: y ~ x + __import__("os").system("touch MARKER") | ols
