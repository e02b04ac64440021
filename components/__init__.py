"""One ComponentResource per concern of the stack; see each module's docstring."""

from components.irsa_role import IrsaRole, IrsaRoleArgs
from components.sender_authorization import SenderAuthorization, SenderAuthorizationArgs
from components.ses_identities import SesIdentities, SesIdentitiesArgs
from components.smoke_test import SmokeTest, SmokeTestArgs
from components.smtp_credentials import SmtpCredentials, SmtpCredentialsArgs
from components.zms_wiring import ZmsWiring, ZmsWiringArgs

__all__ = [
    "IrsaRole", "IrsaRoleArgs",
    "SenderAuthorization", "SenderAuthorizationArgs",
    "SesIdentities", "SesIdentitiesArgs",
    "SmokeTest", "SmokeTestArgs",
    "SmtpCredentials", "SmtpCredentialsArgs",
    "ZmsWiring", "ZmsWiringArgs",
]
