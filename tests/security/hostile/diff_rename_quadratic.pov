# attack: 3,000 lets renamed at once: matching each new name against every old body is quadratic in diff
# hole(diff): rename matching compares every new body with every old one
# generate: lets_3000_renamed
# diff-old: lets_3000
# stages: check diff
# expect: ok
# cpu: 3
