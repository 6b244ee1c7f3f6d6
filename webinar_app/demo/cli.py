"""`flask seed-demo`."""

import click


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Load the demo series if it is not there yet."""
