# attack: an exponent tower in a let: povdsl's evaluator uses floats, so it must fail fast
# expect: run-error
data d = "d.csv" panel(hh, year)
let z = x + 2**2**2**2**99
model m: y ~ z | ols
