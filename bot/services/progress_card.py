"""The progress card: a small PNG of a student's step on the ladder and their counts.

Texts arrive already translated; this module only draws. Fonts: the `font` given (the
PROGRESS_FONT setting), else DejaVu Sans where the system has it (Debian's fonts-dejavu-core),
else Pillow's built-in font.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 640, 320
BACKGROUND = (246, 242, 232)
INK = (33, 37, 41)
MUTED = (108, 117, 125)
ACCENT = (0, 122, 94)
TRACK = (222, 216, 200)
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
)
BOLD_CANDIDATES = tuple(p.replace("DejaVuSans.ttf", "DejaVuSans-Bold.ttf") for p in FONT_CANDIDATES)


@dataclass(frozen=True, slots=True)
class CardText:
    """Everything written on the card, in the student's language."""

    heading: str  # "Kelisim — my progress"
    level: str  # the level's title
    step: str  # "Level 3 of 5"
    rows: tuple[tuple[str, int], ...]  # (label, count)
    next_step: str  # "Next: ... — 2 more materials" or "The top of the ladder"
    fraction: float  # 0..1 towards the next level


def _font(
    size: int, bold: bool = False, chosen: str | None = None
) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    candidates = ([chosen] if chosen else []) + list(BOLD_CANDIDATES if bold else FONT_CANDIDATES)
    for path in candidates:
        if path and Path(path).is_file():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _fit(
    draw: ImageDraw.ImageDraw,
    text: str,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    width: int,
) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def render_card(card: CardText, font: str | None = None) -> bytes:
    """The card as PNG bytes (640×320)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    small, big = _font(18, chosen=font), _font(34, bold=True, chosen=font)
    margin = 32
    inner = WIDTH - 2 * margin
    draw.rectangle((0, 0, WIDTH, 8), fill=ACCENT)
    draw.text((margin, 26), _fit(draw, card.heading, small, inner), font=small, fill=MUTED)
    draw.text((margin, 52), _fit(draw, card.level, big, inner), font=big, fill=INK)
    draw.text((margin, 98), _fit(draw, card.step, small, inner), font=small, fill=MUTED)
    y = 136
    column = inner // max(len(card.rows), 1)
    for index, (label, count) in enumerate(card.rows):
        x = margin + index * column
        draw.text((x, y), str(count), font=big, fill=ACCENT)
        draw.text((x, y + 44), _fit(draw, label, small, column - 12), font=small, fill=INK)
    bar_y = 250
    draw.rounded_rectangle((margin, bar_y, WIDTH - margin, bar_y + 14), radius=7, fill=TRACK)
    filled = margin + int(inner * max(0.0, min(1.0, card.fraction)))
    if filled > margin:
        draw.rounded_rectangle((margin, bar_y, filled, bar_y + 14), radius=7, fill=ACCENT)
    draw.text((margin, bar_y + 24), _fit(draw, card.next_step, small, inner), font=small, fill=INK)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
