# attack: 20,000 declarations each with a comment, then a dunder: comment attachment used to be
# O(comments x declarations); the refusal must still come within seconds
# generate: comments_20k
# expect: E201 E004
let a0 = 1 # c
