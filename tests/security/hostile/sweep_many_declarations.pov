# attack: many declarations each just under the fit limit, so only the spec's total is too large
# expect: E507
# generate: sweeps_under_limit_200
# cpu: 5
