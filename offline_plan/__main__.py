"""python -m offline_plan STACK [--out DIR] [--config K=V] [--secret-config K=V] [--caller-account ID]:
what `pulumi up` would create, without the CLI.

Runs the program (program.main.main, what __main__.py calls) under the Pulumi SDK's
mock engine with the config of
Pulumi.STACK.yaml (plus the defaults of Pulumi.yaml) and writes the plan to
build/plan/STACK (see offline_plan/render.py). Needs no cloud credentials.
Exit status: 0 planned, 1 the program refused the config, 2 bad usage.
"""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

from offline_plan.engine import PROJECT, PROJECT_DIR
from offline_plan.golden import GOLDEN_DIR
from offline_plan.render import MARKER, PlanOutputError, created, remove_plan, write_plan
from offline_plan.stackfile import StackFileError
from offline_plan.stacks import plan_stack


def _pairs(values: list[str]) -> dict[str, str]:
    pairs = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--config expects KEY=VALUE, got {item!r}")
        pairs[key if ":" in key else f"{PROJECT}:{key}"] = value
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline_plan", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("stack", help="stack name: reads Pulumi.<stack>.yaml")
    parser.add_argument("--out", type=Path, help="output folder (default build/plan/<stack>)")
    parser.add_argument("--config", action="append", default=[], metavar="KEY=VALUE", help="override a config value")
    parser.add_argument(
        "--secret-config", action="append", default=[], metavar="KEY=VALUE", help="override a config value, as a secret"
    )
    parser.add_argument(
        "--caller-account", help="account of the mocked default credentials (default: clusterAccountId)"
    )
    args = parser.parse_args(argv)

    try:
        planned = plan_stack(
            args.stack,
            config=_pairs(args.config),
            secrets=_pairs(args.secret_config),
            caller_account_id=args.caller_account,
        )
    except StackFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    plan, notes = planned.plan, planned.notes
    out = args.out or PROJECT_DIR / "build" / "plan" / args.stack

    if plan.error is not None:
        for line in str(plan.error).splitlines():  # one line per bad key
            print(f"error: {line}", file=sys.stderr)
        if (out / MARKER).is_file():  # a plan of this folder's own, from an earlier run: not this config's
            try:
                remove_plan(out, PROJECT_DIR)
                shown = out.relative_to(PROJECT_DIR) if out.resolve().is_relative_to(PROJECT_DIR) else out
                print(f"error: removed the earlier plan in {shown}: it does not show this config", file=sys.stderr)
            except PlanOutputError:
                pass
        return 1
    try:
        if out.resolve().is_relative_to(GOLDEN_DIR.resolve()):
            raise PlanOutputError(f"{out} is among the golden plans: `python -m offline_plan.golden` writes those")
        write_plan(plan, out, notes)
    except PlanOutputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for line in [*notes, *plan.warnings]:
        print(f"warning: {line}")
    custom = len(created(plan))
    shown = out.relative_to(PROJECT_DIR) if out.is_relative_to(PROJECT_DIR) else out
    print(f"planned {custom} resources of stack {args.stack} into {shown}")
    records = " and the DNS records SES needs" if plan.outputs.get("senderDnsRecords") else ""
    print(f"next steps after pulumi up{records}: at the end of {shown / 'summary.md'}")
    return 0


if __name__ == "__main__":
    # One short run in a process of its own: the automatic garbage collector would spend a
    # tenth of the plan walking the SDKs' objects to win back memory the exit returns
    # anyway. A failed registration's futures are still collected (offline_plan/sdk_gap.py).
    gc.disable()
    sys.exit(main())
