"""A municipality's look as design tokens (issue 15, point 2): typed and bounded values,
no way into the stylesheet for anything else, a Style Dictionary / NL Design System file
mapped onto them, WCAG 2.2 AA contrast checked when saved (the failing pair named, nothing
saved), and the tokens served as CSS custom properties in the cacheable theme.css."""

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from conftest import officer_login_client
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.tenants.models import Municipality
from eloket.tenants.services import (
    municipality_tokens_import,
    municipality_tokens_set,
    municipality_update,
)
from eloket.tenants.tokens import (
    BY_NAME,
    TOKENS,
    TokenError,
    TokensFileError,
    clean_value,
    contrast,
    contrast_problems,
    ratio_text,
    read_tokens_file,
)

NL_DESIGN_SYSTEM = {
    "utrecht": {
        "document": {
            "color": {"value": "#1b1b1b"},
            "background-color": {"value": "#fffffe"},
            "font-family": {"value": "'Fira Sans', Arial, sans-serif"},
        },
        "link": {"color": {"value": "{gemeente.color.blue.700}"}},
        "button": {
            "primary-action": {
                "background-color": {"value": "{gemeente.color.blue.700}"},
                "color": {"value": "#FFF"},
            },
            "border-radius": {"value": "0"},
        },
        "focus": {"outline-color": {"value": "#000000"}, "outline-width": {"value": "4px"}},
        "heading-1": {"font-size": {"value": "2.5rem"}},
    },
    "gemeente": {"color": {"blue": {"700": {"value": "#004b87", "type": "color"}}}},
}


def actor(municipality):
    return Actor.system("test", municipality)


def fresh(municipality):
    return Municipality.objects.get(pk=municipality.pk)


class TestValues:
    @pytest.mark.parametrize(
        ("name", "raw", "stored"),
        [
            ("colour.link", "#ABC", "#aabbcc"),
            ("colour.link", " #005CA9 ", "#005ca9"),
            ("space.unit", "0.75rem", "0.75rem"),
            ("space.unit", "12PX", "12px"),
            ("radius", "0", "0px"),
            ("radius", 6, "6px"),
            ("focus.width", "0.25rem", "0.25rem"),
            ("font.family", "Arial, sans-serif", "Arial, sans-serif"),
            ("font.family", '"Noto Sans KR", system-ui', "'Noto Sans KR', system-ui"),
            ("font.family", "Segoe UI, SANS-SERIF", "'Segoe UI', sans-serif"),
        ],
    )
    def test_a_value_is_kept_in_one_spelling(self, name, raw, stored):
        assert clean_value(BY_NAME[name], raw) == stored

    @pytest.mark.parametrize(
        ("name", "raw", "says"),
        [
            ("colour.link", "red", "Use a colour like #1d4f91."),
            ("colour.link", "#1d4f91ff", "Use a colour like #1d4f91."),
            ("colour.link", "rgb(0,0,0)", "Use a colour like #1d4f91."),
            ("space.unit", "4px", "Out of bounds: use 8 to 32 px (0.5 to 2 rem)."),
            ("space.unit", "3rem", "Out of bounds"),
            ("radius", "25px", "Out of bounds: use 0 to 24 px (0 to 1.5 rem)."),
            ("focus.width", "1px", "Out of bounds: use 2 to 8 px"),
            ("radius", "4em", "Use a length in px or rem"),
            ("radius", "4", "Use a length in px or rem"),
            ("radius", "-1px", "Use a length in px or rem"),
            ("radius", True, "Give a text value."),
            ("colour.text", 12, "Give a text value."),
        ],
    )
    def test_a_bad_value_is_named(self, name, raw, says):
        with pytest.raises(TokenError, match=re.escape(says)):
            clean_value(BY_NAME[name], raw)

    @pytest.mark.parametrize(
        "attack",
        [
            "Arial; } body { display:none",
            "Arial}</style><script>alert(1)</script>",
            "x;background:url(https://evil.example/t)",
            "'Arial",
            "Arial'",
            "'A' 'B'",
            "\"Arial', serif",
            "Arial\\;",
            "expression(alert(1))",
            "Arial /* */",
            "Arial\n}",
            "Comic Sans!important",
            "@import 'x'",
            ", , ,",
            "a," * 11 + "a",
            "x" * 201,
        ],
    )
    def test_a_font_cannot_carry_css(self, attack):
        with pytest.raises(TokenError):
            clean_value(BY_NAME["font.family"], attack)

    @pytest.mark.parametrize(
        "attack",
        ["#fff;}body{display:none}", "#fff</style>", "12px;}", "calc(100vw)", "1px 2px", "1e3px"],
    )
    def test_colours_and_lengths_cannot_carry_css(self, attack):
        for name in ("colour.link", "radius"):
            with pytest.raises(TokenError):
                clean_value(BY_NAME[name], attack)


