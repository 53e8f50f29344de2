"""Safe Markdown: CommonMark without raw HTML (markdown-it-py), then an allow-list
sanitiser (nh3) as a second fence. Links get rel="nofollow noopener"."""

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
ALLOWED_TAGS = {
    "p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "code", "pre",
    "h2", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td", "hr",
}  # fmt: skip


def markdown_to_html(text: str) -> str:
    """HTML that is safe to put into a page as is."""
    html = _markdown.render(text or "")
    # Headings in user text start at h2: the page has its own h1.
    for level in (3, 2, 1):  # the deepest first, so no heading moves twice
        html = html.replace(f"<h{level}>", f"<h{level + 1}>").replace(
            f"</h{level}>", f"</h{level + 1}>"
        )
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener",
    )
