# The tables pictured in docs/tables.md (docs/layouts/render.py draws them).
data households = bundled("zhejiang/households.csv") panel(household, year) region(county)

terms controls = age + edu + gender

model m1 "Pooled": log(income) ~ capital + controls | ols
model m2 "Within": log(income) ~ capital + controls | fe(household)
model m3 "Two-way": log(income) ~ capital + controls | fe(household, year)

model m4 "2004": log(income) ~ capital + controls | ols
  where year == 2004

model m5 "2008": log(income) ~ capital + controls | ols
  where year == 2008

table rows "Fixed-effect rows, two statistics, labelled fit rows" = m1, m2, m3
  label log(income) = "ln(income)"
  label household = "Household FE"
  keep capital, edu
  stat se, p
  row "Controls" = "Yes", "Yes", "Yes"
  row fe
  fit r2 "R²" digits 3, r2_within "Within R²" digits 3

table intervals "95% confidence intervals" = m1, m2, m3
  label log(income) = "ln(income)"
  keep capital, edu
  stat ci95

table group "A column spanner" = m1, m2, m3
  label log(income) = "ln(income)"
  keep capital, edu
  group "Household panel" = m2, m3

table panels "Panels" = m4, m1, m5, m3
  label log(income) = "ln(income)"
  keep capital, edu
  panel "A. Ordinary least squares" = m4, m1
  panel "B. 2008 and fixed effects" = m5, m3

table width "A wide table at the text width" = m1, m2, m3, m4, m5
  label log(income) = "ln(farmers' per capita net income)"
  label capital = "productive capital per household member"
  label edu = "years of schooling of the household head"
  keep capital, edu
  fit width

table landscape "A sideways table" = m1, m2, m3, m4, m5
  label log(income) = "ln(income)"
  keep capital, edu
  landscape
