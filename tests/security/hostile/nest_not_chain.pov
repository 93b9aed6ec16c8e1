# attack: 5,000 `not` operators: deep nesting with no parentheses
# generate: nest_not
# expect: E003
# hole: only parentheses are counted; RecursionError in the builder
let a = not not not not x
