# attack: a string literal equal to formulaic's alias of a backticked W() column whose name carries a quote;
# formulaic's alias replacement also rewrote string literals, broke out of the literal and ran the rest with builtins
# (the run fails in logit, after the design is built: before the fix the code had run by then)
# alias: W(g == "'+__import__('os').system('touch MARKER')+'", w)
# expect: run-error
data d = "d.csv" panel(hh, year) region(county)
data r = "r.csv" key(county, year)
weights w = inverse("w.csv", o, dd, v)
model m: y ~ log(abs(W(g == "'+__import__('os').system('touch MARKER')+'", w)) + (x == "FORMULAIC_ALIAS")) | logit
