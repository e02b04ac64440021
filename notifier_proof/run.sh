#!/usr/bin/env bash
# The proof of ZmsNotificationSmoke against Athenz's real notifier (notifier_proof/README.md).
# Run from anywhere, after the repository's setup (venv with requirements-dev.txt):
#   bash notifier_proof/run.sh [pytest arguments]
# Needs java and javac (JDK 17) and mvn (Maven Central). Exits non-zero when a test
# fails and when no test ran (pytest's exit code 5).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
for tool in java javac mvn; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 2; }
done
[ -x venv/bin/python ] || { echo "run.sh: no venv; see README.md (Start here)" >&2; exit 2; }

venv/bin/pip install -q --require-hashes -r requirements-proof.lock

# Athenz's classpath from Maven Central (cached in ~/.m2): the pinned one, and the same
# with athenz-server-common of a newer ZMS (profile newer-server-common).
target="$root/notifier_proof/target"
mkdir -p "$target"
mvn_quiet() {  # Maven 3.8's -q still prints colour resets; its errors stay visible
    mvn -q -B -f notifier_proof/pom.xml "$@" 2>&1 | { sed -e 's/\x1b\[[0-9;]*m//g' | grep -v '^$' || true; }
}
mvn_quiet dependency:build-classpath -Dmdep.outputFile="$target/classpath.txt"
mvn_quiet -P newer-server-common dependency:build-classpath -Dmdep.outputFile="$target/classpath-newer.txt"

version() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" notifier_proof/pom.xml | head -n 1; }
echo "notifier proof: Athenz $(version athenz.version) (athenz-server-common also $(version athenz.newer.version)), AWS SDK for Java $(version aws2.version), $(java -version 2>&1 | head -n 1)"

# From notifier_proof/, so that pytest takes its pytest.ini (testpaths = tests).
cd "$root/notifier_proof"
exec ../venv/bin/python -m pytest "$@"