class TestStored:
    def test_the_json_takes_only_known_tokens_in_their_stored_form(self, gent):
        for tokens, says in [
            ({"colour.evil": "#000000"}, "Unknown design token: colour.evil."),
            ({"colour.primary": "#000000"}, "Unknown design token: colour.primary."),
            ({"radius": "4px;}body{display:none"}, "Corner radius: Use a length"),
            ({"colour.link": "#ABCDEF"}, "Not in its stored form."),
            (["radius"], "Design tokens are a mapping"),
        ]:
            with pytest.raises(ApplicationError, match=re.escape(says)):
                municipality_update(actor=actor(gent), municipality=gent, tokens=tokens)
            assert fresh(gent).tokens == {}

    def test_setting_tokens_by_name(self, gent):
        municipality_tokens_set(
            actor=actor(gent),
            municipality=gent,
            values={"colour.primary": "#004B87", "radius": "0", "font.family": "Arial"},
        )
        gent = fresh(gent)
        assert gent.primary_colour == "#004b87" and gent.font_stack == "Arial"
        assert gent.tokens == {"radius": "0px"}
        assert gent.look["colour.link"] == "#004b87"  # follows the main colour
        municipality_tokens_set(actor=actor(gent), municipality=gent, values={"radius": ""})
        assert fresh(gent).tokens == {}  # back to the default

    def test_an_officer_without_the_right_cannot_set_them(self, gent, brugge):
        with pytest.raises(ApplicationError):
            municipality_tokens_set(
                actor=Actor.system("test", brugge), municipality=gent, values={"radius": "0"}
            )
        assert fresh(gent).tokens == {}


