"""The executed lessons as a small static course site: ``build/index.html`` and one page per lesson.

The front page names the course, lists every lesson (its title = the notebook's first heading, one line
on what it explains, a thumbnail of its first figure, the questions it poses, its status and time) and
says which data, checkpoint and language models the build used. Each lesson page is nbconvert's "lab"
page with previous / contents / next links above and below it and a sidebar of the lessons and of this
page's headings. Every page is self-contained: figures and thumbnails are data: URIs and nothing is
fetched from elsewhere (no CDN, no web font), so the site works from ``file://`` and on any static host.
"""

from __future__ import annotations

import base64
import html
import io
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from helpers import paths
from helpers.bundle.colab import colab_url


@dataclass
class Outcome:
    """How one notebook's execution went (what ``helpers.bundle.run`` reports and the site shows)."""

    notebook: str
    ok: bool
    seconds: float
    error: str = ""
    figures: int = 0


TITLE = "hw9-xai: why did my network say that?"
ABOUT = (
    "Lessons in explaining neural networks, executed and rendered. Part I explains a CNN that sorts food "
    "photos into the 11 classes of Food-11, one method at a time (LIME, saliency maps, SmoothGrad, filter "
    "explanation, integrated gradients), always on the same ten images, and measures whether each "
    "explanation points at the food. Part II looks inside BERT through its attention and its hidden "
    "states. Each lesson poses the multiple-choice questions of homework 9 of Hung-yi Lee's Machine "
    "Learning course and shows the evidence to answer them."
)
THUMBNAIL_SIZE = (600, 240)  # pixels: the first figure on the front page
#: What the notebooks print about the data and models they use (helpers.observe, helpers.bert_models).
USED = {
    "data": re.compile(r"^data:\s+(.+)$"),
    "checkpoint": re.compile(r"^checkpoint:\s+(.+)$"),
    "language model": re.compile(r"^(?:Using the (.+?)\.|OFFLINE FALLBACK: (.+))$"),
}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
ANSWER_CALL = re.compile(r"^\s*answer\(\s*(\d+)\s*,", re.MULTILINE)

#: nbconvert's "lab" page without the scripts it would fetch from CDNs (require.js, MathJax, mermaid, the
#: widget manager), with the site's navigation around the notebook. LaTeX shows as its source text;
#: widget outputs (progress bars) are left out.
LESSON_TEMPLATE = """{%- extends 'index.html.j2' -%}
{% block html_head_js_requirejs %}{% endblock %}
{% block html_head_js_mathjax %}{% endblock %}
{% block html_head_js_mermaidjs %}{% endblock %}
{% block jupyter_widgets %}{% endblock %}
{% block html_head_css %}<style type="text/css">{{ resources.site_css }}</style>{% endblock %}
{%- block body_header -%}
<body class="jp-Notebook site-lesson" data-jp-theme-light="true" data-jp-theme-name="JupyterLab Light">
{{ resources.site_bar }}
<!--site-sidebar-->
<main>
{%- endblock body_header -%}
{% block body_footer %}
</main>
{{ resources.site_bar | replace('site-bar top', 'site-bar bottom') }}
</body>
{% endblock body_footer %}
"""

