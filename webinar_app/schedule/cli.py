"""`flask modules reschedule|cancel|set-capacity`."""

from flask.cli import AppGroup

modules_cli = AppGroup("modules", help="Reschedule, cancel and resize modules.")
