#!/usr/bin/env bash
# Sets everything up, then runs the digits study on the CPU with 2 workers into ./sweeper.db.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/sweeper run studies/digits.py --workers 2 "$@"
