# attack: L(x, 0:3000000): three million lag columns materialised by compile
# expect: E165
data d = "d.csv" panel(hh, year)
model m: y ~ L(x, 0:3000000) | ols
