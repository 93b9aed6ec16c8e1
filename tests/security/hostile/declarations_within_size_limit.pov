# attack: 100,000 declarations (1.5 MB, under the 5 MB limit): parse time alone is ~17 s
# generate: decl_100k
# expect: E001
let a0 = 1
