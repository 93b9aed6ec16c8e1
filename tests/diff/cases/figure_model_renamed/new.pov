data households = bundled("zhejiang/households.csv") panel(household, year) region(county)
model base "Model 1": log(income) ~ age + edu | ols
# the figure follows the renamed model: only the rename is reported
figure f1 "Coefficients" = coef(base)
  label edu = "education"
