"""A municipality's look as design tokens (issue 15, point 2; docs/theming.md).

A fixed set of tokens, each with a type that its value is checked against before it ever
reaches a stylesheet (a colour is `#rrggbb`, a length a bounded number of px or rem, a font
a list of family names with no CSS punctuation): `theme.css` writes them as CSS custom
properties (`--eloket-primary`, ...) that `base.css` uses. Three tokens live in the
municipality's older columns (primary_colour, secondary_colour, font_stack); the others in
its `tokens` JSON, and only when set. The colours are checked against WCAG 2.2 AA: text
4.5:1, the focus indicator 3:1 (non-text contrast).

Tokens can be imported from a Style Dictionary or NL Design System tokens file: nested
groups whose leaves have a `value` (or `$value`) key, with `{a.b}` references. A
documented set of well-known names maps to Eloket's tokens; the rest is reported as
ignored.
"""

import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

COLOUR_RE = re.compile(r"^#[0-9a-f]{6}$")
SHORT_COLOUR_RE = re.compile(r"^#([0-9a-f]{3}|[0-9a-f]{6})$")
LENGTH_RE = re.compile(r"^(0|\d{1,3}(?:\.\d{1,4})?)(px|rem)?$")
GENERIC_FAMILIES = frozenset(
    {
        "serif",
        "sans-serif",
        "monospace",
        "cursive",
        "fantasy",
        "system-ui",
        "ui-serif",
        "ui-sans-serif",
        "ui-monospace",
        "ui-rounded",
    }
)
# A family name: letters (any script), digits, spaces and hyphens; quoted or not. No CSS
# punctuation (; { } < > \ / ( ) : ! @ url(...)) can get through, so a font cannot end the
# declaration, open a rule, load a web font or close the stylesheet's <style>.
FAMILY_RE = re.compile(r"^[^\W_](?:[\w -]{0,58}[^\W_])?$")
FONT_MAX = 200
FONT_FAMILIES_MAX = 10
PX_PER_REM = 16
MAX_TOKENS_FILE_BYTES = 256 * 1024

TEXT_CONTRAST = 4.5
NON_TEXT_CONTRAST = 3.0
# Eloket's fixed colours that the tokens must suit: the error colour is text on the page's
# background; the light tints behind notices, statuses, code and the footer carry text.
ERROR_COLOUR = "#b00020"
FIXED_TINTS = ("#fdecee", "#e8f5e9", "#fff4e0", "#f3f3f3", "#f7f7f7")


class TokenError(ValueError):
    """A value that is not a token of its type. The message is translated."""


@dataclass(frozen=True)
class Token:
    name: str
    kind: str  # "colour", "length" or "font"
    default: str  # "" for colour.link: it follows colour.primary
    css: str
    label: Any  # a lazy translation
    help: Any
    column: str = "tokens"  # the Municipality field it is kept in
    bounds_px: tuple[float, float] = (0.0, 0.0)


TOKENS: tuple[Token, ...] = (
    Token(
        "colour.primary",
        "colour",
        "#1d4f91",
        "--eloket-primary",
        gettext_lazy("Main colour"),
        gettext_lazy("The page header and buttons."),
        column="primary_colour",
    ),
    Token(
        "colour.primary-text",
        "colour",
        "#ffffff",
        "--eloket-primary-text",
        gettext_lazy("Header and button text colour"),
        gettext_lazy("Text and links in the header and on buttons."),
    ),
    Token(
        "colour.secondary",
        "colour",
        "#f2f5f9",
        "--eloket-secondary",
        gettext_lazy("Panel colour"),
        gettext_lazy("Behind boxes and panels."),
        column="secondary_colour",
    ),
    Token(
        "colour.text",
        "colour",
        "#1a1a1a",
        "--eloket-text",
        gettext_lazy("Text colour"),
        gettext_lazy("Body text."),
    ),
    Token(
        "colour.background",
        "colour",
        "#ffffff",
        "--eloket-background",
        gettext_lazy("Background colour"),
        gettext_lazy("Behind the page's content."),
    ),
    Token(
        "colour.link",
        "colour",
        "",
        "--eloket-link",
        gettext_lazy("Link colour"),
        gettext_lazy("Links in the content; the main colour unless set."),
    ),
    Token(
        "colour.focus",
        "colour",
        "#b35900",
        "--eloket-focus",
        gettext_lazy("Focus colour"),
        gettext_lazy("The outline around what the keyboard is on."),
    ),
    Token(
        "font.family",
        "font",
        "system-ui, sans-serif",
        "--eloket-font",
        gettext_lazy("Font"),
        gettext_lazy(
            "Font names separated by commas, e.g. system-ui, sans-serif. Fonts installed on "
            "the visitor's device: no web font is downloaded."
        ),
        column="font_stack",
    ),
    Token(
        "space.unit",
        "length",
        "1rem",
        "--eloket-space",
        gettext_lazy("Spacing unit"),
        gettext_lazy("The basic space around and between blocks: 8 to 32 px (0.5 to 2 rem)."),
        bounds_px=(8, 32),
    ),
    Token(
        "radius",
        "length",
        "4px",
        "--eloket-radius",
        gettext_lazy("Corner radius"),
        gettext_lazy("Of buttons, fields and panels: 0 to 24 px (0 to 1.5 rem)."),
        bounds_px=(0, 24),
    ),
    Token(
        "focus.width",
        "length",
        "3px",
        "--eloket-focus-width",
        gettext_lazy("Focus outline width"),
        gettext_lazy("2 to 8 px (0.125 to 0.5 rem)."),
        bounds_px=(2, 8),
    ),
)
BY_NAME: dict[str, Token] = {token.name: token for token in TOKENS}
IN_JSON = tuple(token for token in TOKENS if token.column == "tokens")


