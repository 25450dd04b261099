"""HTML templates to PDF, safely: Jinja (autoescaped) -> xhtml2pdf -> PDF/A-3b bytes (core.pdfa).

Documents printed for customers carry values typed by other people (buyer
names, line descriptions, notes). Three things keep such a value from doing
more than being printed:

* Jinja autoescaping, so a value never becomes markup (no ``<img>``, no
  ``<font color=...>`` reaching ReportLab's colour parser);
* an xhtml2pdf ``ResourceAccessPolicy`` on every render that allows no remote
  fetch at all and local reads only inside the template folders and the bundled
  font folder (``data:`` URIs are part of the document and stay allowed: that is
  how QR codes and logos are embedded);
* a time limit: the policy's cooperative deadline, plus a watchdog on the
  thread that renders, so a caller gets ``UserError`` instead of waiting.

Fonts are TrueType (glyf outlines; ReportLab cannot embed CFF) and bundled in
``core/fonts`` with their licences, so ``pip install -e .`` is all a machine
needs. They are registered with ReportLab once per process under the CSS
family names in ``FONT_FAMILIES``; ``font_stack(language)`` gives the CSS
``font-family`` list for a document's language, and xhtml2pdf falls back per
character along that list (a Korean name on a Vietnamese invoice still prints).
"""
from __future__ import annotations

import logging
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import jinja2
from markupsafe import Markup

from .errors import UserError
from .pdfa import Attachment, to_pdfa3b

log = logging.getLogger(__name__)

FONTS_DIR = Path(__file__).resolve().parent / "fonts"

# CSS family name -> (regular file, bold file or None, subfont index in a .ttc).
FONT_FAMILIES = {
    "tessera-latin": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", 0),     # Latin, Vietnamese, Cyrillic
    "tessera-hangul": ("NanumGothic.ttf", "NanumGothicBold.ttf", 0),   # Hangul (+ KS X 1001 Hanja)
    "tessera-han": ("wqy-microhei.ttc", None, 0),                       # Han (+ Hangul, Latin fallback)
}

# ReportLab's canvas preamble and table cells, and xhtml2pdf's empty paragraphs and
# anchors, name Helvetica: a standard-14 font that is never embedded, which PDF/A
# forbids. Those names are registered as the bundled DejaVu faces instead.
STANDARD_FONT_ALIASES = {
    "Helvetica": "DejaVuSans.ttf", "Helvetica-Oblique": "DejaVuSans.ttf",
    "Helvetica-Bold": "DejaVuSans-Bold.ttf", "Helvetica-BoldOblique": "DejaVuSans-Bold.ttf",
}

# First family draws what it has; the rest catch the characters it lacks.
_STACKS = {
    "ko": ("tessera-hangul", "tessera-latin", "tessera-han"),
    "zh": ("tessera-han", "tessera-latin", "tessera-hangul"),
}
_DEFAULT_STACK = ("tessera-latin", "tessera-hangul", "tessera-han")

DEFAULT_TIME_LIMIT = 30
_register_lock = threading.Lock()
_registered = False


def font_stack(language: str | None) -> str:
    """The CSS ``font-family`` value for a document in ``language`` (en, ko, vi, zh, ru, es)."""
    lang = str(language or "en").split("_")[0].split("-")[0].lower()
    return ", ".join(_STACKS.get(lang, _DEFAULT_STACK))


def register_fonts() -> None:
    """Register the bundled fonts with ReportLab and xhtml2pdf, once per process.

    Parsing a CJK TrueType file takes tens of milliseconds, so it is done once
    rather than through a per-document ``@font-face``; xhtml2pdf copies its
    default family map into every document, which is where the names go.
    """
    global _registered
    if _registered:
        return
    with _register_lock:
        if _registered:
            return
        from reportlab.lib.fonts import addMapping
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont
        from xhtml2pdf import default as x2p_default

        for family, (regular, bold, index) in FONT_FAMILIES.items():
            face = _face_name(family, bold=False)
            pdfmetrics.registerFont(TTFont(face, str(FONTS_DIR / regular), subfontIndex=index))
            bold_face = face
            if bold:
                bold_face = _face_name(family, bold=True)
                pdfmetrics.registerFont(TTFont(bold_face, str(FONTS_DIR / bold), subfontIndex=index))
            for is_bold, name in ((0, face), (1, bold_face)):
                for is_italic in (0, 1):
                    addMapping(face, is_bold, is_italic, name)
            x2p_default.DEFAULT_FONT[family] = face
        for name, filename in STANDARD_FONT_ALIASES.items():
            pdfmetrics.registerFont(TTFont(name, str(FONTS_DIR / filename)))
        _registered = True


def text_width(text: str, language: str | None, size: float, *, bold: bool = False) -> float:
    """Width in points of ``text`` as a PDF prints it: each character in the first font of the
    language's stack that has it (xhtml2pdf's fallback), for layouts that must not wrap a number."""
    from reportlab.pdfbase import pdfmetrics

    register_fonts()
    families = [name.strip() for name in font_stack(language).split(",")]
    fonts = [pdfmetrics.getFont(_face_name(family, bold=bold and FONT_FAMILIES[family][1] is not None))
             for family in families]
    width = 0.0
    for char in text:
        font = next((f for f in fonts if ord(char) in f.face.charToGlyph), fonts[0])
        width += font.stringWidth(char, size)
    return width


def _face_name(family: str, bold: bool) -> str:
    return "".join(part.title() for part in family.split("-")) + ("-Bold" if bold else "")


