"""Server-side apply's field ownership, as the tests compare it: an applied object's
fields as paths in `metadata.managedFields[].fieldsV1` notation, and the live object with
a patch's fields taken out again.

A path is a tuple of fieldsV1 keys: `f:<field>` for a field, `k:{...}` for an item of an
associative list (by its merge key, as the API server writes it), and `.` for that item
itself. Only the lists a ZMS pod template patch touches are known here.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

Path = tuple[str, ...]

# Associative lists of a Deployment (apps/v1) that patches of ZMS touch: their merge keys.
MERGE_KEYS = {
    "containers": ("name",),
    "initContainers": ("name",),
    "env": ("name",),
    "volumes": ("name",),
    "volumeMounts": ("mountPath",),
}
# Atomic structs (`+structType=atomic` in k8s.io/api): owned whole, as one field.
ATOMIC = {"secretKeyRef", "configMapKeyRef", "fieldRef", "resourceFieldRef"}
# Fields the API server never records as owned: an object's identity and type.
UNOWNED = {("f:apiVersion",), ("f:kind",), ("f:metadata", "f:name"), ("f:metadata", "f:namespace")}


def _item_key(field: str, item: Mapping[str, Any]) -> str:
    keys = MERGE_KEYS[field]
    return "k:" + json.dumps({key: item[key] for key in sorted(keys)}, separators=(",", ":"))


def applied_fields(obj: Mapping[str, Any]) -> set[Path]:
    """The fields an apply of OBJ owns, as the API server records them for its manager."""
    found: set[Path] = set()

    def walk(node: Any, path: Path, field: str | None) -> None:
        if isinstance(node, Mapping) and node and field not in ATOMIC:
            for key, value in node.items():
                walk(value, (*path, f"f:{key}"), key)
        elif isinstance(node, list) and field in MERGE_KEYS:
            for item in node:
                item_path = (*path, _item_key(field, item))
                found.add((*item_path, "."))
                walk(item, item_path, None)
        else:
            found.add(path)

    walk(obj, (), None)
    return found - UNOWNED


def fields_v1_paths(fields_v1: Mapping[str, Any], prefix: Path = ()) -> set[Path]:
    """The leaf paths of a fieldsV1 tree (every path that ends in `{}`)."""
    found: set[Path] = set()
    for key, value in fields_v1.items():
        if value:
            found |= fields_v1_paths(value, (*prefix, key))
        else:
            found.add((*prefix, key))
    return found


def managers(obj: Mapping[str, Any]) -> dict[str, set[Path]]:
    """Each field manager's owned paths (a manager with several entries: their union)."""
    owned: dict[str, set[Path]] = {}
    for entry in obj["metadata"].get("managedFields", []):
        owned.setdefault(entry["manager"], set()).update(fields_v1_paths(entry.get("fieldsV1", {})))
    return owned


def manager_operations(obj: Mapping[str, Any]) -> dict[str, set[str]]:
    """Each field manager's operations (Apply, Update)."""
    found: dict[str, set[str]] = {}
    for entry in obj["metadata"].get("managedFields", []):
        found.setdefault(entry["manager"], set()).add(entry["operation"])
    return found


def comparable(obj: Mapping[str, Any]) -> dict[str, Any]:
    """OBJ without what every write changes (generation, resourceVersion, managedFields)."""
    result = copy.deepcopy(dict(obj))
    metadata = result["metadata"]
    for key in ("generation", "resourceVersion", "managedFields"):
        metadata.pop(key, None)
    return result


def without_applied(live: Mapping[str, Any], applied: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, Any]:
    """LIVE with what APPLIED set taken out: its leaf values, its list items that BEFORE
    did not have (whole), and maps that only it had brought. Compared with BEFORE, this
    shows whatever else changed, and a base value it overwrote."""

    def strip(node: Any, patch: Any, old: Any, field: str | None) -> Any:
        if isinstance(patch, Mapping) and isinstance(node, Mapping):
            out = dict(node)
            for key, value in patch.items():
                if key not in out:
                    continue
                old_value = old.get(key) if isinstance(old, Mapping) else None
                stripped = strip(out[key], value, old_value, key)
                if stripped is _GONE or (stripped in ({}, []) and old_value is None):
                    del out[key]
                else:
                    out[key] = stripped
            return out
        if isinstance(patch, list) and isinstance(node, list) and field in MERGE_KEYS:
            keys = MERGE_KEYS[field]
            old_items = {tuple(i.get(k) for k in keys): i for i in old} if isinstance(old, list) else {}
            out_list = list(node)
            for item in patch:
                key = tuple(item.get(k) for k in keys)
                for index, live_item in enumerate(out_list):
                    if tuple(live_item.get(k) for k in keys) == key:
                        if key not in old_items:
                            del out_list[index]  # an item the patch brought: gone whole
                        else:
                            rest = {k: v for k, v in item.items() if k not in keys}
                            out_list[index] = strip(live_item, rest, old_items[key], None)
                        break
            return out_list
        return _GONE

    applied = copy.deepcopy(dict(applied))
    for key in ("apiVersion", "kind"):
        applied.pop(key, None)
    rest = {k: v for k, v in applied.get("metadata", {}).items() if k not in ("name", "namespace")}
    applied["metadata"] = rest  # the object's name and namespace are no field of the patch
    return strip(comparable(live), applied, comparable(before), None)


class _Gone:
    def __repr__(self) -> str:
        return "<gone>"


_GONE = _Gone()
