# attack: an infinite k for nearest-neighbour weights: int(inf) in the checker
# expect: E313 E221
data d = "d.csv" panel(hh, year)
weights w = inverse("w.csv", o, dd, v, k=1e999)
