# attack: sixty terms macros, each the previous one times itself: naive expansion and checking double at each step
# generate: macros_square_60
# stages: check diff
# expect: ok
# cpu: 5
