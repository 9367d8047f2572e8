#!/usr/bin/env bash
# The tests that touch Optuna's tables, against the lowest Optuna that pyproject.toml admits
# (sweeper writes some of Optuna's tables itself and reads all of them with SQL: see
# docs/architecture.md, "Layers"). One small venv on top of the project's: a .pth file puts the
# project venv's packages after its own, so only Optuna differs (--system-site-packages would
# reach the base interpreter's, not the project venv's). Made once, kept in .venv-optuna-lowest.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
lowest=$(sed -n 's/.*"optuna>=\([0-9.]*\),.*/\1/p' pyproject.toml)
venv=.venv-optuna-lowest
python=${PYTHON:-.venv/bin/python}
if [ "$("$venv/bin/python" -c 'import optuna; print(optuna.__version__)' 2>/dev/null)" != "$lowest" ]; then
  "$python" -m venv "$venv"
  packages() { "$1" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'; }
  packages "$python" >"$(packages "$venv/bin/python")/project-venv.pth"
  "$venv/bin/python" -m pip install -q --no-deps "optuna==$lowest"
fi
echo "tests against optuna $lowest"
PYTHONPATH=$PWD exec "$venv/bin/python" -m pytest -q -p no:cacheprovider \
  tests/store tests/sweep/test_storage.py tests/sweep/test_pruning.py \
  tests/sweep/test_long_attributes.py tests/sweep/test_promotion.py \
  tests/report/test_plain_optuna.py tests/report/test_report.py "$@"
