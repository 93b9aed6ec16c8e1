# attack: a string literal inside I() carrying backticks and Python, aimed at formulaic's
# backtick quoting and its Python evaluation of I(); the string must never reach formulaic
# expect: E146
data d = "d.csv" panel(hh, year)
model m: y ~ I(x + "` + __import__(\"os\").system(\"touch MARKER\") + `") | ols
