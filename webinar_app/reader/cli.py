"""`flask reader build --series SLUG [--language fr] -o FILE.pdf`: the organiser page's build,
scripted."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from webinar_app.extensions import db
from webinar_app.reader.jobs import run_waiting_jobs
from webinar_app.reader.services import (
    READER_LANGUAGES,
    ReaderError,
    create_build,
    publish_build,
)
from webinar_app.schedule import services as schedule

reader_cli = AppGroup("reader", help="Build the Reader of a series.")

STEPS = ("content", "render", "merge", "write")


@reader_cli.command("build")
@click.option("--series", "slug", required=True, help="Slug of the series.")
@click.option("-o", "--output", "output", required=True, type=click.File("wb"),
              help="Where to write the PDF.")
@click.option("--language", type=click.Choice(READER_LANGUAGES), default="en", show_default=True,
              help="Language of the Reader.")
@click.option("--publish", is_flag=True, help="Also make this build the public download.")
def build_command(slug: str, output, language: str, publish: bool) -> None:
    """Build the Reader of series SLUG, keep it as a new version and write it to FILE."""
    series = schedule.get_series(slug)
    if series is None:
        raise click.ClickException(f"No series with the slug {slug!r}.")
    try:
        with click.progressbar(length=len(STEPS), label="Building the Reader") as bar:
            build = create_build(series, None, progress=lambda _step: bar.update(1),
                                 language=language)
        if publish:
            publish_build(build)
    except ReaderError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    output.write(build.pdf)
    db.session.commit()
    state = (f"draft, missing summaries of module(s) {', '.join(map(str, build.missing_modules))}"
             if build.is_draft else ("published" if build.is_published else "complete"))
    click.echo(
        f"Reader build {build.number} of {slug}: {build.page_count} pages "
        f"({build.generated_page_count} generated, {build.note_page_count} from background "
        f"notes), {state}, language {build.language}; written to {output.name}."
    )


@reader_cli.command("run-pending")
def run_pending_command() -> None:
    """Run the Reader builds requested on the organiser pages that wait for a worker."""
    ran = run_waiting_jobs()
    click.echo(f"{ran} Reader builds run.")