# --- Values.


def clean_value(token: Token, raw: Any) -> str:
    """The value in its one stored spelling, or TokenError saying what is wrong."""
    if token.kind == "length" and isinstance(raw, int | float) and not isinstance(raw, bool):
        raw = f"{raw}px"  # Style Dictionary's bare numbers are pixels
    if not isinstance(raw, str):
        raise TokenError(_("Give a text value."))
    text = raw.strip()
    if token.kind == "colour":
        text = text.lower()
        if not SHORT_COLOUR_RE.match(text):
            raise TokenError(_("Use a colour like #1d4f91."))
        if len(text) == 4:
            text = "#" + "".join(c * 2 for c in text[1:])
        return text
    if token.kind == "length":
        return _clean_length(token, text.lower())
    return clean_font(text)


def _clean_length(token: Token, text: str) -> str:
    low, high = token.bounds_px
    bounds = _("%(low)s to %(high)s px (%(low_rem)s to %(high_rem)s rem)") % {
        "low": _number(low),
        "high": _number(high),
        "low_rem": _number(low / PX_PER_REM),
        "high_rem": _number(high / PX_PER_REM),
    }
    match = LENGTH_RE.match(text)
    if not match or (match.group(2) is None and match.group(1) != "0"):
        raise TokenError(_("Use a length in px or rem: %(bounds)s.") % {"bounds": bounds})
    number = float(match.group(1))
    unit = match.group(2) or "px"
    px = number * PX_PER_REM if unit == "rem" else number
    if not low <= px <= high:
        raise TokenError(_("Out of bounds: use %(bounds)s.") % {"bounds": bounds})
    return f"{_number(number)}{unit}"


def _number(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".")


def clean_font(text: str) -> str:
    """A font-family list: generic families and names, quoted or not, nothing else."""
    message = _("Use font names separated by commas, e.g. system-ui, sans-serif.")
    if not text or len(text) > FONT_MAX:
        raise TokenError(message)
    families = [part.strip() for part in text.split(",")]
    if len(families) > FONT_FAMILIES_MAX:
        raise TokenError(message)
    cleaned = []
    for family in families:
        quote = family[:1]
        if quote in ("'", '"'):
            if len(family) < 3 or family[-1] != quote:
                raise TokenError(message)
            name = family[1:-1].strip()
            if not FAMILY_RE.match(name):
                raise TokenError(message)
            cleaned.append(f"'{name}'")
        else:
            if not FAMILY_RE.match(family) or "  " in family:
                raise TokenError(message)
            if family.lower() in GENERIC_FAMILIES:
                cleaned.append(family.lower())
            elif " " in family or any(c.isdigit() for c in family):
                cleaned.append(f"'{family}'")  # an identifier may not hold these unquoted
            else:
                cleaned.append(family)
    return ", ".join(cleaned)


