# attack: __import__ in a let (evaluated by povdsl's own evaluator)
# expect: E201
data d = "d.csv" panel(hh, year)
let z = __import__("os")
model m: y ~ x + z | ols