CSS = """
:root { --site-ink: #1f2328; --site-muted: #59636e; --site-line: #d8dee4; --site-accent: #0b5cad;
  --site-ok: #176c2e; --site-bad: #b00020; --site-side: 17rem; }
.site-bar { display: flex; gap: 1rem; align-items: center; justify-content: space-between;
  padding: .55rem 1.2rem; background: #f6f8fa; border-bottom: 1px solid var(--site-line);
  font: 14px/1.4 system-ui, sans-serif; }
.site-bar.top { position: sticky; top: 0; z-index: 10; }
.site-bar.bottom { border-top: 1px solid var(--site-line); margin-top: 2rem; }
.site-bar a { color: var(--site-accent); text-decoration: none; }
.site-bar a:hover { text-decoration: underline; }
.site-bar .prev, .site-bar .next { flex: 1; }
.site-bar .next { text-align: right; }
.site-bar .contents { font-weight: 600; }
body.site-lesson { padding: 0; margin: 0; overflow: visible; }
.site-lesson main { padding: .5rem 1.5rem 1rem; }
.site-lesson .site-bar, .site-lesson main { margin-left: var(--site-side); }
.site-lesson main :is(h1, h2, h3, h4) { scroll-margin-top: 3.2rem; }  /* below the sticky bar */
.site-index .where { color: var(--site-muted); }
.site-sidebar { position: fixed; top: 0; bottom: 0; left: 0; width: var(--site-side); overflow-y: auto;
  box-sizing: border-box; padding: 1rem .9rem; background: #fbfcfd; border-right: 1px solid var(--site-line);
  font: 13.5px/1.35 system-ui, sans-serif; }
.site-sidebar .course { display: block; font-weight: 700; color: var(--site-ink); margin-bottom: .8rem;
  text-decoration: none; }
.site-sidebar ol, .site-sidebar ul { list-style: none; margin: 0; padding: 0; }
.site-sidebar li { margin: .15rem 0; }
.site-sidebar a { color: var(--site-ink); text-decoration: none; display: block; padding: .15rem .35rem;
  border-radius: 4px; }
.site-sidebar a:hover { background: #eef1f4; }
.site-sidebar .current > a { background: #e3edf9; font-weight: 600; }
.site-sidebar ul { margin: .2rem 0 .5rem .6rem; border-left: 2px solid var(--site-line); }
.site-sidebar ul a { color: var(--site-muted); }
.site-sidebar .h3 a { padding-left: 1.1rem; font-size: 12.5px; }
@media (max-width: 900px) {
  .site-lesson .site-bar, .site-lesson main { margin-left: 0; }
  .site-sidebar { position: static; width: auto; border-right: 0; border-bottom: 1px solid var(--site-line); }
}
.site-index { margin: 0; color: var(--site-ink); font: 15px/1.5 system-ui, sans-serif; background: #fff; }
.site-index header, .site-index main { max-width: 72rem; margin: 0 auto; padding: 0 1.5rem; }
.site-index header { padding-top: 2rem; }
.site-index h1 { font-size: 1.9rem; margin: 0 0 .6rem; }
.site-index .about { max-width: 52rem; color: #33393f; }
.site-index .build { border: 1px solid var(--site-line); border-radius: 6px; padding: .6rem 1rem;
  background: #f6f8fa; font-size: 14px; }
.site-index .build dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
.site-index .build dt { font-weight: 600; }
.site-index .build dd { margin: 0; overflow-wrap: anywhere; }
.site-index .lessons { list-style: none; padding: 0; margin: 1.5rem 0 3rem; display: grid;
  grid-template-columns: repeat(auto-fill, minmax(20rem, 1fr)); gap: 1.2rem; }
.site-index .lesson { border: 1px solid var(--site-line); border-radius: 8px; overflow: hidden;
  display: flex; flex-direction: column; }
.site-index .lesson img { display: block; width: 100%; aspect-ratio: 5 / 2; object-fit: cover;
  border-bottom: 1px solid var(--site-line); background: #f6f8fa; }
.site-index .lesson .nofigure { aspect-ratio: 5 / 2; background: #f6f8fa; color: var(--site-muted);
  display: flex; align-items: center; justify-content: center; border-bottom: 1px solid var(--site-line); }
.site-index .lesson .text { padding: .7rem 1rem .9rem; display: flex; flex-direction: column; gap: .45rem;
  flex: 1; }
.site-index .lesson h2 { font-size: 1.05rem; margin: 0; line-height: 1.3; }
.site-index .lesson h2 a { color: var(--site-accent); text-decoration: none; }
.site-index .lesson h2 a:hover { text-decoration: underline; }
.site-index .summary { margin: 0; color: #33393f; font-size: 14px; flex: 1; }
.site-index .meta { display: flex; flex-wrap: wrap; gap: .4rem .9rem; font-size: 13px; color: var(--site-muted); }
.site-index .status.ok { color: var(--site-ok); font-weight: 600; }
.site-index .status.bad { color: var(--site-bad); font-weight: 600; }
.site-index .error { margin: 0; color: var(--site-bad); font-size: 13px; overflow-wrap: anywhere; }
.site-index footer { max-width: 72rem; margin: 0 auto 2rem; padding: 0 1.5rem; color: var(--site-muted);
  font-size: 13px; }
"""


