# attack: a symlink inside the project (escape -> ../outside, created by the test) pointing outside
# setup: symlink
# expect: E301
data d = "escape/secret.csv" panel(hh, year)
