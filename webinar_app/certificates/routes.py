"""Certificates of attendance, downloaded from the personal page /me/TOKEN."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template

from webinar_app.certificates.services import (
    CertificateError,
    build_certificate,
    certificate_status,
)
from webinar_app.extensions import limiter
from webinar_app.models import Person
from webinar_app.registration.tokens import find_person_by_token

bp = Blueprint("certificates", __name__)


def _token_limit() -> str:
    return current_app.config["TOKEN_RATE_LIMIT"]


limited = limiter.shared_limit(_token_limit, scope="personal-link")


@bp.app_template_global()
def certificate_status_of(person: Person):
    """For the personal page: the person's certificate status."""
    return certificate_status(person)


@bp.route("/me/<token>/certificate.pdf")
@limited
def download(token: str):
    person = find_person_by_token(token) or abort(404)
    try:
        pdf = build_certificate(person)
    except CertificateError as error:
        return render_template("certificates/not_yet.html", person=person, token=token,
                               message=str(error)), 403
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="certificate-{person.series.slug}.pdf"'
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
