"""Routes of the me blueprint: the personal page /me/TOKEN and what it lets people do."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from webinar_app.certificates.services import certificate_status
from webinar_app.core.limits import personal_link_limit
from webinar_app.core.reference import country_name, organisation_type_label
from webinar_app.core.tokens import find_person_by_token
from webinar_app.core.transaction import run_write_transaction
from webinar_app.extensions import db
from webinar_app.feeds.responses import personal_calendar
from webinar_app.me.forms import CancelForm, DeleteDataForm, MyDetailsForm
from webinar_app.me.services import (
    cancel_question,
    personal_places,
    series_with_public_modules,
    subscribe_url,
)
from webinar_app.models import Module, Person, Registration
from webinar_app.registration.services import (
    cancel_registration,
    erase_person,
    export_person_data,
    has_marketing_consent,
    set_marketing_consent,
    update_person_details,
)

bp = Blueprint("me", __name__)




@bp.after_request
def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.errorhandler(404)
def link_not_working(_error):
    """A personal link that leads nowhere: say why it may be and how to get it again."""
    return render_template("me/link_not_working.html",
                           series_list=series_with_public_modules()), 404


def _person_or_404(token: str) -> Person:
    person = find_person_by_token(token)
    if person is None:
        abort(404)
    return person


def _registration_or_404(person: Person, number: int) -> Registration:
    registration = db.session.scalar(
        select(Registration).join(Module)
        .where(Registration.person_id == person.id, Module.number == number)
    )
    if registration is None:
        abort(404)
    return registration


@bp.route("/<token>")
@personal_link_limit
def page(token: str):
    person = _person_or_404(token)
    return render_template(
        "me/page.html", person=person, token=token, places=personal_places(person),
        country=country_name(person.country),
        organisation_type=organisation_type_label(person.organisation_type),
        certificate=certificate_status(person), subscribe_url=subscribe_url(token),
    )


@bp.route("/<token>/modules/<int:number>/cancel", methods=["GET", "POST"])
@personal_link_limit
def cancel(token: str, number: int):
    """Ask before cancelling a place; only the 'yes' button of the page cancels it."""
    person = _person_or_404(token)
    registration = _registration_or_404(person, number)
    form = CancelForm()
    if request.method == "GET":
        return render_template("me/cancel.html", token=token, form=form,
                               place=cancel_question(registration))
    if not form.validate_on_submit():
        abort(400)
    if form.confirm.data and run_write_transaction(lambda: cancel_registration(registration)):
        flash(_("Your place in module %(number)s is cancelled.", number=number), "success")
    return redirect(url_for(".page", token=token))


@bp.route("/<token>/details", methods=["GET", "POST"])
@personal_link_limit
def details(token: str):
    person = _person_or_404(token)
    form = MyDetailsForm(obj=person, has_marketing_consent=has_marketing_consent(person))
    form.offer_zones(person.timezone)
    if form.validate_on_submit():
        update_person_details(person, **form.details())
        set_marketing_consent(person, form.has_marketing_consent.data)
        db.session.commit()
        flash(_("Your details are saved."), "success")
        return redirect(url_for(".page", token=token))
    return render_template("me/details.html", person=person, token=token, form=form,
                           detect_zone=not person.timezone and request.method == "GET")


@bp.route("/<token>/calendar.ics")
@personal_link_limit
def calendar(token: str):
    person = _person_or_404(token)
    return personal_calendar(person, person.registrations)


@bp.route("/<token>/export.json")
@personal_link_limit
def export(token: str):
    person = _person_or_404(token)
    body = json.dumps(export_person_data(person), indent=2, ensure_ascii=False)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response


@bp.route("/<token>/delete", methods=["GET", "POST"])
@personal_link_limit
def delete(token: str):
    person = _person_or_404(token)
    form = DeleteDataForm()
    if form.validate_on_submit():
        series = person.series
        run_write_transaction(lambda: erase_person(person))
        return render_template("me/deleted.html", series=series)
    return render_template("me/delete.html", person=person, token=token, form=form)
