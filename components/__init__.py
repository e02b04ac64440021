"""One ComponentResource per concern of the stack; see each module's docstring."""

from components.delegated_sender import DelegatedSender, DelegatedSenderArgs
from components.irsa_role import IrsaRole, IrsaRoleArgs
from components.oidc_provider import ClusterOidcProvider, ClusterOidcProviderArgs
from components.sender_authorization import SenderAuthorization, SenderAuthorizationArgs
from components.sending_user import SendingUser, SendingUserArgs
from components.ses_identities import SesIdentities, SesIdentitiesArgs
from components.smoke_test import SmokeTest, SmokeTestArgs
from components.zms_wiring import ZmsWiring, ZmsWiringArgs

__all__ = [
    "ClusterOidcProvider", "ClusterOidcProviderArgs",
    "DelegatedSender", "DelegatedSenderArgs",
    "IrsaRole", "IrsaRoleArgs",
    "SenderAuthorization", "SenderAuthorizationArgs",
    "SendingUser", "SendingUserArgs",
    "SesIdentities", "SesIdentitiesArgs",
    "SmokeTest", "SmokeTestArgs",
    "ZmsWiring", "ZmsWiringArgs",
]
