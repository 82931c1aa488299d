"""Runs: papermill execution, the report pipeline and its executors, the command line."""
