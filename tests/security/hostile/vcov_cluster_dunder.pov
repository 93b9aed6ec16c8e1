# attack: a dunder name as a cluster variable, vcov cluster(__class__)
# expect: E201
data d = "d.csv" panel(hh, year)
model m: y ~ x | ols
  vcov cluster(__class__)
