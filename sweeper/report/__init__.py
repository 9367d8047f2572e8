"""`sweeper report`: a study's tables and curves rebuilt from the storage alone.

sweeper.store.reads reads Optuna's tables and sweeper_epochs; sql.py shapes those rows into
frames; frames.py, tables.py and importance.py compute the report's frames (build.py assembles them into a Report); figures.py,
export.py and terminal.py only render those frames.
"""

# Nothing heavy here: `sweeper --help` imports report.command, which must not pull in pandas,
# plotly or Optuna. Import build_report from sweeper.report.build.
TOP_CURVES = 5  # learning curves drawn for the best few finished trials
