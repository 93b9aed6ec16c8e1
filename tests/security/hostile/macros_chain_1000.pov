# attack: a chain of 1,000 terms macros, each using the previous one: recursion would overflow the stack
# generate: macros_chain_1000
# stages: check diff
# expect: ok
# cpu: 5
