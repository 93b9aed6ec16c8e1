# attack: x**1e15 reaches povdsl diff (and the git diff driver), whose term expansion loops forever unless diff checks first
# stages: check run diff
# expect: E160
# cpu: 5
data d = "d.csv" panel(hh, year)
model m: y ~ (x + y)**1e15 | ols
