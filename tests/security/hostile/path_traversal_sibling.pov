# attack: path traversal to an existing CSV in a sibling folder outside the project
# expect: E301
data d = "../outside/secret.csv" panel(hh, year)
