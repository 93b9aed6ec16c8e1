# attack: code execution from the formula's left-hand side via eval()
# expect: E202
data d = "d.csv" panel(hh, year)
model m: eval("open('MARKER', 'w')") ~ x | ols
