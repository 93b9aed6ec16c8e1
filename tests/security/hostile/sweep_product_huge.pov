# attack: eight `for` clauses of ten values each (10^8 fits), to exhaust time and memory by expansion
# expect: E507
# cpu: 5
data d = "d.csv" panel(hh, year)
model m for a in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] for b in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] for c in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] for e in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] for f in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] for g in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] for h in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] for i in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]: y ~ x | ols
  where year == a + b + c + e + f + g + h + i
