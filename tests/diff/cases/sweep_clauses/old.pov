data households = bundled("zhejiang/households.csv") panel(household, year) region(county)
data counties = bundled("zhejiang/counties.csv") key(county, year)
weights traveltime = inverse(bundled("zhejiang/traveltime.csv"), origin, destination, minutes)
weights nearest5 = inverse(bundled("zhejiang/traveltime.csv"), origin, destination, minutes, k=5)
weights matrices = [traveltime]
model r "Robust" for c in cumulative(age, edu) for w in matrices: log(income) ~ land + W(gdp, w) + c | ols
model s "Years" for t in [2004, 2008]: log(income) ~ land | ols
  where year == t
