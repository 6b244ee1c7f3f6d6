"""`flask mail deliver [--loop]`."""

from flask.cli import AppGroup

mail_cli = AppGroup("mail", help="Deliver the emails waiting in the outbox.")
