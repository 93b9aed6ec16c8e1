# attack: a keep glob whose stars backtrack (regex .*a.*a...b) against a 40-character coefficient name: minutes of CPU
# expect: run-error
data d = "d.csv" panel(hh, year)
let aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa = x
model m: y ~ aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa | ols
table t = m
  keep "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b"
