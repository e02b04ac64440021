"""A program that adds Athenz ZMS's notification mail to an EKS cluster: one
AthenzSesNotifications, SES in the cluster's account and Region, ZMS sending with an
IRSA role. test_program.py tests it under the package's mock (athenz_ses.testing).
"""

import pulumi
import pulumi_aws as aws

from athenz_ses import AthenzSesNotifications, AthenzSesNotificationsArgs


def main() -> AthenzSesNotifications:
    config = pulumi.Config()
    cluster = aws.eks.get_cluster_output(name=config.require("clusterName"))
    mail = AthenzSesNotifications(
        "zms-mail",
        AthenzSesNotificationsArgs(
            sender_email=config.require("senderEmail"),
            email_domain_to=config.require("emailDomainTo"),
            sandbox=False,  # the SES account has production access: no recipient to verify
            ses_region=pulumi.Config("aws").require("region"),
            ses_account_id=aws.get_caller_identity_output().account_id,
            credentials="irsa",
            oidc_issuer_url=cluster.identities.apply(lambda identities: identities[0].oidcs[0].issuer),
        ),
    )
    pulumi.export("zmsRoleArn", mail.role_arn)
    return mail
