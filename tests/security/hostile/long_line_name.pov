# attack: a single 3 MB line holding one 3 MB name (diagnostics, did-you-mean, carets)
# generate: long_name
# expect: E001 E110
data d = "d.csv" panel(hh, year)
model m: y ~ zzzzzzzz | ols
