data households = bundled("zhejiang/households.csv") panel(household, year) region(county)
data counties = bundled("zhejiang/counties.csv") key(county, year)
data census = bundled("zhejiang/census.csv")
weights traveltime = inverse(bundled("zhejiang/traveltime.csv"), origin, destination, minutes)
let cluster = clusters(census, digits=4, lq=1.25, min_firms=10)
let rich = income > 2 * mean(income, year == 2004)
let adult = age >= 18
let base = mean(income, year == 2004)
let poor04 = income < 0.5 * base
terms controls = age + edu + gender + rich
model m1 "Model 1": poor04 ~ cluster + W(cluster, traveltime) + controls | logit where year == 2004
model m2 "Model 2": log(income) ~ cluster + controls | fe(household) where adult
table t1 "Estimates" = m1, m2
  label cluster = "local industrial clusters"
  stat t
