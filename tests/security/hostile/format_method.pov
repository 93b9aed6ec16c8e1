# attack: str.format with an attribute path in the format string
# expect: E011 E013
data d = "d.csv" panel(hh, year)
let z = "{0.__class__.__init__.__globals__}".format(x)
