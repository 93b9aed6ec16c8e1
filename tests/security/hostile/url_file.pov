# attack: a file:// URL as a data source
# expect: E301
data d = "file:///etc/passwd" panel(hh, year)
