"""This repository's Pulumi program: the stack config (Pulumi.yaml is its schema), its
validation, and `main`, which builds one athenz_ses.AthenzSesNotifications from it.

Not part of the installable package: programs of your own use athenz_ses directly.
"""
