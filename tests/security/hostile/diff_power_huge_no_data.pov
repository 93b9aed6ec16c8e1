# attack: x**1e15 in a spec whose data file is absent (as in a pull-request check): diff must still refuse it
# stages: check run diff
# expect: E160
# cpu: 5
data d = "absent.csv" panel(hh, year)
model m: y ~ (x + y)**1e15 | ols
