# attack: a lambda in a let (parses as an interaction, then the call is refused)
# expect: E013 E140 E202
data d = "d.csv" panel(hh, year)
let f = lambda: open("MARKER", "w")
