"""How much the program itself costs, next to importing the SDKs it runs on.

    python bench/benchmark.py [--repeat N]

In one run, each in a fresh interpreter per repetition:
  (a) importing pulumi, pulumi_aws, pulumi_kubernetes and the provider modules the
      program uses (the floor every `pulumi preview` pays), and
  (b) the offline plan of every committed stack (`python -m offline_plan STACK`).
The repetitions take turns (the import, then each stack), so a busy moment of a shared
machine weighs on all of them alike. As on a user's machine, Python keeps the bytecode of
the project's modules (in a temporary pycache, after one warm-up round not counted), as it
has the SDKs' since pip compiled them; `--no-bytecode` measures a machine that forbids it
(PYTHONDONTWRITEBYTECODE, as this project's CI VM sets): every run compiles the project's
modules anew. Prints minimum and median wall time, the median CPU
time (user + system, what other processes on the machine do not change much), the
program's own share (plan - import) / import of each, and the number of resources per stack.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
# The SDKs and every provider class the program touches in every stack. Both providers
# load their modules lazily, on first attribute access, so the classes are named here:
# loading them is import cost, not the program's own work. k8s.batch.v1 and k8s.meta.v1 are
# loaded by every plan, with or without a smoke test Job: the SDK reads the type annotations
# of each component (ZmsWiring.smoke_test_job) and of each input type (ObjectMetaArgs).
# Modules only some stacks load (sns and route53 for bounce handling and a sender domain,
# eks for Pod Identity) count in those stacks' share.
IMPORTS = (
    "import pulumi, pulumi_aws as aws, pulumi_kubernetes as k8s; "
    "aws.Provider, aws.get_caller_identity, aws.get_partition_output, "
    "aws.iam.Role, aws.iam.RolePolicy, aws.iam.OpenIdConnectProvider, aws.iam.get_open_id_connect_provider_output, "
    "aws.iam.User, aws.iam.UserPolicy, aws.iam.AccessKey, aws.sesv2.EmailIdentity, aws.sesv2.EmailIdentityPolicy; "
    "k8s.core.v1.ServiceAccount, k8s.core.v1.Secret, k8s.core.v1.ConfigMap, k8s.apps.v1.DeploymentPatch, "
    "k8s.batch.v1.Job, k8s.meta.v1.ObjectMetaArgs"
)
PLANNED = re.compile(r"planned (\d+) resources")


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall time, CPU time (user + system of the child) and standard output of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, check=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the runs are waited for one at a time
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, result.stdout


def stacks() -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in PROJECT_DIR.glob("Pulumi.*.yaml"))


def row(label: str, runs: list[tuple[float, float, str]], floor: tuple[float, float] | None, extra: str = "") -> str:
    walls, cpus = [wall for wall, _, _ in runs], [cpu for _, cpu, _ in runs]
    low, mid, cpu = min(walls), statistics.median(walls), statistics.median(cpus)
    share = f"{(mid - floor[0]) / floor[0]:6.2f}" if floor else "     -"
    cpu_share = f"{(cpu - floor[1]) / floor[1]:6.2f}" if floor else "     -"
    return f"| {label:<14} | {low:6.2f} | {mid:6.2f} | {cpu:6.2f} | {share} | {cpu_share} | {extra:>9} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-bytecode", action="store_true", help="compile the project's modules on every run")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as out:
        env = dict(os.environ)
        if args.no_bytecode:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        else:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = f"{out}/pycache"  # nothing is written into the checkout
        commands = {"import only": [sys.executable, "-c", IMPORTS]} | {
            f"plan {stack}": [sys.executable, "-m", "offline_plan", stack, "--out", f"{out}/{stack}"]
            for stack in stacks()
        }
        runs: dict[str, list[tuple[float, float, str]]] = {label: [] for label in commands}
        for command in commands.values():  # warm-up: the bytecode, the file system's caches
            timed(command, env)
        for _ in range(args.repeat):
            for label, command in commands.items():
                runs[label].append(timed(command, env))
    imports = runs.pop("import only")
    floor = (statistics.median(wall for wall, _, _ in imports), statistics.median(cpu for _, cpu, _ in imports))
    lines = [
        "| run            | min s  | median s | CPU s  | (plan - import) / import | same, CPU | resources |",
        "| ---            | ---    | ---      | ---    | ---                      | ---       | ---       |",
        row("import only", imports, None),
    ]
    for label, stack_runs in runs.items():
        count = PLANNED.search(stack_runs[0][2])
        lines.append(row(label, stack_runs, floor, count.group(1) if count else "?"))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
