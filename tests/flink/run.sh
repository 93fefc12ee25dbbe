#!/usr/bin/env bash
# The differential suite: each case runs natively and as compiled Flink SQL on
# a local Flink, and the rows must be equal. Builds the streamctl binary and a
# Python venv with PyFlink (pinned) under target/flink-venv, reused when
# present. Java 17 must be installed. Prints `N passed, N failed`.
#
#   tests/flink/run.sh            all cases
#   tests/flink/run.sh -k window  the cases whose name contains `window`
set -euo pipefail
cd "$(dirname "$0")/../.."

FLINK_VERSION=2.3.0
VENV=target/flink-venv
PY="$VENV/bin/python"

if ! command -v java >/dev/null; then
    echo "tests/flink: java not found; PyFlink needs a JDK 17 (apt-get install openjdk-17-jdk-headless)" >&2
    exit 1
fi
if ! "$PY" -c "import pyflink, importlib.metadata as m; assert m.version('apache-flink') == '$FLINK_VERSION'" 2>/dev/null; then
    echo "== creating $VENV with apache-flink==$FLINK_VERSION (about 850 MB)"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --no-cache-dir --disable-pip-version-check "apache-flink==$FLINK_VERSION"
fi

cargo build --quiet
exec "$PY" tests/flink/suite.py --bin target/debug/streamctl --work target/flink-work "$@"
