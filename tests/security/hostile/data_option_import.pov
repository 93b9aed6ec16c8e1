# attack: __import__ inside a data option, region(...)
# expect: E201
data d = "d.csv" panel(hh, year) region(__import__("os"))
