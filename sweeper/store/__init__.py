"""Everything sweeper keeps in a database: the one place that knows Optuna's tables.

schema.py names the tables, engines.py opens storages (writers and read-only readers),
reads.py holds every read of the read side, writes.py every write past Optuna's API, and
optuna_private.py every use of Optuna's private API. Nothing outside this package writes SQL
on Optuna's tables or touches Optuna's internals (tests/store/test_boundary.py).
"""
