# attack: 3,000 lets renamed at once: matching each new name against every old body is quadratic in diff
# generate: lets_3000_renamed
# diff-old: lets_3000
# stages: check diff
# expect: ok
# cpu: 5