@dataclass
class Lesson:
    """What the site shows of one executed notebook."""

    stem: str
    title: str
    summary: str
    questions: list[int]
    thumbnail: str  # a data: URI of the first figure, "" when the notebook drew none
    ok: bool
    seconds: float
    error: str = ""
    page: str = ""  # "01_lime.html" once rendered
    headings: list[tuple[int, str, str]] = field(default_factory=list)  # (level, id, text) of h2/h3


def plain(markdown: str) -> str:
    """Markdown to one line of plain text: no emphasis, code marks, links or HTML tags."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"(\*\*|__|`)", "", text)
    text = re.sub(r"(?<!\w)[*_]([^*_]+)[*_](?!\w)", r"\1", text)
    return " ".join(text.split())


def summary_of(markdown: str, shortest: int = 90, longest: int = 320) -> str:
    """One line on what a lesson explains: the opening sentences of its first paragraph after the title.

    Parentheses (citations, asides) are left out; whole sentences are added until the line has
    ``shortest`` characters. A sentence that leads into a list ("...a single filter:") ends with a full
    stop instead, unless it is a short lead-in ("Two windows into it:"), which is left out.
    """
    body = re.sub(r"^#.*$", "", markdown, count=1, flags=re.MULTILINE).strip()
    paragraph = next((p for p in re.split(r"\n\s*\n", body) if p.strip() and p.lstrip()[0] not in ">-|#"), "")
    text = re.sub(r"\s*\([^()]*\)", "", plain(paragraph))
    text = re.sub(r"\s*,\s*(?=[.;:])", "", text)  # "moved, (x - baseline)." -> "moved."
    line = ""
    for sentence in re.split(r"(?<=[.!?:])\s+(?=[A-Z\d\"'])", text):
        if len(line) >= shortest:
            break
        if sentence.endswith(":"):
            if len(sentence) < 40:
                continue
            sentence = sentence[:-1] + "."
        line = f"{line} {sentence}".strip()
    if len(line) > longest:
        line = line[:longest].rsplit(" ", 1)[0].rstrip(",;:") + " …"
    return line


def thumbnail(png: bytes, size: tuple[int, int] = THUMBNAIL_SIZE) -> str:
    """A figure at ``size`` as a JPEG data: URI.

    A strip of panels (the ten images in a row, at least twice as wide as tall) shows its middle,
    about half of its width, so the panels stay large enough to see; any other figure shows whole, on white.
    """
    from PIL import Image, ImageOps

    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    if width >= 2 * height:
        h = min(height, width / 2 * size[1] / size[0])
        w = h * size[0] / size[1]
        box = ((width - w) / 2, (height - h) / 2, (width + w) / 2, (height + h) / 2)
        small = image.crop(tuple(round(v) for v in box)).resize(size, Image.Resampling.LANCZOS)
    else:
        small = ImageOps.pad(image, size, Image.Resampling.LANCZOS, color="white")
    buffer = io.BytesIO()
    small.save(buffer, format="JPEG", quality=85, optimize=True)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def read_lesson(nb: Any, outcome: Outcome) -> Lesson:
    """Title, summary, questions and thumbnail of a notebook (nbformat node), with its run's outcome."""
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    title_cell = next((m for m in markdown if re.match(r"#\s", m.lstrip())), "")
    title = plain(title_cell.lstrip()[2:].splitlines()[0]) if title_cell else outcome.notebook
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    questions = sorted({int(n) for n in ANSWER_CALL.findall(code)})
    png = next(
        (
            o["data"]["image/png"]
            for c in nb.cells
            if c.cell_type == "code"
            for o in c.get("outputs", [])
            if "image/png" in o.get("data", {})
        ),
        None,
    )
    return Lesson(
        outcome.notebook,
        title,
        summary_of(title_cell),
        questions,
        thumbnail(base64.b64decode(png)) if png else "",
        outcome.ok,
        outcome.seconds,
        outcome.error,
    )


def printed_lines(nb: Any) -> list[str]:
    """Every line a notebook's code cells printed (stdout and stderr), stripped."""
    return [
        line.strip()
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
        for line in output.get("text", "").splitlines()
    ]


