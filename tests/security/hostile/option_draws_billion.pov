# attack: sar(w, draws=2000000000): the impacts' simulation allocated draws x parameters floats (60 GB), then a traceback
# expect: E217
data c = "r.csv" panel(county, year) region(county)
weights w = inverse("w.csv", o, dd, v)
model m: g ~ year | sar(w, draws=2000000000)
