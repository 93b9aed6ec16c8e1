# attack: 3,000 unknown names against a scope of 3,000 lets: a did-you-mean over the whole scope for each costs minutes
# generate: unknown_names_3000
# expect: E110
# cpu: 5
