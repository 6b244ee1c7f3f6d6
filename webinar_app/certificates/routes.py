"""Certificates of attendance, downloaded from the personal page /me/TOKEN."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from webinar_app.certificates.services import (
    CertificateError,
    build_certificate,
    certificate_status,
)
from webinar_app.core.tokens import find_person_by_token
from webinar_app.me.limits import personal_link_limit
from webinar_app.models import Person

bp = Blueprint("certificates", __name__)




@bp.app_template_global()
def certificate_status_of(person: Person):
    """For the personal page: the person's certificate status."""
    return certificate_status(person)


@bp.route("/me/<token>/certificate.pdf")
@personal_link_limit
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
