# attack: a string inside L() so that the materialised column name (printed by compile._quote)
# carries backticks and Python code into the formula text formulaic parses
# expect: E146
data d = "d.csv" panel(hh, year)
model m: y ~ L("a` + open(\"MARKER\", \"w\") + `b", 1) | ols
