# attack: path traversal out of the bundled data folder
# expect: E301
data d = bundled("../../../../../../../etc/passwd") panel(hh, year)
