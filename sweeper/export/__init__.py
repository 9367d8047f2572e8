"""`sweeper export`: a study's trials as TensorBoard event files or MLflow runs.

source.py reads the study read-only (sweeper.store.reads, shaped by the report's sql.py and
frames.py) into plain rows; tensorboard_runs.py and mlflow_runs.py only write those rows, each behind an optional
extra (`pip install 'sweeper[tensorboard]'`, `'sweeper[mlflow]'`) imported when used.
"""
