#!/usr/bin/env bash
# Sets everything up (the venv; PostgreSQL, Chromium, PgBouncer, Slurm and munge from Debian's
# packages when missing, which needs root) and runs the whole test suite, after the tests that
# touch Optuna's tables against the lowest Optuna admitted. Extra arguments go to pytest, and
# then only the tests they name run (not the lowest-Optuna pass).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || need+=(pgbouncer)
# A one-node Slurm cluster for tests/submit (slurmctld + slurmd on localhost, munge for auth).
command -v slurmctld >/dev/null || [ -x /usr/sbin/slurmctld ] || need+=(slurm-wlm)
command -v munged >/dev/null || [ -x /usr/sbin/munged ] || need+=(munge)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing ${need[*]} from Debian's packages"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing ${need[*]}: install them (sudo apt-get install ${need[*]}) or their tests are skipped" >&2
  fi
fi
bash scripts/setup.sh
# The lowest Optuna pyproject.toml admits, on the tests that touch Optuna's tables (~1 min):
# with the whole suite (CI), not when a few tests are named.
if [ $# -eq 0 ]; then
  bash scripts/test_lowest_optuna.sh
fi
exec .venv/bin/python -m pytest -q "$@"
