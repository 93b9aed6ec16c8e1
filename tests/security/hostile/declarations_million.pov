# attack: one million declarations
# generate: decl_million
# expect: E001
let a0 = 1
