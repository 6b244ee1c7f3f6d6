"""Certificates of attendance, downloaded from the personal page /me/TOKEN, and the public
page /certificates/REFERENCE that confirms one."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from webinar_app.certificates.services import (
    CertificateError,
    build_certificate,
    verify_certificate,
)
from webinar_app.core.limits import personal_link_limit
from webinar_app.core.tokens import find_person_by_token
from webinar_app.i18n import current_language

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


@bp.route("/certificates/<reference>")
@personal_link_limit
def verify(reference: str):
    """What a certificate's reference stands for: name, series, modules attended, date."""
    found = verify_certificate(reference, current_language())
    if found is None:
        body, status = render_template("certificates/not_found.html"), 404
    else:
        body, status = render_template("certificates/verify.html", certificate=found), 200
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
