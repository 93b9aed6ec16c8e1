data households = bundled("zhejiang/households.csv") panel(household, year) region(county)
model m1 "Model 1": log(income) ~ age + edu | ols
figure f1 "Coefficients" = coef(m1)
  label edu = "education"
