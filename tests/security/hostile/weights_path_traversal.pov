# attack: path traversal through the file argument of a weights builder
# expect: E301
data d = "d.csv" panel(hh, year)
weights w = inverse("../outside/secret.csv", o, dd, v)
