"""Athenz ZMS notifications through Amazon SES: one stack per environment.

The program is program.main.main (config -> validation -> providers -> one
AthenzSesNotifications -> outputs); the components live in the athenz_ses package.
"""

from program.main import main

main()
