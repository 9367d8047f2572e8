"""Everything sweeper keeps in a database: the one place that knows Optuna's tables."""