def used_by(notebooks: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """What the notebooks ({stem: node}) printed about their data, checkpoint and language models:
    {"data": {value: [stems that printed it]}, ...}, each value once.

    Paths inside the bundle are shown relative to it (a published site need not name the build machine).
    """
    found: dict[str, dict[str, list[str]]] = {what: {} for what in USED}
    for stem, nb in notebooks.items():
        for line in printed_lines(nb):
            for what, pattern in USED.items():
                match = pattern.match(line)
                if match:
                    value = next(g for g in match.groups() if g).replace(f"{paths.ROOT}/", "")
                    stems = found[what].setdefault(value, [])
                    if stem not in stems:
                        stems.append(stem)
    return {what: values for what, values in found.items() if values}


def lesson_numbers(stems: Sequence[str]) -> str:
    """The lessons' numbers: "00–05" for a consecutive run of three or more, else "06, 07"."""
    numbers = [int(s[:2]) for s in stems if s[:2].isdigit()]
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[0] + len(numbers))):
        return f"{stems[0][:2]}–{stems[-1][:2]}"
    return ", ".join(s[:2] for s in stems)


class Headings(HTMLParser):
    """The h2/h3 headings of a rendered page with the ids nbconvert gave them: [(level, id, text)]."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.found: list[tuple[int, str, str]] = []
        self._open: tuple[int, str] | None = None
        self._text: list[str] = []
        self._skip = 0  # inside the heading's "¶" anchor link
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        ids = dict(attrs).get("id")
        if tag in ("h2", "h3") and ids:
            self._open, self._text = (int(tag[1]), ids), []
        elif tag == "a" and self._open and "anchor-link" in (dict(attrs).get("class") or ""):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._skip:
            self._skip -= 1
        elif self._open and tag == f"h{self._open[0]}":
            self.found.append((*self._open, " ".join("".join(self._text).split())))
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open and not self._skip:
            self._text.append(data)


def link(lesson: Lesson, text: str, rel: str = "") -> str:
    """An <a> to a lesson's page, or the plain text when the page was not written."""
    if not lesson.page:
        return html.escape(text)
    return f'<a href="{lesson.page}"{f" rel={rel!r}" if rel else ""}>{html.escape(text)}</a>'


def nav_bar(lessons: Sequence[Lesson], i: int) -> str:
    """Previous / contents / next links of lesson ``i``."""
    prev = link(lessons[i - 1], f"← {lessons[i - 1].title}", "prev") if i > 0 else ""
    after = link(lessons[i + 1], f"{lessons[i + 1].title} →", "next") if i + 1 < len(lessons) else ""
    return (
        f'<nav class="site-bar top" aria-label="lessons"><span class="prev">{prev}</span>'
        f'<a class="contents" href="index.html">Contents</a><span class="next">{after}</span></nav>'
    )


def sidebar(lessons: Sequence[Lesson], i: int) -> str:
    """Every lesson, the current one opened to its h2/h3 headings."""
    items = []
    for j, lesson in enumerate(lessons):
        inner = ""
        if j == i and lesson.headings:
            inner = (
                "<ul>"
                + "".join(
                    f'<li class="h{level}"><a href="#{html.escape(ids)}">{html.escape(text)}</a></li>'
                    for level, ids, text in lesson.headings
                )
                + "</ul>"
            )
        current = ' class="current" aria-current="page"' if j == i else ""
        items.append(f"<li{current}>{link(lesson, lesson.title)}{inner}</li>")
    return (
        f'<aside class="site-sidebar" aria-label="contents"><a class="course" href="index.html">'
        f"{html.escape(TITLE)}</a><ol>{''.join(items)}</ol></aside>"
    )


def pictures_for_widgets(nb: Any) -> None:
    """A widget output that carries a picture of itself (the explorer's first figure) shows the picture: the
    site loads no widget code, so the widget view would be an empty box."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data and "image/png" in data:
                del data[WIDGET_VIEW]


def render_lesson(nb: Any, lessons: Sequence[Lesson], i: int, out: Path) -> Path:
    """Write lesson ``i``'s page (``<stem>.html``) with its navigation; record its headings."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    lesson = lessons[i]
    pictures_for_widgets(nb)
    nb.metadata["title"] = f"{lesson.title} · hw9-xai"
    exporter = HTMLExporter(
        embed_images=True,
        template_file="lesson.html.j2",
        extra_loaders=[DictLoader({"lesson.html.j2": LESSON_TEMPLATE})],
    )
    page, _ = exporter.from_notebook_node(nb, resources={"site_css": CSS, "site_bar": nav_bar(lessons, i)})
    lesson.headings = Headings(page).found
    path = out / lesson.page
    path.write_text(page.replace("<!--site-sidebar-->", sidebar(lessons, i), 1), encoding="utf-8")
    return path


