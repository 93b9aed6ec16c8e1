# attack: 40,000 broken declarations: error recovery reparses each with a newline prefix (O(n^2))
# generate: broken_40k
# isolate
# expect: E001 E004 E013
# hole: _all_syntax_errors re-parses every chunk behind a prefix of all earlier newlines (O(n^2)); ~6 s here
let a = )
