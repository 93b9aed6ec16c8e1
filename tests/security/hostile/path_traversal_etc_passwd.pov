# attack: path traversal out of the project to /etc/passwd
# expect: E301
data d = "../../../../../../../../../../etc/passwd" panel(hh, year)
