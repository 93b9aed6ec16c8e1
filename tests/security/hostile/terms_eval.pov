# attack: eval() hidden in a terms macro, expanded into every model that uses it
# expect: E202
data d = "d.csv" panel(hh, year)
terms controls = x + eval("__import__('os').system('touch MARKER')")
model m: y ~ controls | ols
