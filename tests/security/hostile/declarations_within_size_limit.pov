# attack: 100,000 declarations (1.5 MB, under the 5 MB limit): parse time alone is ~17 s
# generate: decl_100k
# isolate
# expect: E001
# hole: MAX_SPEC_BYTES (5 MB) allows specs that take minutes to parse; lark costs ~10 us/byte
let a0 = 1