@lru_cache(maxsize=64)
def _environment(search_paths: tuple[str, ...]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(list(search_paths)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["css_color"] = css_color
    env.globals["font_stack"] = font_stack
    return env


_NAMED_COLOURS = frozenset({
    "black", "white", "gray", "grey", "silver", "red", "maroon", "orange", "yellow", "olive",
    "lime", "green", "teal", "aqua", "cyan", "blue", "navy", "purple", "fuchsia", "magenta",
})


def css_color(value) -> Markup:
    """A colour safe to put in CSS: ``#rgb``, ``#rrggbb`` or a basic colour name.

    Autoescaping protects HTML, not CSS: a business colour goes into a style
    sheet, and ReportLab once evaluated colour strings as Python
    (CVE-2023-33733), so anything but a plain colour is refused.
    """
    text = str(value or "").strip().lower()
    hex_part = text[1:] if text.startswith("#") else None
    if hex_part is not None and len(hex_part) in (3, 6) and all(c in "0123456789abcdef" for c in hex_part):
        return Markup(text)
    if text in _NAMED_COLOURS:
        return Markup(text)
    raise UserError(f"colour {str(value)[:40]!r} is not a colour: use #rrggbb, #rgb or a basic name like navy")


def resource_policy(search_paths: Iterable[str | Path], time_limit: float | None = None):
    """The xhtml2pdf policy of every render: no network, local reads only in templates and fonts."""
    from xhtml2pdf.config.resources import ResourceAccessPolicy

    roots = tuple(Path(p).resolve() for p in search_paths) + (FONTS_DIR,)
    return ResourceAccessPolicy.server(
        base_dir=roots[0],
        extra_roots=roots[1:],
        allow_remote=False,
        allowed_hosts=frozenset(),
        max_render_seconds=time_limit,
        max_resources=50,
        max_image_pixels=4_000_000,
    )


def render_html(template_name: str, context: dict, *, search_paths: Iterable[str | Path]) -> tuple[str, str]:
    """Render the Jinja template; return (NFC-normalised HTML, the template's file path)."""
    paths = tuple(str(Path(p).resolve()) for p in search_paths)
    if not paths:
        raise UserError("render_pdf needs at least one template folder")
    env = _environment(paths)
    try:
        template = env.get_template(template_name)
    except jinja2.TemplateNotFound:
        raise UserError(f"PDF template {template_name!r} not found in {', '.join(paths)}") from None
    html = template.render(**context)
    # NFC: decomposed Vietnamese (e + combining marks) would otherwise print as
    # separate glyphs and extract as text that does not match what was typed.
    return unicodedata.normalize("NFC", html), template.filename or paths[0]


def html_to_pdf(html: str, *, path: str, policy) -> bytes:
    """Convert HTML with xhtml2pdf under ``policy``; raise UserError if it cannot."""
    import io

    from xhtml2pdf import pisa
    from xhtml2pdf.config.resources import RenderLimitError

    register_fonts()
    out = io.BytesIO()
    try:
        status = pisa.pisaDocument(html, dest=out, path=path, resource_policy=policy, encoding="utf-8")
    except RenderLimitError as exc:
        raise UserError(f"PDF render stopped: {exc}") from None
    if getattr(status, "err", 0):
        raise UserError(f"PDF render failed with {status.err} error(s)")
    return out.getvalue()


def _configured_limit() -> float:
    from .runtime import current
    try:
        return float(current().config["PDF_TIME_LIMIT"])
    except RuntimeError:  # no runtime in this process (a script, a benchmark)
        return float(DEFAULT_TIME_LIMIT)


def render_pdf(template_name: str, context: dict, *, search_paths: Iterable[str | Path],
               time_limit: float | None = None, title: str = "", author: str = "",
               attachments: tuple[Attachment, ...] = ()) -> bytes:
    """Render ``template_name`` (found along ``search_paths``, first wins) with ``context`` to PDF/A-3b bytes.

    ``title`` and ``author`` go into the PDF's metadata and ``attachments`` are
    embedded files: see ``core.pdfa``.

    Runs in a worker thread so that ``time_limit`` seconds (default: the
    ``PDF_TIME_LIMIT`` setting of the current runtime, else ``DEFAULT_TIME_LIMIT``)
    bound the wait even if the renderer is stuck between its own deadline
    checks; past it the caller gets ``UserError``. xhtml2pdf renders one
    document at a time per process, so time spent waiting for another render
    counts too: bulk rendering belongs in worker processes (see bench/einvoice.py).
    """
    paths = [Path(p) for p in search_paths]
    limit = _configured_limit() if time_limit is None else float(time_limit)
    if limit <= 0:
        raise UserError(f"PDF time limit must be positive, got {time_limit!r}")
    result: dict = {}

    def work():
        try:
            html, path = render_html(template_name, context, search_paths=paths)
            plain = html_to_pdf(html, path=path, policy=resource_policy(paths, limit))
            result["pdf"] = to_pdfa3b(plain, title=title, author=author, attachments=tuple(attachments))
        except BaseException as exc:  # handed to the caller's thread below
            result["error"] = exc

    worker = threading.Thread(target=work, name=f"pdf:{template_name}", daemon=True)
    worker.start()
    # A little slack over the policy's own deadline, which is the one that
    # normally fires and also frees xhtml2pdf's render lock.
    worker.join(limit + 1.0)
    if worker.is_alive():
        log.error("PDF render of %s exceeded %.1fs", template_name, limit)
        raise UserError(f"PDF render of {template_name} took longer than {limit:g} s and was abandoned")
    if "error" in result:
        raise result["error"]
    return result["pdf"]
