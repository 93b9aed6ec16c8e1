# attack: 5,000 `not` operators: deep nesting with no parentheses
# generate: nest_not
# expect: E003
let a = not not not not x
