# attack: an exponent tower inside I(): formulaic evaluates it with Python integers,
# so 2**2**2**2**99 never finishes and eats all memory
# expect: run-error
data d = "d.csv" panel(hh, year)
model m: y ~ I(x + 2**2**2**2**99) | ols
