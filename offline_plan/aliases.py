"""Which URN of an earlier state the Pulumi engine finds a planned resource under: its own,
else one of its aliases, formed as the engine forms them (pulumi/pulumi
`pkg/resource/deploy/step_generator.go`: generateSteps, generateAliases,
collapseAliasToUrn, inheritedChildAlias).

The engine looks a resource up in the earlier state by its URN first, then by each alias,
in this order:

- the aliases the program gave it (the plan records their specs): a spec's name, type
  and parent, each defaulting to the resource's own; a parent given by URN is taken at
  the URN it was found under if it matched by an alias; `noParent`, or the root stack as
  parent, puts the alias at the stack's root;
- if its parent was found under an alias, the same resource under that old parent URN
  (its type qualified by the old parent's), and, if its name starts with its parent's
  name, with that start replaced by the old parent's name (a child named `<parent>-x`
  follows the rename); the same again for each of its own aliases.

Only the alias its parent really matched is carried over, so a resource follows its parent
into the state the parent was found in. `match` replays that against an earlier state;
`earlier_names` lists every name a resource may have had in any earlier state, for what
keeps an old name (an auto-named AWS resource found under an alias keeps its physical
name, `<old logical name>-<random>`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from offline_plan.engine import PlannedResource

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def qualified_type(urn: str) -> str:
    return urn.split("::")[2]


def urn_name(urn: str) -> str:
    return urn.split("::", 3)[3]


def _stack_and_project(urn: str) -> tuple[str, str]:
    stack, project = urn.removeprefix("urn:pulumi:").split("::")[:2]
    return stack, project


def create_urn(stack: str, project: str, parent_type: str, type_: str, name: str) -> str:
    """resource.NewURN: the type qualified by the parent's, unless there is no parent or it
    is the root stack."""
    if parent_type and parent_type != ROOT_STACK_TYPE:
        type_ = f"{parent_type}${type_}"
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


def collapse(r: PlannedResource, alias: Mapping[str, Any], found_under: Mapping[str, str]) -> str:
    """collapseAliasToUrn: one alias of `r` as a URN. `found_under`: the earlier URN of each
    resource that matched by an alias."""
    if alias.get("urn"):
        return alias["urn"]
    spec = alias.get("spec", {})
    stack, project = _stack_and_project(r.urn)
    parent = spec.get("parentUrn") or ""
    parent = found_under.get(parent, parent) if parent else r.parent
    if spec.get("noParent"):
        parent = ""
    return create_urn(
        spec.get("stack") or stack,
        spec.get("project") or project,
        qualified_type(parent) if parent else "",
        spec.get("type") or r.type,
        spec.get("name") or r.name,
    )


def inherited(r: PlannedResource, type_: str, name: str, parent_alias: str) -> str:
    """inheritedChildAlias: `name` (of `type_`) under the parent's earlier URN, the start
    that is the parent's name replaced by the earlier one."""
    parent_name = urn_name(r.parent)
    if name.startswith(parent_name):
        name = urn_name(parent_alias) + name[len(parent_name) :]
    stack, project = _stack_and_project(r.urn)
    return create_urn(stack, project, qualified_type(parent_alias), type_, name)


def aliases_of(r: PlannedResource, found_under: Mapping[str, str]) -> list[str]:
    """generateAliases: `r`'s aliases in the engine's order, given where each earlier
    resource was found (`found_under`, new URN -> earlier URN, alias matches only)."""
    own = [collapse(r, alias, found_under) for alias in r.aliases]
    out = list(own)
    parent_alias = found_under.get(r.parent)
    if parent_alias:
        out.append(inherited(r, r.type, r.name, parent_alias))
        out += [inherited(r, qualified_type(a).split("$")[-1], urn_name(a), parent_alias) for a in own]
    return list(dict.fromkeys(out))


@dataclass
class Matching:
    """A plan replayed against an earlier state."""

    found: dict[str, str] = field(default_factory=dict)
    """earlier URN -> the new URN of the resource found under it."""
    problems: list[str] = field(default_factory=list)
    """What the engine would refuse (an earlier URN claimed twice, or taken by a new URN)."""

    @property
    def renamed(self) -> dict[str, str]:
        return {old: new for old, new in self.found.items() if old != new}


def match(resources: Sequence[PlannedResource], earlier: Iterable[str]) -> Matching:
    """What each resource of a plan (in registration order, parents first) finds in a
    state of `earlier` URNs, as the engine's generateSteps looks it up."""
    olds = set(earlier)
    result = Matching()
    found_under: dict[str, str] = {}  # the engine's sg.aliases
    seen: set[str] = set()  # the engine's sg.urns
    for r in resources:
        if r.urn in found_under.values():
            result.problems.append(f"{r.urn}: another resource was found under this URN by an alias")
        seen.add(r.urn)
        for candidate in (r.urn, *aliases_of(r, found_under)):
            if candidate not in olds:
                continue
            if candidate != r.urn:
                if candidate in seen:
                    result.problems.append(f"{r.urn}: its alias {candidate} is a resource of this plan")
                if candidate in result.found:
                    result.problems.append(f"{r.urn}: its alias {candidate} was claimed by {result.found[candidate]}")
                found_under[r.urn] = candidate
            result.found[candidate] = r.urn
            break
    return result


def earlier_names(resources: Sequence[PlannedResource]) -> dict[str, list[str]]:
    """URN -> every other name the resource may have had in an earlier state: through its
    own aliases or any alias its parent may have been found under."""
    possible: dict[str, list[str]] = {}  # URN -> the earlier URNs it may be found under
    for r in resources:
        candidates = aliases_of(r, {})
        for parent_alias in possible.get(r.parent, []):
            candidates += aliases_of(r, {r.parent: parent_alias})
        possible[r.urn] = list(dict.fromkeys(c for c in candidates if c != r.urn))
    return {
        urn: names
        for urn, urns in possible.items()
        if (names := list(dict.fromkeys(n for n in map(urn_name, urns) if n != urn_name(urn))))
    }