class TestContrast:
    def test_the_ratio_is_wcags(self):
        assert contrast("#000000", "#ffffff") == pytest.approx(21)
        assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
        # Rounded down: 4.48 is not shown as the 4.5 it fails.
        assert ratio_text(contrast("#777777", "#ffffff")) == "4.4"  # 4.48
        assert ratio_text(2.19) == "2.1"

    def test_the_defaults_pass(self):
        values = {token.name: token.default for token in TOKENS}
        values["colour.link"] = values["colour.primary"]
        assert contrast_problems(values) == []

    @pytest.mark.parametrize(
        ("values", "message"),
        [
            (
                {"colour.link": "#7fb2e5"},
                "Link colour #7fb2e5 on background #ffffff has contrast 2.2:1; "
                "WCAG 2.2 AA needs 4.5:1.",
            ),
            (
                {"colour.text": "#8a8a8a"},
                "Text colour #8a8a8a on background #ffffff has contrast 3.4:1; "
                "WCAG 2.2 AA needs 4.5:1.",
            ),
            (
                {"colour.primary-text": "#cccccc"},
                "Header and button text colour #cccccc on main colour #0b5c8e has contrast 4.4:1; "
                "WCAG 2.2 AA needs 4.5:1.",
            ),
            (
                {"colour.focus": "#ffbf47"},
                "Focus colour #ffbf47 on background #ffffff has contrast 1.6:1; "
                "WCAG 2.2 AA needs 3:1.",
            ),
            (
                {"colour.focus": "#8a8a8a", "colour.secondary": "#d9dde3"},
                "Focus colour #8a8a8a on panel colour #d9dde3 has contrast 2.5:1; "
                "WCAG 2.2 AA needs 3:1.",
            ),
            (
                {"colour.secondary": "#5a6a7a"},
                "Text colour #1a1a1a on panel colour #5a6a7a has contrast 3.1:1; "
                "WCAG 2.2 AA needs 4.5:1.",
            ),
        ],
    )
    def test_a_failing_pair_is_refused_and_named(self, gent, values, message):
        before = (fresh(gent).tokens, fresh(gent).branding_version)
        with pytest.raises(ApplicationError) as refused:
            municipality_tokens_set(actor=actor(gent), municipality=gent, values=values)
        assert message in str(refused.value)
        assert refused.value.code == "invalid_tokens"
        assert (fresh(gent).tokens, fresh(gent).branding_version) == before

    def test_the_light_tints_and_the_error_colour_need_a_light_background(self, gent):
        with pytest.raises(ApplicationError) as refused:
            municipality_tokens_set(
                actor=actor(gent),
                municipality=gent,
                values={"colour.background": "#333333", "colour.text": "#ffffff"},
            )
        said = str(refused.value)
        assert "Eloket's error colour #b00020 on background #333333 has contrast" in said
        assert "Text colour #ffffff on Eloket's notice colour" in said

    def test_the_message_is_in_the_users_language(self, gent):
        with translation.override("nl"), pytest.raises(ApplicationError) as refused:
            municipality_tokens_set(
                actor=actor(gent), municipality=gent, values={"colour.link": "#7fb2e5"}
            )
        assert "WCAG 2.2 AA vereist 4.5:1" in str(refused.value), str(refused.value)


class TestImport:
    def test_an_nl_design_system_file_is_mapped(self):
        result = read_tokens_file(json.dumps(NL_DESIGN_SYSTEM).encode())
        assert result.values == {
            "colour.text": "#1b1b1b",
            "colour.background": "#fffffe",
            "font.family": "'Fira Sans', Arial, sans-serif",
            "colour.link": "#004b87",
            "colour.primary": "#004b87",
            "colour.primary-text": "#ffffff",
            "radius": "0px",
            "colour.focus": "#000000",
            "focus.width": "4px",
        }
        assert ("utrecht.link.color", "colour.link", "#004b87") in result.used
        ignored = dict(result.ignored)
        assert ignored["utrecht.heading-1.font-size"] == "not a name Eloket uses"
        assert "gemeente.color.blue.700" in ignored

    def test_a_style_dictionary_file_with_dollar_values(self):
        result = read_tokens_file(
            json.dumps(
                {
                    "color": {
                        "primary": {"$value": "#005ca9", "$type": "color"},
                        "link": {"$value": "{color.primary}"},
                    },
                    "eloket": {"space": {"unit": {"$value": "1.25rem"}}},
                    "utrecht": {"page-header": {"background-color": {"value": "#112233"}}},
                }
            ).encode()
        )
        assert result.values == {
            "colour.primary": "#005ca9",
            "colour.link": "#005ca9",
            "space.unit": "1.25rem",
        }
        assert result.ignored == [
            ("utrecht.page-header.background-color", "colour.primary is set by color.primary")
        ]

    @pytest.mark.parametrize(
        ("content", "says"),
        [
            (b"{not json", "This is not a JSON file"),
            (b"[1, 2]", "A tokens file holds groups of tokens"),
            (b'{"a": {"b": 1}}', "The file holds no tokens"),
            (b'{"color": {"link": {"value": "{color.nowhere}"}}}', "does not define"),
            (b'{"color": {"link": {"value": "{color.link}"}}}', "does not define"),
            (
                b'{"utrecht": {"focus": {"outline-width": {"value": "1px"}}}}',
                "utrecht.focus.outline-width (focus.width): Out of bounds",
            ),
            (
                b'{"utrecht": {"document": {"font-family": {"value": "x;}body{x:y"}}}}',
                "utrecht.document.font-family (font.family): Use font names",
            ),
            (b" " * (256 * 1024 + 1), "limited to 256 KB"),
        ],
    )
    def test_a_bad_file_is_refused_with_the_reason(self, content, says):
        with pytest.raises(TokensFileError, match=re.escape(says)):
            read_tokens_file(content)

    def test_import_applies_over_the_current_look(self, gent):
        municipality_tokens_set(actor=actor(gent), municipality=gent, values={"space.unit": "12px"})
        result = municipality_tokens_import(
            actor=actor(gent),
            municipality=fresh(gent),
            content=json.dumps(NL_DESIGN_SYSTEM).encode(),
        )
        gent = fresh(gent)
        assert len(result.used) == 9
        assert gent.primary_colour == "#004b87" and gent.font_stack.startswith("'Fira Sans'")
        assert gent.tokens["space.unit"] == "12px"  # not in the file: kept
        assert gent.tokens["colour.focus"] == "#000000"

    def test_a_file_with_nothing_eloket_uses_changes_nothing(self, gent):
        with pytest.raises(ApplicationError, match="no token Eloket uses"):
            municipality_tokens_import(
                actor=actor(gent), municipality=gent, content=b'{"x": {"value": "#000000"}}'
            )


