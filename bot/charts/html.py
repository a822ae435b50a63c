"""One self-contained HTML report: the figures as text and the charts inline as data URIs."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape

from bot.charts.render import HEIGHT_PX, WIDTH_PX, Chart

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1040px; margin: 2em auto; padding: 0 1em;
       color: #222; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
figure { margin: 2em 0; }
img { max-width: 100%; height: auto; border: 1px solid #ddd; }
"""


def render_html(title: str, summary: str, charts: Sequence[Chart], language: str = "en") -> str:
    """A page needing nothing else: no scripts, no stylesheets or images from elsewhere."""
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{escape(language)}">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{escape(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{escape(title)}</h1>",
        f"<pre>{escape(summary)}</pre>",
    ]
    for chart in charts:
        data = base64.b64encode(chart.png).decode("ascii")
        parts += [
            f'<figure id="{escape(chart.name)}">',
            f'<img src="data:image/png;base64,{data}" alt="{escape(chart.title)}"'
            f' width="{WIDTH_PX}" height="{HEIGHT_PX}">',
            f"<figcaption>{escape(chart.title)}</figcaption>",
            "</figure>",
        ]
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)
