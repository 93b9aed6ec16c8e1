# attack: cumulative() of thousands of terms, whose values grow quadratically (n^2/2 nodes)
# expect: E507 E508
# generate: cumulative_9000
# cpu: 5
