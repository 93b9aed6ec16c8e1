# attack: an absolute path outside the project
# expect: E301
data d = "/etc/passwd" panel(hh, year)
