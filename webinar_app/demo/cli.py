"""`flask seed-demo`."""

import click

from webinar_app.demo.seed import seed_demo
from webinar_app.extensions import db


@click.command("seed-demo")
@click.option(
    "--if-empty",
    "only_if_empty",
    is_flag=True,
    help="Load the demo series only when the database holds no series at all.",
)
def seed_demo_command(only_if_empty: bool) -> None:
    """Load the demo series if it is not there yet, and make sure the demo organiser exists."""
    result = seed_demo(only_if_empty=only_if_empty)
    db.session.commit()
    click.echo(result.summary())
