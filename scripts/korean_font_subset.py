"""Make the Korean font subset the documents use (src/eloket/documents/typst/fonts/).

typst's embedded fonts have no Hangul, and Noto Sans CJK KR whole is 16 MB a weight; the
documents need Latin, Hangul syllables and jamo, and some punctuation: about 1.4 MB a
weight. Run it again only to change what the subset covers:

    apt-get download fonts-noto-cjk && dpkg -x fonts-noto-cjk_*.deb /tmp/noto
    pip install fonttools
    python scripts/korean_font_subset.py /tmp/noto/usr/share/fonts/opentype/noto

Noto Sans CJK is under the SIL Open Font License 1.1 (its reserved font name is "Source",
so the subset keeps its own name); the licence is beside the fonts (OFL.txt).
"""

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

OUT = Path(__file__).resolve().parents[1] / "src" / "eloket" / "documents" / "typst" / "fonts"
CODE_POINTS = [
    *range(0x20, 0x7F),  # Basic Latin
    *range(0xA0, 0x250),  # Latin-1, Latin Extended-A and -B
    *range(0x2000, 0x2070),  # general punctuation
    0x20A9,  # won sign
    0x20AC,  # euro sign
    0x2116,  # numero sign
    *range(0x1100, 0x1200),  # Hangul jamo
    *range(0x3000, 0x3020),  # CJK punctuation
    *range(0x3131, 0x318F),  # Hangul compatibility jamo
    *range(0xAC00, 0xD7A4),  # every Hangul syllable
    *range(0xFF01, 0xFF5F),  # full-width forms
]


def main(folder: str) -> None:
    for weight in ("Regular", "Bold"):
        source = Path(folder) / f"NotoSansCJK-{weight}.ttc"
        collection = TTCollection(str(source))
        index = next(
            i
            for i, font in enumerate(collection.fonts)
            if font["name"].getDebugName(1).startswith("Noto Sans CJK KR")
        )
        options = subset.Options()
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        options.font_number = index
        options.notdef_outline = True
        options.hinting = False
        font = subset.load_font(str(source), options, dontLoadGlyphNames=True)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=CODE_POINTS)
        subsetter.subset(font)
        target = OUT / f"NotoSansCJKkr-{weight}-subset.otf"
        font.save(str(target))
        print(target, target.stat().st_size)


if __name__ == "__main__":
    main(sys.argv[1])
