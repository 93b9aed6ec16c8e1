# attack: attribute access os.system in a let
# expect: E011 E013
data d = "d.csv" panel(hh, year)
let z = os.system("touch MARKER")
