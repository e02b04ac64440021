"""Mock providers for the offline plan: the package's mock (athenz_ses.testing), which
answers every look-up, gives plausible outputs and knows where each resource lives.

Each explicit AWS provider is mapped to the account and Region it is configured for
(allowedAccountIds, else the assumed role's account, else the default credentials'),
so the plan can say where every resource would be created. What the plan adds: the
default credentials are the caller's account, and a hosted zone is known only when the
stack's config (or the caller) says which domain it holds.
"""

from __future__ import annotations

from collections.abc import Mapping

from athenz_ses.testing import (
    COMPONENT,
    KUBERNETES,
    READ_TYPES,
    AthenzSesMocks,
    Location,
    autoname,
    plausible_outputs,
    read_outputs,
    stock_deployment,
)

__all__ = [
    "COMPONENT",
    "KUBERNETES",
    "READ_TYPES",
    "Location",
    "PlanMocks",
    "autoname",
    "plausible_outputs",
    "read_outputs",
    "stock_deployment",
]


class PlanMocks(AthenzSesMocks):
    def __init__(
        self,
        default_region: str,
        caller_account_id: str,
        hosted_zones: Mapping[str, str] | None = None,
        live: Mapping[str, dict] | None = None,
    ):
        # route53.getZone answers only the zones given (zone id -> name): the plan cannot look one up.
        super().__init__(caller_account_id, default_region, zone_name=None, hosted_zones=hosted_zones, live=live)
