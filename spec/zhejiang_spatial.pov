# Model 3's spillover question with spatial models (docs/spatial.md).
# Spatial models need one row per region: the bundled county table, 2008.
data counties = bundled("zhejiang/counties.csv") panel(county, year) region(county)
data regions = bundled("zhejiang/counties.csv") key(county, year)
data census = bundled("zhejiang/census.csv")

weights traveltime = inverse(bundled("zhejiang/traveltime.csv"), origin, destination, minutes)

let cluster = clusters(census, digits=4, lq=1.25, min_firms=10)

model slx3 "SLX": log(gdp / area) ~ cluster + W(cluster, traveltime) | slx(traveltime)
  where year == 2008

model sdm3 "SDM": log(gdp / area) ~ cluster | sdm(traveltime)
  where year == 2008

model sem3 "SEM": log(gdp / area) ~ cluster + W(cluster, traveltime) | sem(traveltime)
  where year == 2008

table spill "Cluster spillovers across counties" = slx3, sdm3, sem3
  label cluster = "local industrial clusters"
  label W(cluster, traveltime) = "industrial clusters in other regions"
  show impacts
  fit loglik, aic, moran, moran_pvalue, lm_lag, lm_error
