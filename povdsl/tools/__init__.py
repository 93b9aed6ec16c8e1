"""Tools beside the pipeline: fmt, explain, diff and the command line."""
