"""Chinese glyphs in matplotlib figures on any machine, with no font to install.

Matplotlib's default font (DejaVu Sans) has no Chinese characters: 蘋果 would be drawn as empty boxes
with a "Glyph ... missing from font(s)" warning. The bundle commits a small subset of Noto Sans CJK TC
(SIL Open Font License 1.1, see ``data/fonts/OFL.txt``) holding only the characters of its examples
plus ASCII, renamed as the licence asks of modified fonts. ``families()`` lists DejaVu Sans first (Latin
text looks as usual), then that subset, then any full CJK font the system has, and matplotlib falls
back from one to the next glyph by glyph.

``build_subset`` regenerates the subset (e.g. after adding sentences) from a full Noto Sans CJK file,
such as Debian's ``fonts-noto-cjk``:
``python -m helpers.fonts /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc``.
"""

from __future__ import annotations

import string
import sys
from functools import cache
from pathlib import Path

from helpers import paths

FONT_FILE = paths.DATA / "fonts" / "HW9SansCJKSubset-Regular.ttf"
FAMILY = "HW9 Sans CJK Subset"

#: Full CJK fonts to fall back on for characters outside the subset, when the system has them.
SYSTEM_CJK = (
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "WenQuanYi Zen Hei",
    "AR PL UMing TW",
    "Microsoft JhengHei",
    "PingFang TC",
    "Heiti TC",
)

#: Always in the subset besides the examples: ASCII and common full-width punctuation.
EXTRA_CHARACTERS = string.printable.strip() + " ，。、：；！？（）「」『』《》—…·％"


@cache
def register() -> str:
    """Add the committed subset to matplotlib's font list (once); return its family name."""
    from matplotlib import font_manager

    if not FONT_FILE.exists():
        raise FileNotFoundError(
            f"the font subset {FONT_FILE} is missing: restore it from git, or rebuild it "
            "with `python -m helpers.fonts <NotoSansCJK-Regular.ttc>`."
        )
    font_manager.fontManager.addfont(str(FONT_FILE))
    return FAMILY


def families(system: bool = True) -> list[str]:
    """Font family fallback list for text that may hold Chinese: DejaVu Sans, the subset, system CJK."""
    from matplotlib import font_manager

    chosen = ["DejaVu Sans", register()]
    if system:
        installed = {f.name for f in font_manager.fontManager.ttflist}
        chosen += [name for name in SYSTEM_CJK if name in installed]
    return chosen


def use_chinese_font(system: bool = True) -> list[str]:
    """Make every later matplotlib figure able to draw Chinese (sets ``rcParams['font.family']``)."""
    import matplotlib

    chosen = families(system)
    matplotlib.rcParams["font.family"] = chosen
    return chosen


def covered_characters(font_file: Path = FONT_FILE) -> set[str]:
    """The characters a font file has glyphs for (its Unicode cmap)."""
    from fontTools.ttLib import TTFont

    with TTFont(str(font_file), fontNumber=0, lazy=True) as font:
        return {chr(code) for code in font.getBestCmap()}


def missing_characters(text: str, system: bool = True) -> set[str]:
    """Characters of ``text`` that no font of ``families(system)`` can draw (spaces ignored)."""
    from matplotlib import font_manager

    have: set[str] = set()
    for family in families(system):
        path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        have |= covered_characters(Path(path))
    return {ch for ch in text if not ch.isspace() and ch not in have}


def _to_quadratic(font) -> None:
    """Replace CFF outlines (cubic) by TrueType ``glyf`` outlines (quadratic), in place.

    Why: matplotlib embeds TrueType outlines reliably in PDF/PS output, OpenType-CFF less so.
    """
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    outlines = {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        outlines[name] = pen.glyph()
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = outlines
    font["loca"] = newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 1 if field == "maxZones" else 0)
    font["head"].glyphDataFormat = 0
    font["head"].indexToLocFormat = 0
    font["post"].formatType = 2.0  # keep glyph names
    font["post"].extraNames, font["post"].mapping = [], {}
    font.sfntVersion = "\x00\x01\x00\x00"


def build_subset(source: Path, out: Path = FONT_FILE, text: str | None = None, font_number: int | None = None) -> Path:
    """Write a TrueType subset of ``source`` (a Noto Sans CJK .ttc/.otf) holding the glyphs of ``text``.

    Args:
        source: full font file; for a .ttc the Traditional Chinese member is picked by name.
        text: characters to keep; default: every Chinese example of ``helpers.bert_examples`` plus
            ``EXTRA_CHARACTERS``.
        font_number: member of a .ttc to use (default: the one named "Noto Sans CJK TC").
    """
    from fontTools import subset
    from fontTools.ttLib import TTCollection, TTFont

    from helpers.bert_examples import all_chinese_text

    source = Path(source)
    if font_number is None:
        font_number = 0
        if source.suffix.lower() == ".ttc":
            names = [f["name"].getDebugName(1) for f in TTCollection(str(source)).fonts]
            if "Noto Sans CJK TC" not in names:
                raise ValueError(f"{source} has no 'Noto Sans CJK TC' member (it has {names}); pass font_number.")
            font_number = names.index("Noto Sans CJK TC")
    font = TTFont(str(source), fontNumber=font_number)
    original = font["name"].getDebugName(1)
    copyright_line = font["name"].getDebugName(0)
    wanted = sorted(set((text if text is not None else all_chinese_text()) + EXTRA_CHARACTERS))
    options = subset.Options()
    options.layout_features = []  # no shaping features: matplotlib draws glyph by glyph
    options.hinting = False
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(wanted))
    subsetter.subset(font)
    _to_quadratic(font)
    # A modified OFL font must not be presented under its original name.
    table = font["name"]
    for record in list(table.names):
        if record.nameID in (1, 4, 16, 21):
            table.setName(
                FAMILY if record.nameID != 4 else f"{FAMILY} Regular",
                record.nameID,
                record.platformID,
                record.platEncID,
                record.langID,
            )
        elif record.nameID in (3, 6):
            table.setName(
                FAMILY.replace(" ", "") + "-Regular", record.nameID, record.platformID, record.platEncID, record.langID
            )
        elif record.nameID == 5:
            table.setName(f"subset of {original}", record.nameID, record.platformID, record.platEncID, record.langID)
    out.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(out))
    print(
        f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB, {len(wanted)} characters) from {original}; "
        f"copyright: {copyright_line}"
    )
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m helpers.fonts <NotoSansCJK-Regular.ttc or NotoSansCJKtc-Regular.otf>")
    build_subset(Path(sys.argv[1]))
