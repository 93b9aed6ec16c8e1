# attack: 20,000 declarations each with a comment: parse._attach_comments is quadratic
# generate: comments_20k
# isolate
# expect: E001 E004
# hole: _attach_comments scans every declaration for every comment (O(n^2), ~6 s here)
let a0 = 1 # c
