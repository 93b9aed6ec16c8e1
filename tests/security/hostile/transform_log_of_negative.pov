# attack: log() of a variable with negative values: NaN where the input is known must be an error, not a silent drop
# expect: run-error
data d = "d.csv" panel(hh, year)
model m: y ~ log(x) | ols
