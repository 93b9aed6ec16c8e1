# Industrial clusters and rural poverty, Zhejiang 2004 and 2008.
# The data are povdsl's bundled synthetic stand-in for the paper's
# confidential microdata (see docs/data.md).
data households = bundled("zhejiang/households.csv") panel(household, year) region(county)
data counties = bundled("zhejiang/counties.csv") key(county, year)
data census = bundled("zhejiang/census.csv")

# Paper: w_ij = 1 / travel minutes between county seats, zero diagonal.
weights traveltime = inverse(bundled("zhejiang/traveltime.csv"), origin, destination, minutes)

# Robustness (Table 7): each county's five nearest counties by travel time, row-standardised.
weights nearest5 = inverse(bundled("zhejiang/traveltime.csv"), origin, destination, minutes, k=5, row_standardize=true)
weights matrices = [traveltime, nearest5]

# Four-digit industries with location quotient >= 1.25 and at least 10 firms.
let cluster = clusters(census, digits=4, lq=1.25, min_firms=10)

# Relative poverty lines: half of mean income in 2004 and in 2008.
let poor04 = income < 0.5 * mean(income, year == 2004)
let poor08 = income < 0.5 * mean(income, year == 2008)

# Economic density: GDP (100 million yuan) per square kilometre.
let density = gdp / area

terms controls = age + edu + gender + pop + land + capital

model m1 "Model 1": poor04 ~ cluster + W(cluster, traveltime) + controls | logit
model m2 "Model 2": poor08 ~ cluster + W(cluster, traveltime) + controls | logit
model m3 "Model 3": log(income) ~ cluster + W(cluster, traveltime) + controls | fe(household)

# Robustness: economic density instead of cluster counts.
model m4 "Model 4": log(income) ~ density + controls | fe(household)
model m5 "Model 5": poor04 ~ density + controls | logit

# Endogeneity: county GDP ten years earlier instruments the cluster terms.
model m6 "Model 6": log(income) ~ cluster + W(cluster, traveltime) + controls | gmm(iv=gdp_lag10)
model m7 "Model 7": poor04 ~ cluster + W(cluster, traveltime) + controls | gmm(iv=gdp_lag10)

# Poor and non-poor households (2004 line).
model m8 "Model 8": log(income) ~ cluster + W(cluster, traveltime) + controls | gmm(iv=gdp_lag10)
  where poor04 == 1

model m9 "Model 9": log(income) ~ cluster + W(cluster, traveltime) + controls | gmm(iv=gdp_lag10)
  where poor04 == 0

table table1 "Estimates of industrial clusters and poverty reduction" = m1, m2, m3
  label poor04 = "The probability of poverty (2004)"
  label poor08 = "The probability of poverty (2008)"
  label log(income) = "ln(farmers' per capita net income)"
  label cluster = "local industrial clusters"
  label W(cluster, traveltime) = "industrial clusters in other regions"
  label edu = "education"
  stat t
  stars 0.10 0.05 0.01

# The cluster coefficients of Models 1-3 with their 95% confidence intervals.
figure figure1 "Industrial clusters in Models 1-3" = coef(m1, m2, m3)
  keep cluster, W(cluster, traveltime)
  label cluster = "local industrial clusters"
  label W(cluster, traveltime) = "industrial clusters in other regions"
  note "Models 1 and 2 are logits (log-odds of poverty); Model 3 is in log income."
  format pdf, svg, png

table table2 "Robustness test of economic density on farmers' income" = m4, m5
  label density = "economic density"
  label poor04 = "The probability of poverty (2004)"
  label log(income) = "ln(farmers' per capita net income)"
  label edu = "education"
  stat t
  stars 0.10 0.05 0.01

table table3 "The estimation results of the GMM model" = m6, m7
  label poor04 = "The probability of poverty (2004)"
  label log(income) = "ln(farmers' per capita net income)"
  label cluster = "local industrial clusters"
  label W(cluster, traveltime) = "industrial clusters in other regions"
  label edu = "education"
  stat t
  stars 0.10 0.05 0.01
  fit j_stat, j_pvalue, first_stage_f

table table4 "Estimates of poverty and non-poverty" = m8, m9
  label log(income) = "ln(farmers' per capita net income)"
  label cluster = "local industrial clusters"
  label W(cluster, traveltime) = "industrial clusters in other regions"
  label edu = "education"
  stat t
  stars 0.10 0.05 0.01
  fit j_stat, j_pvalue, first_stage_f

