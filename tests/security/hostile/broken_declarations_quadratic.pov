# attack: 40,000 broken declarations: error recovery reparses each with a newline prefix (O(n^2))
# generate: broken_40k
# expect: E001 E004 E013
let a = )
