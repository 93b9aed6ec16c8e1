data households = bundled("zhejiang/households.csv") panel(household, year) region(county)
model m1 "Model 1": log(income) ~ age + edu | ols
model m2 "Model 2": log(income) ~ age + edu + gender | ols
figure f1 "Coefficients of age" = coef(m2, m1)
  keep age, edu
  level 0.9
  label age = "Age"
  format png
figure f3 = coef(m1)
  note "x"
figure f4 = sweep(m1)