# One model per industry (Tables 5 and 6): the county's cluster count in that
# industry as the regressor, one cross-section per census year.
data industry_names = bundled("zhejiang/industries.csv")

model inc04_3 "Income 2004, 3-digit" for industry in industries(census, digits=3, year=2004, names=industry_names): log(income) ~ clusters(census, digits=3, industry=industry) + controls | ols
  where year == 2004

model inc04_4 "Income 2004, 4-digit" for industry in industries(census, digits=4, year=2004, names=industry_names): log(income) ~ clusters(census, digits=4, industry=industry) + controls | ols
  where year == 2004

model pov04_3 "Poverty 2004, 3-digit" for industry in industries(census, digits=3, year=2004, names=industry_names): poor04 ~ clusters(census, digits=3, industry=industry) + controls | logit
  where year == 2004

model pov04_4 "Poverty 2004, 4-digit" for industry in industries(census, digits=4, year=2004, names=industry_names): poor04 ~ clusters(census, digits=4, industry=industry) + controls | logit
  where year == 2004

table table5 "The estimation results of classifying industries in 2004" = inc04_3, inc04_4, pov04_3, pov04_4
  layout sweep
  significant only
  label poor04 = "The probability of poverty (2004)"
  label log(income) = "ln(farmers' per capita net income)"
  stat none
  stars 0.10 0.05 0.01

# Every three-digit industry of Table 5's income column, not only the significant ones.
figure figure5 "Industry clusters and income in 2004, three-digit industries" = sweep(inc04_3)
  format pdf, svg, png

model inc08_3 "Income 2008, 3-digit" for industry in industries(census, digits=3, year=2008, names=industry_names): log(income) ~ clusters(census, digits=3, industry=industry) + controls | ols
  where year == 2008

model inc08_4 "Income 2008, 4-digit" for industry in industries(census, digits=4, year=2008, names=industry_names): log(income) ~ clusters(census, digits=4, industry=industry) + controls | ols
  where year == 2008

model pov08_3 "Poverty 2008, 3-digit" for industry in industries(census, digits=3, year=2008, names=industry_names): poor08 ~ clusters(census, digits=3, industry=industry) + controls | logit
  where year == 2008

model pov08_4 "Poverty 2008, 4-digit" for industry in industries(census, digits=4, year=2008, names=industry_names): poor08 ~ clusters(census, digits=4, industry=industry) + controls | logit
  where year == 2008

table table6 "The estimation results of dividing industries in 2008" = inc08_3, inc08_4, pov08_3, pov08_4
  layout sweep
  significant only
  label poor08 = "The probability of poverty (2008)"
  label log(income) = "ln(farmers' per capita net income)"
  stat none
  stars 0.10 0.05 0.01

# The same for Table 6 (2008).
figure figure6 "Industry clusters and income in 2008, three-digit industries" = sweep(inc08_3)

# A multiverse: Model 3 across cumulative control sets and both weight matrices
# (3 x 2 = 6 fits; the last-but-one row is Model 3 itself).
model robust3 "Model 3" for c in cumulative(age + edu + gender, pop + land, capital) for w in matrices: log(income) ~ cluster + W(cluster, w) + c | fe(household)

table table7 "Robustness of Model 3 across control sets and weight matrices" = robust3
  layout sweep c by w
  label log(income) = "ln(farmers' per capita net income)"
  label cluster = "local industrial clusters"
  label age + edu + gender = "age, education, gender"
  label age + edu + gender + pop + land = "+ household size, land"
  label age + edu + gender + pop + land + capital = "+ capital (Model 3's controls)"
  label traveltime = "inverse travel time"
  label nearest5 = "five nearest, row-standardised"
  stat t
  stars 0.10 0.05 0.01

# The same multiverse as a specification curve: sorted estimates above, choices below.
figure figure7 "Model 3 across control sets and weight matrices" = curve(robust3, term=cluster)
  label cluster = "local industrial clusters"
  label age + edu + gender = "age, education, gender"
  label age + edu + gender + pop + land = "+ household size, land"
  label age + edu + gender + pop + land + capital = "+ capital (Model 3's controls)"
  label traveltime = "inverse travel time"
  label nearest5 = "five nearest, row-standardised"
  format pdf, svg, png
