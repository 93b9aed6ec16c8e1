# attack: sixty terms macros, each the previous one twice: expanded naively, 2**60 terms
# generate: macros_doubling_60
# stages: check diff
# expect: ok
# cpu: 5
