# attack: eval() as the unit of fe(...)
# expect: E202
data d = "d.csv" panel(hh, year)
model m: y ~ x | fe(eval("hh"))
