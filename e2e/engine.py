"""Runs inline Pulumi programs through the real engine (the Automation API drives the
Pulumi CLI; the program runs in this process, so no Python language host is needed),
with a local file backend in a temporary folder and the pulumi-kubernetes provider
binary that build.sh made, named by path in the project's Pulumi.yaml.

The test program is production code plus two test-only things:
- an explicit kubernetes provider for the throwaway API server (default providers are
  disabled, so nothing reaches an ambient cluster, and no `aws:` provider can be used:
  none exists here);
- a resource transform that sets `pulumi.com/skipAwait: "true"` on Deployment patches
  and Jobs, and `pulumi.com/deletionPropagationPolicy: "background"` on the objects the
  provider deletes, because no controller runs (see e2e/README.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pulumi import automation as auto

SKIP_AWAIT = "pulumi.com/skipAwait"
DELETION_PROPAGATION = "pulumi.com/deletionPropagationPolicy"
# The kinds the provider would await until a controller acts on them.
AWAITED_TYPES = ("kubernetes:apps/v1:DeploymentPatch", "kubernetes:apps/v1:Deployment", "kubernetes:batch/v1:Job")
PASSPHRASE = "e2e-only-passphrase"  # encrypts the throwaway stacks' secrets; not a credential


def without_controllers(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    """Test-only annotations, for a cluster where no controller runs:
    - skipAwait: the provider awaits a Deployment's rollout and a Job's completion, which
      never come;
    - deletionPropagationPolicy background: the provider deletes with foreground
      propagation by default, which leaves the object (with the `foregroundDeletion`
      finalizer) until the garbage collector removes it, and awaits its end. A patch
      is not deleted (it gives its fields up), so it does not get this one."""
    if not args.custom or not args.type_.startswith("kubernetes:"):
        return None
    added = {}
    if args.type_ in AWAITED_TYPES:
        added[SKIP_AWAIT] = "true"
    if not args.type_.endswith("Patch"):
        added[DELETION_PROPAGATION] = "background"
    if not added:
        return None
    props: dict[str, Any] = dict(args.props)
    metadata: dict[str, Any] = dict(props.get("metadata") or {})
    metadata["annotations"] = {**(metadata.get("annotations") or {}), **added}
    props["metadata"] = metadata
    return pulumi.ResourceTransformResult(props=props, opts=args.opts)


@dataclass
class Engine:
    """The CLI, the provider and a folder for backends, homes and projects."""

    pulumi_root: Path
    """Holds bin/pulumi."""
    provider_dir: Path
    """Holds pulumi-resource-kubernetes."""
    work: Path
    kubeconfig: Path
    _command: auto.PulumiCommand | None = field(default=None, init=False)

    def command(self) -> auto.PulumiCommand:
        if self._command is None:
            self._command = auto.PulumiCommand(root=str(self.pulumi_root))
        return self._command

    def stack(self, project: str, stack: str, body: Callable[[k8s.Provider], None]) -> auto.Stack:
        """An inline stack whose program runs BODY with the cluster's provider, every
        resource of it going through `without_controllers`."""
        project_dir = self.work / project
        home = self.work / "home"
        backend = self.work / "backend"
        # The CLI and the provider write temporary files (the provider a kubeconfig per
        # run, which it leaves): into this folder, which the session removes.
        tmp = self.work / "tmp"
        for folder in (project_dir, home, backend, tmp):
            folder.mkdir(parents=True, exist_ok=True)
        # JSON is YAML. `plugins` names the provider binary by path: the engine takes it
        # whatever version the SDK asks for, and fetches nothing.
        (project_dir / "Pulumi.yaml").write_text(
            json.dumps(
                {
                    "name": project,
                    "runtime": "python",
                    "backend": {"url": backend.as_uri()},
                    "plugins": {"providers": [{"name": "kubernetes", "path": str(self.provider_dir)}]},
                }
            )
        )
        kubeconfig = self.kubeconfig.read_text()

        def program() -> None:
            pulumi.runtime.register_resource_transform(without_controllers)
            provider = k8s.Provider("e2e-cluster", kubeconfig=kubeconfig)
            body(provider)

        result = auto.create_or_select_stack(
            stack_name=stack,
            project_name=project,
            program=program,
            opts=auto.LocalWorkspaceOptions(
                work_dir=str(project_dir),
                pulumi_home=str(home),
                pulumi_command=self.command(),
                env_vars={
                    "PULUMI_BACKEND_URL": backend.as_uri(),
                    "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
                    "PULUMI_SKIP_UPDATE_CHECK": "true",
                    "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
                    "PULUMI_HOME": str(home),
                    "TMPDIR": str(tmp),
                },
            ),
        )
        # Nothing may fall back to a default provider (an ambient cluster or AWS account).
        result.set_config("pulumi:disable-default-providers", auto.ConfigValue('["*"]'))
        return result


@dataclass
class Run:
    """What one `up` or `destroy` reported."""

    changes: dict[str, int]
    events: list[Any]
    stdout: str

    def diagnostics(self, severity: str) -> list[str]:
        return [
            event.diagnostic_event.message
            for event in self.events
            if event.diagnostic_event is not None and event.diagnostic_event.severity == severity
        ]


def up(stack: auto.Stack) -> Run:
    events: list[Any] = []
    result = stack.up(on_event=events.append, color="never")
    changes = {getattr(op, "value", str(op)): n for op, n in (result.summary.resource_changes or {}).items()}
    return Run(changes, events, result.stdout)


def destroy(stack: auto.Stack) -> Run:
    events: list[Any] = []
    result = stack.destroy(on_event=events.append, color="never")
    changes = {getattr(op, "value", str(op)): n for op, n in (result.summary.resource_changes or {}).items()}
    return Run(changes, events, result.stdout)


def resources(stack: auto.Stack) -> list[dict[str, Any]]:
    """The stack's state: every resource with its type, URN, inputs and outputs."""
    return (stack.export_stack().deployment or {}).get("resources", [])


def resource_of_type(stack: auto.Stack, type_: str) -> list[dict[str, Any]]:
    return [resource for resource in resources(stack) if resource["type"] == type_]
