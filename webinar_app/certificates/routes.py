"""Certificates of attendance, downloaded from the personal page /me/TOKEN."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from webinar_app.certificates.services import CertificateError, build_certificate
from webinar_app.core.limits import personal_link_limit
from webinar_app.core.tokens import find_person_by_token

bp = Blueprint("certificates", __name__)


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
