#!/usr/bin/env bash
# Creates .venv with PyTorch and sweeper (editable, with the test extras). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
case "$(uname -m)" in
  # The releases this platform's pip cache and index serve (see README, "Installing").
  aarch64|arm64) TORCH="torch==2.9.1 torchvision==0.24.1" ;;
  *)             TORCH="torch==2.14.1 torchvision==0.29.1" ;;
esac
if ! .venv/bin/python -c "import torch, torchvision" 2>/dev/null; then
  echo "installing $TORCH into .venv (a few minutes the first time)"
  .venv/bin/pip install --quiet $TORCH
fi
.venv/bin/pip install --quiet -e ".[test]"
