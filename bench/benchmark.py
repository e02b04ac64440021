"""How much the program itself costs, next to importing the SDKs it runs on.

    python bench/benchmark.py [--repeat N]

In one run, each in a fresh interpreter per repetition:
  (a) importing pulumi, pulumi_aws, pulumi_kubernetes and the provider modules the
      program uses (the floor every `pulumi preview` pays), and
  (b) the offline plan of every committed stack (`python -m offline_plan STACK`).
Prints minimum and median wall time, the program's own share
(plan - import) / import, and the number of resources per stack.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
# The SDKs and every provider class the program touches. Both providers load their
# modules lazily, on first attribute access, so the classes are named here: loading
# them is import cost, not the program's own work.
IMPORTS = (
    "import pulumi, pulumi_aws as aws, pulumi_kubernetes as k8s; "
    "aws.Provider, aws.get_caller_identity, aws.get_partition_output, aws.iam.get_policy_document_output, "
    "aws.iam.Role, aws.iam.RolePolicy, aws.iam.OpenIdConnectProvider, aws.iam.get_open_id_connect_provider_output, "
    "aws.iam.User, aws.iam.UserPolicy, aws.iam.AccessKey, aws.sesv2.EmailIdentity, aws.sesv2.EmailIdentityPolicy; "
    "k8s.core.v1.ServiceAccount, k8s.core.v1.Secret, k8s.core.v1.ConfigMap, k8s.apps.v1.DeploymentPatch"
)
PLANNED = re.compile(r"planned (\d+) resources")


def timed(command: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, result.stdout


def stacks() -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in PROJECT_DIR.glob("Pulumi.*.yaml"))


def row(label: str, times: list[float], floor: float | None, extra: str = "") -> str:
    low, mid = min(times), statistics.median(times)
    share = f"{(mid - floor) / floor:6.2f}" if floor else "     -"
    return f"| {label:<14} | {low:6.2f} | {mid:6.2f} | {share} | {extra:>9} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    imports = [timed([sys.executable, "-c", IMPORTS])[0] for _ in range(args.repeat)]
    floor = statistics.median(imports)
    lines = [
        "| run            | min s  | median s | (plan - import) / import | resources |",
        "| ---            | ---    | ---      | ---                      | ---       |",
        row("import only", imports, None),
    ]
    with tempfile.TemporaryDirectory() as out:
        for stack in stacks():
            runs = [
                timed([sys.executable, "-m", "offline_plan", stack, "--out", f"{out}/{stack}"])
                for _ in range(args.repeat)
            ]
            count = PLANNED.search(runs[0][1])
            lines.append(row(f"plan {stack}", [t for t, _ in runs], floor, count.group(1) if count else "?"))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