def tokens_file(tmp_path, data):
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return str(path)


class TestCommand:
    def test_tenant_tokens_prints_what_it_applied_and_ignored(self, gent, tmp_path):
        out = StringIO()
        call_command(
            "tenant", "tokens", "gent", tokens_file(tmp_path, NL_DESIGN_SYSTEM), stdout=out
        )
        said = out.getvalue()
        assert "gent: 9 design tokens applied from tokens.json." in said
        assert "utrecht.link.color -> colour.link = #004b87" in said
        assert "utrecht.heading-1.font-size (not a name Eloket uses)" in said
        assert fresh(gent).look["colour.link"] == "#004b87"
        shown = StringIO()
        call_command("tenant", "tokens", "gent", stdout=shown)
        assert re.search(r"colour\.link\s+#004b87", shown.getvalue())

    @pytest.mark.parametrize(
        ("data", "says"),
        [
            ("{oops", "This is not a JSON file"),
            (
                {"color": {"link": {"value": "#7fb2e5"}}},
                "Link colour #7fb2e5 on background #ffffff has contrast 2.2:1; "
                "WCAG 2.2 AA needs 4.5:1.",
            ),
        ],
    )
    def test_a_refusal_exits_with_the_reason_and_changes_nothing(self, gent, tmp_path, data, says):
        before = fresh(gent).branding_version
        with pytest.raises(CommandError, match=re.escape("Refused, nothing changed: ")) as refused:
            call_command("tenant", "tokens", "gent", tokens_file(tmp_path, data), stdout=StringIO())
        assert says in str(refused.value)
        assert fresh(gent).branding_version == before

    def test_a_missing_file(self, gent, tmp_path):
        with pytest.raises(CommandError, match="cannot read"):
            call_command("tenant", "tokens", "gent", str(tmp_path / "no.json"), stdout=StringIO())


