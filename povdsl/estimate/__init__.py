"""The estimate stage: compile designs, fit them through the estimator registry, sweeps."""
