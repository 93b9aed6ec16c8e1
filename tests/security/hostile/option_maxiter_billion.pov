# attack: logit(maxiter=1000000000): on separated data Newton never converges and ran until killed, its history growing past a gigabyte
# expect: E217
data d = "d.csv" panel(hh, year)
let z = x > 0
model m: z ~ x | logit(maxiter=1000000000)
