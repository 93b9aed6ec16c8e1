# attack: 5,000 unary minus signs: deep nesting with no parentheses at all
# generate: nest_negate
# expect: E003
# hole: only parentheses are counted; the tree is 5,000 deep and the builder hits RecursionError
let a = - - - - x
