# attack: an f-string whose braces would call open() if it were Python
# expect: E013
data d = "d.csv" panel(hh, year)
let z = f"{open('MARKER', 'w')}"
