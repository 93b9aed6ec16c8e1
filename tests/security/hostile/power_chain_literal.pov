# attack: a right-associative power chain 2**2**2**... 3,000 long
# generate: power_chain
# expect: E003
let a = 2**2**2**2
