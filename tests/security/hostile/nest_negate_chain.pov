# attack: 5,000 unary minus signs: deep nesting with no parentheses at all
# generate: nest_negate
# expect: E003
let a = - - - - x
