data households = bundled("zhejiang/households.csv") panel(household, year) region(county)
data counties = bundled("zhejiang/counties.csv") key(county, year)
data census = bundled("zhejiang/census.csv")
weights traveltime = inverse(bundled("zhejiang/traveltime.csv"), origin, destination, minutes)
let cluster = clusters(census, digits=4, lq=1.25, min_firms=10)
let poor04 = income < 0.5 * mean(income, year == 2004)
terms controls = age + edu + gender
model m1 "Model 1": poor04 ~ cluster + W(cluster, traveltime) + controls | logit
model m2 "Model 2": log(income) ~ cluster + controls | fe(household)
table t1 "Estimates" = m1, m2
  label cluster = "local industrial clusters"
  stat t
  stat se, p
  fit r2 "R squared" digits 3
  row fe
  group "All" = m1, m2
  fit width
  landscape
