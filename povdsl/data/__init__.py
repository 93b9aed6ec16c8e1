"""The data stage: read declared files, build weights, evaluate `let`; frames for the estimators."""
