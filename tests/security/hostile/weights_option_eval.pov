# attack: eval() as a weights builder option value
# expect: E202
weights w = inverse("w.csv", o, dd, v, alpha=eval("1"))
