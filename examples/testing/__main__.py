"""Entry point for `pulumi up`: the program is zms_mail.main (importable, so it is tested)."""

from zms_mail import main

main()
