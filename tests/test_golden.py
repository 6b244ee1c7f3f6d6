"""Every email kind (English and French) and every calendar file against its golden file.

The files under tests/golden/ are the reviewed reference; `--update-golden` rewrites them from
this run (see tests/golden/README.md). Emails are shown with their headers as sent and each
part decoded, after masking what varies from run to run (tests/email_world.py MASKS).
"""

from __future__ import annotations

import difflib
import email
import email.policy
import re
from pathlib import Path

from sqlalchemy import select

from tests.email_world import build_world, mask
from webinar_app.extensions import db
from webinar_app.models import AccountLinkPurpose, OutboxMessage

GOLDEN = Path(__file__).parent / "golden"
KINDS = {
    "invitation", "registration_summary", "waiting_list", "cancelled_own", "module_update",
    "waiting_module_moved", "module_cancelled", "module_cancelled_waiting", "reminder",
    "followup", "personal_link", "campaign_invitation", "account_invitation",
    "account_password_reset",
}


def _kinds_in_code() -> set[str]:
    """The outbox kinds the composers (webinar_app/*/emails.py) can queue."""
    kinds = {f"account_{purpose.value}" for purpose in AccountLinkPurpose}
    literal = re.compile(r'(?:kind=|_KIND = )"([a-z_]*[a-z])"')  # not the "account_" prefix
    for path in (Path(__file__).parents[1] / "webinar_app").glob("*/emails.py"):
        kinds |= set(literal.findall(path.read_text(encoding="utf-8")))
    return kinds


def test_the_golden_files_cover_every_kind_the_code_can_queue():
    assert _kinds_in_code() == KINDS


def _head_and_body(raw: bytes) -> tuple[bytes, bytes]:
    head, _sep, body = raw.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n", body


def render_email(raw: bytes, boundaries: list[bytes] | None = None) -> bytes:
    """The message with its headers as sent and each leaf part decoded (quoted-printable and
    base64 undone), boundaries renamed BOUNDARY-1, BOUNDARY-2... in order of appearance."""
    boundaries = [] if boundaries is None else boundaries
    head, body = _head_and_body(raw)
    part = email.message_from_bytes(head, policy=email.policy.compat32)
    boundary = part.get_boundary()
    if boundary is None:
        decoded = email.message_from_bytes(raw, policy=email.policy.compat32).get_payload(
            decode=True)
        return head + decoded + (b"" if decoded.endswith(b"\n") else b"\r\n")
    boundaries.append(boundary.encode())
    name = b"BOUNDARY-%d" % len(boundaries)
    out = [head.replace(boundary.encode(), name)]
    delimiter = re.compile(rb"(?:^|\r\n)--" + re.escape(boundary.encode()) + rb"(--)?[ \t]*\r\n?")
    pieces = delimiter.split(body)
    # pieces: preamble, then (closing marker, part text) pairs; the closing one ends the list
    for closing, text in zip(pieces[1::2], pieces[2::2], strict=True):
        if closing:
            out.append(b"--" + name + b"--\r\n")
            break
        out.append(b"--" + name + b"\r\n" + render_email(text, boundaries))
    return b"".join(out)


def produced_files(world) -> dict[str, bytes]:
    """{path under tests/golden: masked bytes} for every email and calendar file."""
    files = {f"email/{name}.eml": mask(render_email(m.raw)) for name, m in world.emails.items()}
    files.update({f"calendar/{name}.ics": mask(data) for name, data in world.calendars.items()})
    return files


def _golden_files() -> dict[str, bytes]:
    return {
        str(path.relative_to(GOLDEN)): path.read_bytes()
        for folder in ("email", "calendar") for path in sorted((GOLDEN / folder).glob("*"))
    }


def _diff(name: str, expected: bytes, actual: bytes) -> str:
    lines = difflib.unified_diff(
        expected.decode("utf-8", "replace").splitlines(),
        actual.decode("utf-8", "replace").splitlines(),
        f"golden/{name}", "this run", lineterm="", n=2,
    )
    return "\n".join(lines)


def test_every_email_and_calendar_file_matches_its_golden_file(
    client, runner, smtp_sink, tmp_path, update_golden
):
    world = build_world(client, runner, smtp_sink, tmp_path)
    kinds = set(db.session.scalars(select(OutboxMessage.kind).distinct()))
    assert kinds == KINDS, "a new email kind needs a step in tests/email_world.py"
    produced = produced_files(world)
    if update_golden:
        for name in set(_golden_files()) - set(produced):
            (GOLDEN / name).unlink()
        for name, data in produced.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_bytes(data)
        return
    golden = _golden_files()
    assert sorted(golden) == sorted(produced), (
        "golden files missing or stale: run with --update-golden and review the diff")
    changed = [name for name in sorted(produced) if produced[name] != golden[name]]
    assert not changed, "\n\n".join(_diff(n, golden[n], produced[n]) for n in changed[:3]) + (
        f"\n\n{len(changed)} golden files differ: {changed}. If the change is intended, run "
        "with --update-golden and review the diff like code.")
