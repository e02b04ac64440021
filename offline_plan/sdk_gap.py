"""The one workaround of the offline plan around the Pulumi SDK's mock engine.

The gap: `pulumi.runtime.Mocks.new_resource` receives a `MockResourceArgs` with the
type, name, inputs, provider and custom flag only. None of the resource options reach
it (`retain_on_delete`, `replacement_trigger`, `delete_before_replace`,
`replace_on_changes`, aliases, the dependencies, the parent). The plan must show them:
they decide what `pulumi up` and `pulumi destroy` do.

A second gap: the SDK's MockMonitor names a resource's URN after its parent's own type
only, and counts the root stack as a parent (`...::pulumi:pulumi:Stack$a:index:A$...`);
the engine qualifies it with the parent's whole type chain and leaves the stack out
(pulumi/pulumi `sdk/go/common/resource/urn/urn.go`, `New`). The plan shows URNs
(`pulumi state delete`, `pulumi import --parent`), so `RecordingMonitor.make_urn` does
as the engine does.

A third gap: under `set_mocks` the root stack registers its outputs at once, empty, so
what the program passes to `pulumi.export` never reaches the monitor; `stack_exports`
reads it from the root stack resource instead.

A fourth gap: when an input of a registration fails (an Output whose apply raised, as
SenderDomainDns's zone check does), the error reaches the program's caller, but the
SDK leaves the futures of that registration holding it, unretrieved. At interpreter
exit asyncio logs each one ("Future exception was never retrieved", dozens per
resource) after the test report, or in the middle of later tests. They are garbage once
nothing holds the run's outputs: run_program runs each program in a context of its own;
`pulumi.runtime.test` keeps a run's outputs until its next run (a unit test that fails a
registration on purpose runs an empty one; the SDK's settings keep the last run's
outputs as their fallback until a run configures its own). `collect_failed_registrations`
then collects them at once, with asyncio's logger quiet. A full collection scans the
whole heap (a tenth of a second in the test suite's process), so run_program collects
only after a run that failed with a resource constructed (`ConstructedResources`: a failed
registration never reaches the monitor, so the monitor's record cannot tell) and after
the run that follows it; a program that stops before its first resource, as a refused
config does, leaves no such futures.

The workaround: `pulumi.runtime.set_mocks` takes a `monitor=` (a `MockMonitor`); this
subclass records the engine's RegisterResource and RegisterResourceOutputs requests (the
resource monitor protocol, `pulumi/proto/resource.proto`) next to what the SDK's
monitor answers. Nothing else in the repository touches the SDK's mock internals.
`tests/test_sdk_gap.py` fails once any gap closes, so this file can shrink or go.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import Mocks, rpc
from pulumi.runtime.mocks import MockMonitor

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"

# What `MockResourceArgs.__init__` takes in the SDK this works around (pulumi 3.272.0).
MOCK_RESOURCE_ARGS_FIELDS = ("typ", "name", "inputs", "provider", "resource_id", "custom", "transforms")


@dataclass
class RegisteredResource:
    """One RegisterResource request and the mock's answer, values deserialized
    (secrets as the SDK's wrapped secret values; see `rpc.is_rpc_secret`)."""

    urn: str
    id: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    dependencies: list[str]
    replace_on_changes: list[str]
    delete_before_replace: bool
    retain_on_delete: bool
    replacement_trigger: Any
    aliases: list[dict[str, Any]]
    """The alias specs (`pulumi.Alias`) as the request carries them."""
    import_id: str
    """The `import_` option: the id of the existing resource to adopt ('' for none)."""


def _value(value: struct_pb2.Value) -> Any:
    """A protobuf Value, deserialized as a property (a Struct of one field)."""
    holder = struct_pb2.Struct()
    holder.fields["value"].CopyFrom(value)
    return rpc.deserialize_properties(holder, keep_unknowns=True)["value"]


def is_secret(value: Any) -> bool:
    """A deserialized value the engine marked secret (`rpc.deserialize_properties` keeps
    the marker, as the SDK's resource protocol defines it)."""
    return rpc.is_rpc_secret(value)


def unwrap_secret(value: Any) -> Any:
    return rpc.unwrap_rpc_secret(value)


async def exported_values() -> dict[str, Any]:
    """The stack's exports, resolved and deserialized (secrets marked, see is_secret)."""
    wire = await rpc.serialize_properties(stack_exports(), {})
    return rpc.deserialize_properties(wire, keep_unknowns=True)


def collect_failed_registrations() -> None:
    """Collect the futures a failed registration left unretrieved (the fourth gap), so
    that asyncio does not log their error, which the caller has already had, at exit."""
    asyncio_log = logging.getLogger("asyncio")
    was_disabled = asyncio_log.disabled
    asyncio_log.disabled = True
    try:
        gc.collect()
    finally:
        asyncio_log.disabled = was_disabled


class ConstructedResources:
    """Counts the resources a program constructs, as a stack transformation (public API:
    `pulumi.runtime.register_stack_transformation`) that changes nothing. It sees each
    resource in its constructor, before its registration is sent, so a registration whose
    input fails (which the monitor never sees) counts too."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, args: pulumi.ResourceTransformationArgs) -> None:
        self.count += 1
        return None


def stack_exports() -> dict[str, Any]:
    """What the program passed to `pulumi.export` (values as given: Outputs, plain values)."""
    root = pulumi.runtime.get_root_resource()
    return dict(getattr(root, "outputs", {}))  # pulumi.runtime.stack.Stack.outputs


class RecordingMonitor(MockMonitor):
    """The SDK's MockMonitor, calling `record` with every resource it registers, and
    keeping the outputs each resource registers (`registered_outputs`, by URN)."""

    def __init__(self, mocks: Mocks, record: Callable[[RegisteredResource], None]):
        super().__init__(mocks)
        self._record = record
        self.registered_outputs: dict[str, dict[str, Any]] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN the engine gives: the parent's qualified type (its URN's type part),
        unless the parent is the root stack, then `$` and the resource's type."""
        if parent:
            qualified = parent.split("::")[2]
            if qualified != ROOT_STACK_TYPE:
                type_ = f"{qualified}${type_}"
        return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), type_, name])

    def RegisterResourceOutputs(self, request):  # noqa: N802 - the gRPC method's name
        self.registered_outputs[request.urn] = rpc.deserialize_properties(request.outputs, keep_unknowns=True)
        return super().RegisterResourceOutputs(request)

    def RegisterResource(self, request):  # noqa: N802 - the gRPC method's name
        urn = self.make_urn(request.parent, request.type, request.name)
        if urn in self.resources:  # the engine refuses a second resource of the same URN
            raise ValueError(f"Duplicate resource URN '{urn}'; try giving it a unique name")
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self._record(
                RegisteredResource(
                    urn=response.urn,
                    id=response.id,
                    type=request.type,
                    name=request.name,
                    custom=request.custom,
                    parent=request.parent,
                    provider=request.provider,
                    inputs=rpc.deserialize_properties(request.object, keep_unknowns=True),
                    outputs=rpc.deserialize_properties(response.object, keep_unknowns=True),
                    dependencies=list(request.dependencies),
                    replace_on_changes=list(request.replaceOnChanges),
                    delete_before_replace=request.deleteBeforeReplace,
                    retain_on_delete=request.retainOnDelete,
                    replacement_trigger=_value(request.replacement_trigger)
                    if request.HasField("replacement_trigger")
                    else None,
                    aliases=[json_format.MessageToDict(alias) for alias in request.aliases],
                    import_id=request.importId,
                )
            )
        return response