class TestStylesheet:
    def test_theme_css_carries_every_token_as_a_custom_property(self, gent, client):
        municipality_tokens_set(
            actor=actor(gent),
            municipality=gent,
            values={"colour.link": "#004b87", "radius": "0", "font.family": "'Fira Sans', Arial"},
        )
        gent = fresh(gent)
        page = client.get("/gent/").content.decode()
        href = re.search(r'href="(/gent/theme\.css\?v=[0-9a-f]+)"', page).group(1)
        assert href.endswith(gent.branding_version)
        css = client.get(href)
        assert "immutable" in css["Cache-Control"]
        body = css.content.decode()
        for token in TOKENS:
            assert f"{token.css}:" in body
        assert "--eloket-link:#004b87;" in body and "--eloket-radius:0px;" in body
        assert "--eloket-font:'Fira Sans', Arial;" in body
        assert body.startswith(":root{") and len(body) < 600
        inside_host = client.get(href + "&in=host").content.decode()
        assert inside_host.startswith("#eloket#eloket{--eloket-primary:")

    def test_custom_css_of_before_the_tokens_keeps_working(self, gent, client):
        municipality_update(
            actor=actor(gent), municipality=gent, custom_css=".x{color:var(--primary)}"
        )
        css = client.get("/gent/theme.css").content.decode()
        assert "--primary:var(--eloket-primary);" in css and css.endswith(
            ".x{color:var(--primary)}"
        )
        municipality_update(actor=actor(gent), municipality=fresh(gent), custom_css="")
        assert "--primary:" not in client.get("/gent/theme.css").content.decode().replace(
            "--eloket-primary:", ""
        )

    def test_a_value_written_around_the_checks_never_reaches_the_stylesheet(self, gent, client):
        Municipality.objects.filter(pk=gent.pk).update(
            tokens={"radius": "1px}body{display:none", "colour.link": "red;x:y"},
            font_stack="x;}</style>",
        )
        css = client.get("/gent/theme.css").content.decode()
        assert "--eloket-radius:4px;" in css and "--eloket-link:#0b5c8e;" in css
        assert "--eloket-font:system-ui, sans-serif;" in css
        assert "display:none" not in css and "</style>" not in css and "x:y" not in css

    def test_a_token_change_changes_the_stylesheets_address(self, gent):
        before = gent.branding_version
        municipality_tokens_set(actor=actor(gent), municipality=gent, values={"radius": "8px"})
        assert fresh(gent).branding_version != before

    def test_base_css_uses_the_tokens(self):
        from eloket.web.embedded_css import STATIC

        base = (STATIC / "base.css").read_text()
        for token in TOKENS:
            assert f"var({token.css})" in base, token.name
        # Every default is the one the token documents.
        root = re.search(r":root\{([^}]*)\}", base).group(1)
        for token in TOKENS:
            if token.default:
                expected = token.default.replace("#ffffff", "#fff").replace(", ", ",")
                assert f"{token.css}:{expected}" in root, token.name
        assert "var(--primary)" not in base and "#ffbf47" not in base


@pytest.fixture
def gent_admin(client, gent, make_officer):
    return officer_login_client(client, make_officer("gent.admin", gent, role="admin"))


def change_form(gent, **changes):
    form = {
        "names_nl": "Stad Gent",
        "names_en": "City of Ghent",
        "default_language": "nl",
        "languages": ["nl", "en"],
        "modules": ["certificates"],
        "primary_colour": gent.primary_colour,
        "secondary_colour": gent.secondary_colour,
        "font_stack": gent.font_stack,
        **{
            f"token_{t.name.replace('.', '_').replace('-', '_')}": gent.look[t.name]
            for t in TOKENS
            if t.column == "tokens"
        },
    }
    form.update(changes)
    return form


