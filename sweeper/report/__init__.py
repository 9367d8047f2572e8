"""`sweeper report`: a study's tables and curves rebuilt from the storage alone.

sql.py reads Optuna's tables and sweeper_epochs into DataFrames; frames.py, tables.py and
importance.py compute the report's frames (build.py assembles them into a Report); figures.py,
export.py and terminal.py only render those frames.
"""

from sweeper.report.build import Report, build_report

__all__ = ["Report", "build_report"]
