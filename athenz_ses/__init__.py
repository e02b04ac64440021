"""Pulumi components that make Athenz ZMS send its notification emails through Amazon SES.

Start with AthenzSesNotifications (everything for one ZMS); the building blocks stand on
their own too. Each module's docstring says what its component creates and why.
`athenz_ses.testing` is a mock of the engine for unit tests of programs that use them.
"""

from athenz_ses.args import ArgsError
from athenz_ses.bounce_handling import BounceHandling, BounceHandlingArgs
from athenz_ses.delegated_sender import DelegatedSender, DelegatedSenderArgs
from athenz_ses.irsa_role import IrsaRole, IrsaRoleArgs
from athenz_ses.notifications import AthenzSesNotifications, AthenzSesNotificationsArgs
from athenz_ses.oidc_provider import ClusterOidcProvider, ClusterOidcProviderArgs
from athenz_ses.pod_identity import PodIdentityRole, PodIdentityRoleArgs
from athenz_ses.sender_authorization import SenderAuthorization, SenderAuthorizationArgs
from athenz_ses.sender_domain import DnsRecord, SenderDomainDns, SenderDomainDnsArgs
from athenz_ses.sending_user import SendingUser, SendingUserArgs
from athenz_ses.ses_identities import SesIdentities, SesIdentitiesArgs
from athenz_ses.smoke_test import SmokeTest, SmokeTestArgs, ZmsSmokeTest, ZmsSmokeTestArgs
from athenz_ses.zms_wiring import ZmsWiring, ZmsWiringArgs

__version__ = "0.3.0"
"""The package's version: pyproject.toml's (tests/test_package.py keeps them equal)."""

__all__ = [
    "ArgsError",
    "AthenzSesNotifications",
    "AthenzSesNotificationsArgs",
    "BounceHandling",
    "BounceHandlingArgs",
    "ClusterOidcProvider",
    "ClusterOidcProviderArgs",
    "DelegatedSender",
    "DelegatedSenderArgs",
    "DnsRecord",
    "IrsaRole",
    "IrsaRoleArgs",
    "PodIdentityRole",
    "PodIdentityRoleArgs",
    "SenderAuthorization",
    "SenderAuthorizationArgs",
    "SenderDomainDns",
    "SenderDomainDnsArgs",
    "SendingUser",
    "SendingUserArgs",
    "SesIdentities",
    "SesIdentitiesArgs",
    "SmokeTest",
    "SmokeTestArgs",
    "ZmsSmokeTest",
    "ZmsSmokeTestArgs",
    "ZmsWiring",
    "ZmsWiringArgs",
]
