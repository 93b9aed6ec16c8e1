# attack: backticks written directly in a formula, aimed at formulaic's quoting
# expect: E011
data d = "d.csv" panel(hh, year)
model m: y ~ `x` + `__import__("os").system("touch MARKER")` | ols
