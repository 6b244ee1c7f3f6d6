"""Markdown to safe HTML: rendered with `markdown`, then cleaned with nh3 on an allow-list.

No script, style, iframe, event handler (on*=) or javascript:/data: link survives. Used by the
public pages, the organiser preview and the Reader.
"""

from __future__ import annotations

import markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h1",
        "h2", "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "strong", "sub",
        "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"align"},
    "th": {"align"},
}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
MARKDOWN_EXTENSIONS = ["extra", "sane_lists", "toc"]
DEFAULT_HEADING_LEVEL = 3


def clean_html(html: str) -> str:
    """HTML reduced to the allow-list; unsafe tags are dropped with their content."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_markdown(text: str, heading_level: int = DEFAULT_HEADING_LEVEL) -> Markup:
    """Markdown as sanitised HTML, safe to insert into any page or PDF template.

    A Markdown `#` heading becomes <h{heading_level}> (h3 by default: the body sits under the
    page's h1 and its "Summary" h2), so the page's outline stays right.
    """
    html = markdown.markdown(
        text or "",
        extensions=MARKDOWN_EXTENSIONS,
        extension_configs={"toc": {"baselevel": max(1, min(heading_level, 6))}},
        output_format="html",
    )
    return Markup(clean_html(html))  # noqa: S704  (sanitised by nh3 just above)