def values_of(municipality: Any, tokens: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every token's value for the municipality (defaults filled in). Values are checked
    when saved; one that a save did not check (a row written around the model) is checked
    again here and replaced by the default, so it never reaches a stylesheet."""
    stored = municipality.tokens if tokens is None else tokens
    stored = stored if isinstance(stored, dict) else {}
    values: dict[str, str] = {}
    for token in TOKENS:
        if token.column != "tokens":
            value = getattr(municipality, token.column, "") or token.default
        else:
            value = stored.get(token.name) or token.default
        if value:
            try:
                value = clean_value(token, value)
            except TokenError:
                value = token.default
        values[token.name] = value
    if not values["colour.link"]:
        values["colour.link"] = values["colour.primary"]
    return values


def css_variables(values: Mapping[str, str]) -> str:
    """`--eloket-primary:#1d4f91;...` for a rule; only validated values get here."""
    return ";".join(f"{token.css}:{values[token.name]}" for token in TOKENS)


def stored_problems(tokens: Any) -> list[tuple[str, str]]:
    """(token name, message) for what the `tokens` JSON may not hold."""
    if not isinstance(tokens, dict):
        return [("", _("Design tokens are a mapping of token names to values."))]
    problems: list[tuple[str, str]] = []
    for name, value in tokens.items():
        token = BY_NAME.get(str(name))
        if token is None or token.column != "tokens":
            problems.append((str(name)[:80], _("Unknown design token: %(name)s.") % {"name": name}))
            continue
        try:
            if clean_value(token, value) != value:
                raise TokenError(_("Not in its stored form."))
        except TokenError as exc:
            problems.append((token.name, f"{token.label}: {exc}"))
    return problems


# --- Contrast (WCAG 2.2).


def relative_luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    a, b = relative_luminance(first), relative_luminance(second)
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def ratio_text(ratio: float) -> str:
    """Rounded down, so that a failing ratio never reads as the one needed (4.49 is 4.4)."""
    return f"{math.floor(ratio * 10) / 10:.1f}"


@dataclass(frozen=True)
class Pair:
    foreground: str  # a token name or a fixed colour
    background: str
    needed: float
    foreground_label: Any  # lazy translations
    background_label: Any
    at: str = ""  # the token a form shows the problem at (the foreground's by default)


PAIRS: tuple[Pair, ...] = (
    Pair(
        "colour.text",
        "colour.background",
        TEXT_CONTRAST,
        gettext_lazy("Text colour"),
        gettext_lazy("background"),
    ),
    Pair(
        "colour.text",
        "colour.secondary",
        TEXT_CONTRAST,
        gettext_lazy("Text colour"),
        gettext_lazy("panel colour"),
    ),
    Pair(
        "colour.primary-text",
        "colour.primary",
        TEXT_CONTRAST,
        gettext_lazy("Header and button text colour"),
        gettext_lazy("main colour"),
        at="colour.primary",
    ),
    Pair(
        "colour.link",
        "colour.background",
        TEXT_CONTRAST,
        gettext_lazy("Link colour"),
        gettext_lazy("background"),
    ),
    Pair(
        "colour.link",
        "colour.secondary",
        TEXT_CONTRAST,
        gettext_lazy("Link colour"),
        gettext_lazy("panel colour"),
    ),
    Pair(
        "colour.focus",
        "colour.background",
        NON_TEXT_CONTRAST,
        gettext_lazy("Focus colour"),
        gettext_lazy("background"),
    ),
    Pair(
        "colour.focus",
        "colour.secondary",
        NON_TEXT_CONTRAST,
        gettext_lazy("Focus colour"),
        gettext_lazy("panel colour"),
    ),
    Pair(
        ERROR_COLOUR,
        "colour.background",
        TEXT_CONTRAST,
        gettext_lazy("Eloket's error colour"),
        gettext_lazy("background"),
    ),
    Pair(
        "colour.text",
        "tints",
        TEXT_CONTRAST,
        gettext_lazy("Text colour"),
        gettext_lazy("Eloket's notice colour"),
    ),
)


@dataclass(frozen=True)
class ContrastProblem:
    token: str  # the token to change: the pair's foreground, or its background if fixed
    message: str
    ratio: float


def contrast_problems(values: Mapping[str, str]) -> list[ContrastProblem]:
    """The pairs below WCAG 2.2 AA, each named with its colours and ratio."""
    problems = []
    for pair in PAIRS:
        fg = values.get(pair.foreground, pair.foreground)
        if pair.background == "tints":
            bg = min(FIXED_TINTS, key=lambda tint: contrast(fg, tint))
        else:
            bg = values[pair.background]
        if not (COLOUR_RE.match(fg) and COLOUR_RE.match(bg)):
            continue  # reported as a bad value
        ratio = contrast(fg, bg)
        if ratio >= pair.needed:
            continue
        message = _(
            "%(foreground)s %(fg)s on %(background)s %(bg)s has contrast %(ratio)s:1; "
            "WCAG 2.2 AA needs %(needed)s:1."
        ) % {
            "foreground": pair.foreground_label,
            "fg": fg,
            "background": pair.background_label,
            "bg": bg,
            "ratio": ratio_text(ratio),
            "needed": _number(pair.needed),
        }
        token = pair.at or (pair.foreground if pair.foreground in BY_NAME else pair.background)
        problems.append(ContrastProblem(token=token, message=message, ratio=ratio))
    return problems


# --- Import from a Style Dictionary / NL Design System file.

# Well-known names (matched in lowercase) and the Eloket token each sets. The first name in
# the file that maps to a token sets it; a later one for the same token is reported as
# ignored. docs/theming.md lists them.
WELL_KNOWN: dict[str, str] = {
    # NL Design System (Utrecht components, the community's shared names).
    "utrecht.button.primary-action.background-color": "colour.primary",
    "utrecht.page-header.background-color": "colour.primary",
    "utrecht.button.primary-action.color": "colour.primary-text",
    "utrecht.page-header.color": "colour.primary-text",
    "utrecht.document.color": "colour.text",
    "utrecht.document.background-color": "colour.background",
    "utrecht.page.background-color": "colour.background",
    "utrecht.document.font-family": "font.family",
    "utrecht.link.color": "colour.link",
    "utrecht.focus.outline-color": "colour.focus",
    "utrecht.focus.outline-width": "focus.width",
    "utrecht.button.border-radius": "radius",
    "utrecht.alert.background-color": "colour.secondary",
    "utrecht.space.block-md": "space.unit",
    # Open Forms' organisation tokens.
    "of.color.primary": "colour.primary",
    "of.color.fg": "colour.text",
    "of.color.bg": "colour.background",
    "of.color.focus": "colour.focus",
    "of.typography.sans-serif.font-family": "font.family",
    # Plain Style Dictionary names.
    "color.primary": "colour.primary",
    "color.primary-text": "colour.primary-text",
    "color.on-primary": "colour.primary-text",
    "color.secondary": "colour.secondary",
    "color.text": "colour.text",
    "color.background": "colour.background",
    "color.link": "colour.link",
    "color.focus": "colour.focus",
    "font.family": "font.family",
    "font.family.base": "font.family",
    "size.radius": "radius",
    "border.radius": "radius",
    "space.unit": "space.unit",
    "size.spacing.unit": "space.unit",
}
# Eloket's own names, with or without an `eloket.` group, and `colour` spelt either way.
for _token in TOKENS:
    for _name in {_token.name, _token.name.replace("colour.", "color.")}:
        WELL_KNOWN.setdefault(_name, _token.name)
        WELL_KNOWN.setdefault(f"eloket.{_name}", _token.name)


@dataclass
class TokenImport:
    """What a tokens file sets: the tokens (by Eloket's name) and the file's names used and
    ignored."""

    values: dict[str, str] = field(default_factory=dict)
    used: list[tuple[str, str, str]] = field(default_factory=list)  # (file name, token, value)
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (file name, why)


class TokensFileError(ValueError):
    """A file that cannot be read as tokens, or a value of a mapped name that is not a
    token of its type. The message is translated and names the place."""


def _leaves(node: Any, path: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key in ("$value", "value"):
            if key in node and not isinstance(node[key], dict | list):
                yield ".".join(path), node[key]
                return
        for key, child in node.items():
            if str(key).startswith("$") or str(key) in ("type", "comment", "description"):
                continue
            yield from _leaves(child, (*path, str(key)))


REFERENCE_RE = re.compile(r"^\{([^{}]{1,200})\}$")


def _resolve(name: str, value: Any, flat: Mapping[str, Any]) -> Any:
    seen = {name}
    while isinstance(value, str) and (match := REFERENCE_RE.match(value.strip())):
        target = match.group(1).strip()
        if target in seen or target not in flat:
            raise TokensFileError(
                _("%(name)s refers to %(target)s, which the file does not define.")
                % {"name": name, "target": value.strip()}
            )
        seen.add(target)
        value = flat[target]
    return value


def read_tokens_file(content: bytes) -> TokenImport:
    """Map a tokens file onto Eloket's tokens. Raises TokensFileError for a file that is not
    JSON, too large, or that gives a mapped name a value of the wrong type."""
    if len(content) > MAX_TOKENS_FILE_BYTES:
        raise TokensFileError(_("A tokens file is limited to 256 KB."))
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise TokensFileError(
            _("This is not a JSON file: %(error)s") % {"error": str(exc)[:200]}
        ) from exc
    if not isinstance(data, dict):
        raise TokensFileError(_("A tokens file holds groups of tokens (a JSON object)."))
    flat = dict(_leaves(data, ()))
    if not flat:
        raise TokensFileError(_("The file holds no tokens (no value or $value keys)."))
    result = TokenImport()
    sources: dict[str, str] = {}
    for name, raw in flat.items():
        token_name = WELL_KNOWN.get(name.lower())
        if token_name is None:
            result.ignored.append((name, _("not a name Eloket uses")))
            continue
        if token_name in sources:
            result.ignored.append(
                (
                    name,
                    _("%(token)s is set by %(name)s")
                    % {"token": token_name, "name": sources[token_name]},
                )
            )
            continue
        value = _resolve(name, raw, flat)
        try:
            cleaned = clean_value(BY_NAME[token_name], value)
        except TokenError as exc:
            raise TokensFileError(
                _("%(name)s (%(token)s): %(problem)s")
                % {"name": name, "token": token_name, "problem": exc}
            ) from exc
        sources[token_name] = name
        result.values[token_name] = cleaned
        result.used.append((name, token_name, cleaned))
    return result
