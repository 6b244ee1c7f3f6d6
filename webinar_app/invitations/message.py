"""A campaign's Markdown body as safe HTML (nh3) and as clean plain text, without a greeting
of its own (the email's template greets each invitee by name)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from markupsafe import Markup

from webinar_app.summaries.rendering import render_markdown

EMAIL_HEADING_LEVEL = 3
# "Dear colleagues," / "Chers collègues," / "Bonjour," ... alone on the body's first line
_GREETING = re.compile(
    r"\A\s*(?:dear|hello|hi|greetings|bonjour|bonsoir|cher|chère|chers|chères|madame|monsieur)"
    r"\b[^\n]{0,80}[,:!]?[ \t]*(?:\n|\Z)",
    re.IGNORECASE,
)


def without_greeting(body: str) -> str:
    """The body without a greeting line at its top (the template writes "Dear NAME," once)."""
    return _GREETING.sub("", body or "", count=1).lstrip("\n")


def body_html(body: str) -> Markup:
    """The body as sanitised HTML: no script, style, event handler or javascript: link."""
    return render_markdown(without_greeting(body), heading_level=EMAIL_HEADING_LEVEL)


def body_text(body: str) -> str:
    """The body as plain text: no Markdown marks left, links as "text (url)"."""
    converter = _TextOf()
    converter.feed(str(body_html(body)))
    converter.close()
    return converter.text()


class _TextOf(HTMLParser):
    """Sanitised HTML to plain text: paragraphs apart, list items with a dash, links spelled."""

    BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote", "pre", "table",
              "dl", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.links: list[tuple[str, int]] = []  # (href, where the link text starts)
        self.ordered: list[int | None] = []  # per open list: next number, None if bulleted

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self.BLOCKS:
            self._break(2)
        if tag in ("ul", "ol"):
            self.ordered.append(1 if tag == "ol" else None)
        elif tag == "li":
            self._break(1)
            number = self.ordered[-1] if self.ordered else None
            indent = "  " * max(len(self.ordered) - 1, 0)
            if number is None:
                self.out.append(f"{indent}- ")
            else:
                self.out.append(f"{indent}{number}. ")
                self.ordered[-1] = number + 1
        elif tag in ("br", "tr", "dt", "dd"):
            self._break(1)
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len("".join(self.out))))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol") and self.ordered:
            self.ordered.pop()
        if tag in self.BLOCKS:
            self._break(2)
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = "".join(self.out)[start:].strip()
            if href and href not in (label, f"mailto:{label}"):
                self.out.append(f" ({href.removeprefix('mailto:')})")

    def handle_data(self, data: str) -> None:
        text = re.sub(r"\s+", " ", data)
        if "".join(self.out[-1:]).endswith((" ", "\n")) or not self.out:
            text = text.lstrip()
        self.out.append(text)

    def _break(self, lines: int) -> None:
        text = "".join(self.out)
        if not text:
            return
        trailing = len(text) - len(text.rstrip("\n"))
        if trailing < lines:
            self.out.append("\n" * (lines - trailing))

    def text(self) -> str:
        lines = [line.rstrip() for line in "".join(self.out).split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