def lesson_card(lesson: Lesson) -> str:
    """One lesson on the front page."""
    figure = (
        f'<img src="{lesson.thumbnail}" alt="the first figure of {html.escape(lesson.title)}">'
        if lesson.thumbnail
        else '<div class="nofigure">no figure</div>'
    )
    if lesson.page and lesson.thumbnail:
        figure = f'<a href="{lesson.page}" tabindex="-1">{figure}</a>'
    q = lesson.questions
    asks = (
        f"{len(q)} question{'s' * (len(q) != 1)} (Q{q[0]}{f'–Q{q[-1]}' if len(q) > 1 else ''})" if q else "no questions"
    )
    status = '<span class="status ok">ran ok</span>' if lesson.ok else '<span class="status bad">failed</span>'
    error = f'<p class="error">{html.escape(lesson.error[:300])}</p>' if lesson.error else ""
    colab = colab_url(lesson.stem)  # "" while the bundle names no repository: no dead link
    colab = f'<a class="colab" href="{html.escape(colab)}">Open in Colab</a>' if colab else ""
    return (
        f'<li class="lesson" data-notebook="{lesson.stem}">{figure}<div class="text">'
        f"<h2>{link(lesson, lesson.title)}</h2>"
        f'<p class="summary">{html.escape(lesson.summary)}</p>{error}'
        f'<div class="meta"><span class="questions">{asks}</span>{status}'
        f'<span class="time">{lesson.seconds:.1f} s</span>{colab}</div></div></li>'
    )


def render_index(lessons: Sequence[Lesson], used: dict[str, dict[str, list[str]]], out: Path, profile: str) -> Path:
    """``index.html``: the course's front page."""
    rows = [("profile", f"{profile}" + (" (reduced sample counts)" if profile == "quick" else ""), "")]
    rows += [
        (what, value, f"lesson{'s' * (len(stems) > 1)} {lesson_numbers(stems)}")
        for what, values in used.items()
        for value, stems in values.items()
    ]
    build = "".join(
        f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}{f' <span class=where>({w})</span>' if w else ''}</dd>"
        for k, v, w in rows
    )
    asked = sum(len(lesson.questions) for lesson in lessons)
    failed = sum(not lesson.ok for lesson in lessons)
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(TITLE)}</title>
<style>{CSS}</style></head><body class="site-index">
<header><h1>{html.escape(TITLE)}</h1><p class="about">{html.escape(ABOUT)}</p>
<section class="build" aria-label="this build"><dl>{build}</dl></section></header>
<main><ol class="lessons">{"".join(lesson_card(lesson) for lesson in lessons)}</ol></main>
<footer>{len(lessons)} lessons, {asked} questions{f", {failed} failed" if failed else ""}. Rendered
{time.strftime("%Y-%m-%d %H:%M")} from the executed notebooks (<code>python -m helpers run</code>); every page
works offline.</footer>
</body></html>"""
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def build_site(out: Path, outcomes: Sequence[Outcome], profile: str = "course") -> Path:
    """Render every executed notebook in ``out`` (``<stem>.ipynb``) into the linked site; return index.html.

    A notebook whose executed copy is missing (it never started) is listed from its source, without a page.
    """
    import nbformat

    books, lessons = {}, []
    for outcome in outcomes:
        executed = out / f"{outcome.notebook}.ipynb"
        nb = nbformat.read(executed if executed.is_file() else paths.NOTEBOOKS / executed.name, as_version=4)
        lesson = read_lesson(nb, outcome)
        lesson.page = f"{outcome.notebook}.html" if executed.is_file() else ""
        books[lesson.stem] = nb
        lessons.append(lesson)
    for i, lesson in enumerate(lessons):
        if lesson.page:
            render_lesson(books[lesson.stem], lessons, i, out)
    return render_index(lessons, used_by(books), out, profile)
