"""ZMS's notification mail, added to an EKS program with one component.

The cluster's OIDC issuer, the account id and the kubeconfig are Outputs of this
program (here from looking the cluster up; in a program that creates the cluster, take
them from that resource): AthenzSesNotifications takes them as they are.
"""

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from athenz_ses import AthenzSesNotifications, AthenzSesNotificationsArgs


def kubeconfig(cluster: aws.eks.GetClusterResult) -> str:
    """A kubeconfig for the cluster that authenticates with `aws eks get-token`."""
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", cluster.name],
        }
    }
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "eks",
            "clusters": [
                {
                    "name": "eks",
                    "cluster": {
                        "server": cluster.endpoint,
                        "certificate-authority-data": cluster.certificate_authorities[0].data,
                    },
                }
            ],
            "contexts": [{"name": "eks", "context": {"cluster": "eks", "user": "eks"}}],
            "users": [{"name": "eks", "user": user}],
        }
    )


def main() -> None:
    config = pulumi.Config()
    cluster = aws.eks.get_cluster_output(name=config.require("clusterName"))
    cluster_provider = k8s.Provider("cluster", kubeconfig=cluster.apply(kubeconfig))

    mail = AthenzSesNotifications(
        "zms-mail",
        AthenzSesNotificationsArgs(
            sender_email=config.require("senderEmail"),
            email_domain_to=config.require("emailDomainTo"),
            recipient_emails=config.get_object("recipientEmails") or [],
            # SES in the cluster's Region, through the default provider; for another Region,
            # pass ses_provider=aws.Provider(..., region=...) as well.
            ses_region=pulumi.Config("aws").require("region"),
            ses_account_id=aws.get_caller_identity_output().account_id,
            credentials="irsa",
            oidc_issuer_url=cluster.identities.apply(lambda identities: identities[0].oidcs[0].issuer),
        ),
        opts=pulumi.ResourceOptions(providers=[cluster_provider]),
    )

    pulumi.export("zmsRoleArn", mail.role_arn)
    pulumi.export("zmsServiceAccount", mail.service_account)
    pulumi.export("senderIdentityArn", mail.sender_identity_arn)
