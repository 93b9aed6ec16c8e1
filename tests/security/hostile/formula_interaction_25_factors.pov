# attack: v1*v2*...*v25: each * doubles the terms, 2**25 interactions before formulaic sees one
# stages: check run diff
# expect: E166
# cpu: 5
data d = "d.csv" panel(hh, year)
let v1 = x + 1
let v2 = x + 2
let v3 = x + 3
let v4 = x + 4
let v5 = x + 5
let v6 = x + 6
let v7 = x + 7
let v8 = x + 8
let v9 = x + 9
let v10 = x + 10
let v11 = x + 11
let v12 = x + 12
let v13 = x + 13
let v14 = x + 14
let v15 = x + 15
let v16 = x + 16
let v17 = x + 17
let v18 = x + 18
let v19 = x + 19
let v20 = x + 20
let v21 = x + 21
let v22 = x + 22
let v23 = x + 23
let v24 = x + 24
let v25 = x + 25
model m: y ~ v1 * v2 * v3 * v4 * v5 * v6 * v7 * v8 * v9 * v10 * v11 * v12 * v13 * v14 * v15 * v16 * v17 * v18 * v19 * v20 * v21 * v22 * v23 * v24 * v25 | ols
