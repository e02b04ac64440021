"""Athenz ZMS notifications through Amazon SES: one stack per environment.

The program is athenz_ses.program.main (config -> validation -> providers -> one
AthenzSesNotifications -> outputs); the components live in the athenz_ses package.
"""

from athenz_ses.program import main

main()