class TestAdmin:
    def test_tokens_are_edited_in_the_municipalitys_form(self, gent_admin, gent):
        url = f"/admin/tenants/municipality/{gent.pk}/change/"
        page = gent_admin.get(url).content.decode()
        assert 'name="token_colour_link" value="#0b5c8e"' in page
        assert 'name="token_radius"' in page
        answer = gent_admin.post(
            url, change_form(gent, token_colour_link="#004b87", token_radius="0.5rem")
        )
        assert answer.status_code == 302
        assert fresh(gent).tokens == {"colour.link": "#004b87", "radius": "0.5rem"}

    def test_the_link_keeps_following_the_main_colour(self, gent_admin, gent):
        url = f"/admin/tenants/municipality/{gent.pk}/change/"
        assert gent_admin.post(url, change_form(gent, primary_colour="#004b87")).status_code == 302
        assert fresh(gent).tokens == {} and fresh(gent).look["colour.link"] == "#004b87"

    def test_a_failing_pair_is_shown_at_its_field_and_nothing_saved(self, gent_admin, gent):
        url = f"/admin/tenants/municipality/{gent.pk}/change/"
        answer = gent_admin.post(url, change_form(gent, token_colour_focus="#ffbf47"))
        assert answer.status_code == 200
        page = answer.content.decode()
        errors = answer.context["adminform"].form.errors
        assert errors["token_colour_focus"] == [
            "Focus colour #ffbf47 on background #ffffff has contrast 1.6:1; WCAG 2.2 AA needs 3:1.",
            "Focus colour #ffbf47 on panel colour #f2f5f9 has contrast 1.5:1; WCAG 2.2 AA needs 3:1.",
        ]
        assert "has contrast 1.6:1" in page
        assert fresh(gent).tokens == {}

    @pytest.mark.parametrize(
        ("field", "value", "says"),
        [
            ("token_radius", "4px;}body{display:none", "Use a length in px or rem"),
            ("token_space_unit", "100px", "Out of bounds"),
            ("font_stack", "Arial;}</style>", "Use font names separated by commas"),
            ("token_colour_text", "javascript:", "Use a colour like #1d4f91."),
        ],
    )
    def test_an_injection_is_refused_at_its_field(self, gent_admin, gent, field, value, says):
        url = f"/admin/tenants/municipality/{gent.pk}/change/"
        answer = gent_admin.post(url, change_form(gent, **{field: value}))
        assert answer.status_code == 200
        assert any(says in e for e in answer.context["adminform"].form.errors[field])
        gent.refresh_from_db()
        assert gent.tokens == {} and gent.font_stack == "system-ui, sans-serif"

    def test_a_tokens_file_is_uploaded_and_reported(self, gent_admin, gent):
        from django.core.files.uploadedfile import SimpleUploadedFile

        url = f"/admin/tenants/municipality/{gent.pk}/tokens/"
        assert (
            "Import design tokens"
            in gent_admin.get(f"/admin/tenants/municipality/{gent.pk}/change/").content.decode()
        )
        upload = SimpleUploadedFile(
            "gemeente.tokens.json", json.dumps(NL_DESIGN_SYSTEM).encode(), "application/json"
        )
        page = gent_admin.post(url, {"file": upload}).content.decode()
        assert "Applied 9 design tokens from gemeente.tokens.json; 2 names ignored." in page
        assert "utrecht.heading-1.font-size" in page and "not a name Eloket uses" in page
        assert fresh(gent).look["colour.focus"] == "#000000"

    def test_a_refused_upload_says_why(self, gent_admin, gent):
        from django.core.files.uploadedfile import SimpleUploadedFile

        bad = SimpleUploadedFile(
            "t.json", b'{"utrecht": {"link": {"color": {"value": "#7fb2e5"}}}}', "application/json"
        )
        page = gent_admin.post(f"/admin/tenants/municipality/{gent.pk}/tokens/", {"file": bad})
        assert (
            "Link colour #7fb2e5 on background #ffffff has contrast 2.2:1" in page.content.decode()
        )
        assert fresh(gent).tokens == {}

    def test_another_municipalitys_administrator_cannot_reach_it(
        self, client, gent, brugge, make_officer
    ):
        officer_login_client(client, make_officer("brugge.admin", brugge, role="admin"))
        assert client.get(f"/admin/tenants/municipality/{gent.pk}/tokens/").status_code == 404
