# attack: parentheses nested 100,000 deep (recursion / stack exhaustion)
# generate: nest_parens
# expect: E003
let a = ((((((((((x))))))))))
