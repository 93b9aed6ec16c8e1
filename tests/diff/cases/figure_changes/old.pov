data households = bundled("zhejiang/households.csv") panel(household, year) region(county)
model m1 "Model 1": log(income) ~ age + edu | ols
model m2 "Model 2": log(income) ~ age + edu + gender | ols
figure f1 "Coefficients" = coef(m1, m2)
  keep age
figure f2 = coef(m1)
figure f4 = coef(m1)
