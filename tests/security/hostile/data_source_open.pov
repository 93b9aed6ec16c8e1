# attack: open() for writing as a data source
# expect: E202
data d = open("MARKER", "w") panel(hh, year)
