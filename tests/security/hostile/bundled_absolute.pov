# attack: an absolute path passed to bundled()
# expect: E301
data d = bundled("/etc/passwd") panel(hh, year)
