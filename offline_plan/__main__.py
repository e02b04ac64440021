"""python -m offline_plan STACK [--out DIR]: what `pulumi up` would create, without the CLI.

Runs __main__.py under the Pulumi SDK's mock engine with the config of
Pulumi.STACK.yaml (plus the defaults of Pulumi.yaml) and writes the plan to
build/plan/STACK (see offline_plan/render.py). Needs no cloud credentials.
Exit status: 0 planned, 1 the program refused the config, 2 bad usage.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import zipfile
from pathlib import Path

from offline_plan.engine import PROJECT, PROJECT_DIR, run_program
from offline_plan.render import write_plan
from offline_plan.stackfile import StackFileError, stack_config


def placeholder_jar(directory: Path) -> Path:
    """A small, always identical jar, standing in for a plugin that is not built yet."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as jar:
        info = zipfile.ZipInfo("META-INF/MANIFEST.MF", date_time=(1980, 1, 1, 0, 0, 0))
        jar.writestr(info, "Manifest-Version: 1.0\nCreated-By: athenz-ses offline plan (placeholder)\n")
    path = directory / "placeholder-plugin.jar"
    path.write_bytes(buffer.getvalue())
    return path


def _pairs(values: list[str]) -> dict[str, str]:
    pairs = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--config expects KEY=VALUE, got {item!r}")
        pairs[key if ":" in key else f"{PROJECT}:{key}"] = value
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline_plan", description=__doc__.splitlines()[0])
    parser.add_argument("stack", help="stack name: reads Pulumi.<stack>.yaml")
    parser.add_argument("--out", type=Path, help="output folder (default build/plan/<stack>)")
    parser.add_argument("--config", action="append", default=[], metavar="KEY=VALUE", help="override a config value")
    parser.add_argument("--secret-config", action="append", default=[], metavar="KEY=VALUE", help="override a config value, as a secret")
    parser.add_argument("--caller-account", help="account of the mocked default credentials (default: clusterAccountId)")
    args = parser.parse_args(argv)

    try:
        config = stack_config(args.stack)
    except StackFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    secrets = _pairs(args.secret_config)
    config.update(_pairs(args.config))
    config.update(secrets)
    out = args.out or PROJECT_DIR / "build" / "plan" / args.stack

    with tempfile.TemporaryDirectory() as scratch:
        jar_key = f"{PROJECT}:pluginJar"
        notes = []
        if jar_key in config and not (PROJECT_DIR / config[jar_key]).is_file():
            notes.append(f"pluginJar {config[jar_key]} is not built: planned with a placeholder jar (build the plugin before `pulumi up`)")
            config[jar_key] = str(placeholder_jar(Path(scratch)))
        plan = run_program(args.stack, config, secret_keys=tuple(secrets), caller_account_id=args.caller_account)

    if plan.error is not None:
        print(f"error: {plan.error}", file=sys.stderr)
        return 1
    write_plan(plan, out)
    for line in [*notes, *plan.warnings]:
        print(f"warning: {line}")
    custom = sum(r.custom for r in plan.resources)
    print(f"planned {custom} resources of stack {args.stack} into {out.relative_to(PROJECT_DIR) if out.is_relative_to(PROJECT_DIR) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
