"""The demo municipalities: those that used the original Eloket, and Seoul for the forum."""

import datetime as dt
from dataclasses import dataclass, field

from eloket.register.demo import DemoLocale, PersonaSpec

BE_MALE = [
    "Jan",
    "Pieter",
    "Tom",
    "Wouter",
    "Luc",
    "Marc",
    "Koen",
    "Bart",
    "Dirk",
    "Geert",
    "Lucas",
    "Arthur",
    "Noah",
    "Louis",
    "Liam",
    "Jules",
    "Finn",
    "Mathis",
    "Stijn",
    "Thomas",
    "Jonas",
    "Hugo",
    "Victor",
    "Mohamed",
    "Adam",
    "Elias",
    "Lars",
    "Robbe",
    "Seppe",
    "Senne",
    "Wim",
    "Frank",
    "Johan",
    "Filip",
    "Hendrik",
    "Willem",
    "Pierre",
    "Olivier",
    "Jef",
    "Maarten",
]
BE_FEMALE = [
    "An",
    "Sofie",
    "Els",
    "Katrien",
    "Sarah",
    "Lotte",
    "Emma",
    "Olivia",
    "Louise",
    "Marie",
    "Lien",
    "Hanne",
    "Julie",
    "Lisa",
    "Nina",
    "Elise",
    "Fien",
    "Mila",
    "Ella",
    "Noor",
    "Anke",
    "Griet",
    "Veerle",
    "Inge",
    "Kristien",
    "Martine",
    "Nathalie",
    "Leen",
    "Ines",
    "Yasmine",
    "Fatima",
    "Amber",
    "Jana",
    "Lore",
    "Margot",
    "Paulien",
    "Camille",
    "Charlotte",
]
BE_LAST = [
    "Peeters",
    "Janssens",
    "Maes",
    "Jacobs",
    "Mertens",
    "Willems",
    "Claes",
    "Goossens",
    "Wouters",
    "De Smet",
    "Dubois",
    "Lambert",
    "Dupont",
    "Vermeulen",
    "Van den Broeck",
    "De Backer",
    "Desmet",
    "Martens",
    "Hermans",
    "Michiels",
    "Verhoeven",
    "De Clercq",
    "Pauwels",
    "Vandenberghe",
    "Declercq",
    "Verstraete",
    "Vercruysse",
    "Vandamme",
    "Coppens",
    "De Vos",
    "Van Damme",
    "Cools",
    "Segers",
    "Hendrickx",
    "Aerts",
    "Devos",
    "Vervaet",
    "De Meyer",
    "Verbeke",
    "Lemmens",
    "El Amrani",
    "Yilmaz",
    "Nowak",
    "Vanhove",
    "Ghesquière",
    "Deprez",
]
BE_ELSEWHERE = [
    ("Antwerpen", "2000"),
    ("Brussel", "1000"),
    ("Leuven", "3000"),
    ("Kortrijk", "8500"),
    ("Oostende", "8400"),
    ("Aalst", "9300"),
    ("Mechelen", "2800"),
    ("Hasselt", "3500"),
    ("Liège", "4000"),
    ("Namur", "5000"),
    ("Ieper", "8900"),
    ("Tielt", "8700"),
]
BE_NATIONALITIES = [("BE", 88), ("NL", 3), ("FR", 2), ("MA", 2), ("TR", 2), ("PL", 2), ("RO", 1)]

KR_MALE = [
    "민준",
    "서준",
    "도윤",
    "예준",
    "시우",
    "하준",
    "주원",
    "지호",
    "지후",
    "준우",
    "준서",
    "건우",
    "현우",
    "우진",
    "선우",
    "성민",
    "영수",
    "정호",
    "상철",
    "동현",
    "재훈",
    "태민",
]
KR_FEMALE = [
    "서연",
    "서윤",
    "지우",
    "서현",
    "민서",
    "하은",
    "하윤",
    "윤서",
    "지유",
    "채원",
    "지민",
    "수빈",
    "영희",
    "미경",
    "은지",
    "혜진",
    "수진",
    "지현",
    "민지",
    "유나",
    "예린",
    "다은",
]
KR_LAST = [
    "김",
    "이",
    "박",
    "최",
    "정",
    "강",
    "조",
    "윤",
    "장",
    "임",
    "한",
    "오",
    "서",
    "신",
    "권",
    "황",
    "안",
    "송",
    "류",
    "홍",
]
KR_ELSEWHERE = [
    ("부산광역시", "48000"),
    ("인천광역시", "21500"),
    ("대구광역시", "41900"),
    ("대전광역시", "34100"),
    ("광주광역시", "61900"),
    ("수원시", "16400"),
    ("성남시", "13100"),
    ("전주시", "54900"),
]


@dataclass(frozen=True)
class DemoMunicipality:
    slug: str
    names: dict[str, str]
    country: str
    nis_code: str
    languages: list[str]
    primary_colour: str
    secondary_colour: str
    residents: int
    locale: DemoLocale
    contact_email: str
    contact_phone: str
    contact_address: str
    website: str
    modules: list[str] = field(default_factory=lambda: ["certificates", "participation"])
    font_stack: str = "system-ui, 'Segoe UI', Roboto, sans-serif"
    # A design tokens file in demo/tokens/ (docs/theming.md), imported after the colours.
    tokens_file: str = ""
    personas: list[list[PersonaSpec]] = field(default_factory=list)


def be_locale(
    name: str,
    districts: list[tuple[str, str]],
    streets: list[str],
    block: int,
    street_lines: tuple[tuple[str, float, float, float, float], ...] = (),
) -> DemoLocale:
    return DemoLocale(
        street_lines=street_lines,
        country="BE",
        municipality_name=name,
        districts=districts,
        streets=streets,
        male_names=BE_MALE,
        female_names=BE_FEMALE,
        last_names=BE_LAST,
        other_places=BE_ELSEWHERE,
        nationalities=BE_NATIONALITIES,
        sequence_block=block,
    )


D = dt.date

# Where Gent's demo streets run (WGS 84, from one end to the other, read off a map to
# about 20 m): the demo register's addresses get coordinates along them, for the
# neighbours of a permit's public inquiry (docs/permits.md).
GENT_STREET_LINES = (
    ("Veldstraat", 51.05395, 3.72175, 51.04935, 3.72305),
    ("Korenmarkt", 51.05505, 3.72105, 51.05400, 3.72170),
    ("Kortrijksesteenweg", 51.04385, 3.71590, 51.02640, 3.70530),
    ("Brugsesteenweg", 51.06150, 3.71230, 51.06830, 3.69270),
    ("Dendermondsesteenweg", 51.05930, 3.74180, 51.06260, 3.76610),
    ("Overpoortstraat", 51.04245, 3.72560, 51.03900, 3.72680),
    ("Sint-Pietersnieuwstraat", 51.04930, 3.72520, 51.04265, 3.72750),
    ("Coupure Links", 51.05070, 3.71120, 51.06070, 3.71560),
    ("Frère-Orbanlaan", 51.04335, 3.73020, 51.04250, 3.73950),
    ("Sleepstraat", 51.06240, 3.72430, 51.06670, 3.72620),
    ("Drongensesteenweg", 51.05620, 3.70050, 51.05270, 3.67370),
    ("Heuvelpoort", 51.03905, 3.72700, 51.03840, 3.73020),
    ("Vlaanderenstraat", 51.05190, 3.72860, 51.04870, 3.73330),
    ("Nederkouter", 51.04960, 3.72040, 51.04520, 3.72130),
    ("Rooigemlaan", 51.05620, 3.69680, 51.06240, 3.69910),
    ("Voskenslaan", 51.03640, 3.71320, 51.03250, 3.72080),
    ("Hundelgemsesteenweg", 51.03450, 3.74870, 51.02120, 3.76060),
    ("Oude Brusselseweg", 51.03230, 3.74010, 51.02690, 3.74360),
)

GENT_PERSONAS = [
    [
        PersonaSpec("jan", "Jan", "Peeters", "M", D(1985, 7, 30)),
        PersonaSpec("sofie", "Sofie", "Claes", "F", D(1987, 3, 12), relation="spouse"),
        PersonaSpec("lotte", "Lotte", "Peeters", "F", D(2014, 5, 20), relation="child"),
        PersonaSpec("lucas", "Lucas", "Peeters", "M", D(2017, 11, 2), relation="child"),
    ],
    [
        PersonaSpec("an", "An", "De Smet", "F", D(1979, 1, 15)),
        PersonaSpec("tom", "Tom", "Vermeulen", "M", D(1976, 9, 8), relation="partner"),
    ],
    [
        PersonaSpec(
            "ahmed",
            "Ahmed",
            "El Amrani",
            "M",
            D(1992, 4, 3),
            nationality="MA",
            bis=True,
            born_here=False,
        ),
        PersonaSpec(
            "yasmine",
            "Yasmine",
            "Benali",
            "F",
            D(1994, 6, 21),
            relation="partner",
            nationality="MA",
            born_here=False,
        ),
    ],
    [
        PersonaSpec("maria", "Maria", "Goossens", "F", D(1941, 2, 14)),
        PersonaSpec(
            "marcel",
            "Marcel",
            "Goossens",
            "M",
            D(1938, 10, 1),
            relation="spouse",
            date_of_death=D(2024, 3, 9),
        ),
    ],
    [
        PersonaSpec("pieter", "Pieter", "Wouters", "M", D(1968, 12, 24)),
        PersonaSpec("katrien", "Katrien", "Jacobs", "F", D(1970, 8, 17), relation="spouse"),
    ],
]
BRUGGE_PERSONAS = [
    [
        PersonaSpec("els", "Els", "Maes", "F", D(1981, 5, 5)),
        PersonaSpec("koen", "Koen", "Vandamme", "M", D(1980, 2, 29), relation="spouse"),
        PersonaSpec("fien", "Fien", "Vandamme", "F", D(2012, 9, 14), relation="child"),
    ],
    [
        PersonaSpec("bart", "Bart", "Verstraete", "M", D(1959, 6, 30)),
        PersonaSpec("griet", "Griet", "Vercruysse", "F", D(1961, 4, 11), relation="spouse"),
    ],
]
SEOUL_PERSONAS = [
    [
        PersonaSpec("minjun", "민준", "김", "M", D(1984, 4, 17), nationality="KR"),
        PersonaSpec(
            "seoyeon", "서연", "이", "F", D(1986, 10, 3), relation="spouse", nationality="KR"
        ),
        PersonaSpec("jiwoo", "지우", "김", "F", D(2013, 7, 7), relation="child", nationality="KR"),
    ],
    [
        PersonaSpec("younghee", "영희", "박", "F", D(1958, 1, 30), nationality="KR"),
        PersonaSpec(
            "sangcheol", "상철", "최", "M", D(1955, 8, 15), relation="spouse", nationality="KR"
        ),
    ],
    [PersonaSpec("jiho", "지호", "정", "M", D(1995, 12, 1), nationality="KR")],
]


def small_personas(
    first: str,
    last: str,
    sex: str,
    born: dt.date,
    partner: str,
    partner_sex: str,
    partner_born: dt.date,
    key: str,
) -> list[list[PersonaSpec]]:
    return [
        [
            PersonaSpec(key, first, last, sex, born),
            PersonaSpec(
                f"{key}-partner", partner, last, partner_sex, partner_born, relation="spouse"
            ),
        ]
    ]


MUNICIPALITIES = [
    DemoMunicipality(
        slug="gent",
        names={"nl": "Stad Gent", "fr": "Ville de Gand", "en": "City of Ghent", "de": "Stadt Gent"},
        country="BE",
        nis_code="44021",
        languages=["nl", "en", "fr"],
        primary_colour="#0b5c8e",
        secondary_colour="#eef5fa",
        residents=2400,
        locale=be_locale(
            "Gent",
            [
                ("Gent", "9000"),
                ("Mariakerke", "9030"),
                ("Drongen", "9031"),
                ("Wondelgem", "9032"),
                ("Sint-Amandsberg", "9040"),
                ("Oostakker", "9041"),
                ("Gentbrugge", "9050"),
                ("Ledeberg", "9050"),
                ("Sint-Denijs-Westrem", "9051"),
                ("Zwijnaarde", "9052"),
            ],
            [
                "Veldstraat",
                "Korenmarkt",
                "Kortrijksesteenweg",
                "Brugsesteenweg",
                "Dendermondsesteenweg",
                "Overpoortstraat",
                "Sint-Pietersnieuwstraat",
                "Coupure Links",
                "Frère-Orbanlaan",
                "Sleepstraat",
                "Drongensesteenweg",
                "Heuvelpoort",
                "Vlaanderenstraat",
                "Nederkouter",
                "Rooigemlaan",
                "Voskenslaan",
                "Hundelgemsesteenweg",
                "Oude Brusselseweg",
            ],
            block=0,
            street_lines=GENT_STREET_LINES,
        ),
        contact_email="info@gent.example",
        contact_phone="09 210 10 10",
        contact_address="Botermarkt 1, 9000 Gent",
        website="https://gent.example/",
        personas=GENT_PERSONAS,
        modules=["certificates", "participation", "petitions"],
    ),
    DemoMunicipality(
        slug="brugge",
        names={
            "nl": "Stad Brugge",
            "fr": "Ville de Bruges",
            "de": "Stadt Brügge",
            "en": "City of Bruges",
        },
        country="BE",
        nis_code="31005",
        languages=["nl", "fr", "de", "en"],
        primary_colour="#a3232b",
        secondary_colour="#faf1f1",
        tokens_file="brugge.tokens.json",
        residents=2200,
        locale=be_locale(
            "Brugge",
            [
                ("Brugge", "8000"),
                ("Koolkerke", "8000"),
                ("Sint-Andries", "8200"),
                ("Sint-Michiels", "8200"),
                ("Assebroek", "8310"),
                ("Sint-Kruis", "8310"),
                ("Dudzele", "8380"),
                ("Lissewege", "8380"),
                ("Zeebrugge", "8380"),
            ],
            [
                "Steenstraat",
                "Langestraat",
                "Ezelstraat",
                "Katelijnestraat",
                "Gistelse Steenweg",
                "Torhoutse Steenweg",
                "Baron Ruzettelaan",
                "Kardinaal Mercierstraat",
                "Vaartdijkstraat",
                "Brugse Heirweg",
                "Blankenbergse Steenweg",
                "Noordzeestraat",
            ],
            block=1,
        ),
        contact_email="info@brugge.example",
        contact_phone="050 44 80 00",
        contact_address="Burg 12, 8000 Brugge",
        website="https://brugge.example/",
        personas=BRUGGE_PERSONAS,
    ),
    DemoMunicipality(
        slug="deinze",
        names={"nl": "Stad Deinze"},
        country="BE",
        nis_code="44083",
        languages=["nl"],
        primary_colour="#1b6b3a",
        secondary_colour="#eff7f1",
        residents=120,
        locale=be_locale(
            "Deinze",
            [
                ("Deinze", "9800"),
                ("Astene", "9800"),
                ("Petegem-aan-de-Leie", "9800"),
                ("Vinkt", "9800"),
                ("Zeveren", "9800"),
                ("Nevele", "9850"),
            ],
            [
                "Markt",
                "Tolpoortstraat",
                "Kortrijksesteenweg",
                "Gentsesteenweg",
                "Brielstraat",
                "Karel Picquélaan",
            ],
            block=2,
        ),
        contact_email="info@deinze.example",
        contact_phone="09 381 95 00",
        contact_address="Markt 1, 9800 Deinze",
        website="https://deinze.example/",
        personas=small_personas(
            "Wim", "Vervaet", "M", D(1972, 3, 3), "Inge", "F", D(1974, 7, 19), "wim"
        ),
    ),
    DemoMunicipality(
        slug="koksijde",
        names={"nl": "Gemeente Koksijde", "fr": "Commune de Coxyde"},
        country="BE",
        nis_code="38014",
        languages=["nl", "fr"],
        primary_colour="#00587a",
        secondary_colour="#eef6f9",
        residents=90,
        locale=be_locale(
            "Koksijde",
            [("Koksijde", "8670"), ("Oostduinkerke", "8670"), ("Wulpen", "8670")],
            ["Zeelaan", "Koninklijke Baan", "Leopold II-laan", "Kerkstraat", "Zeedijk"],
            block=3,
        ),
        contact_email="info@koksijde.example",
        contact_phone="058 53 30 30",
        contact_address="Zeelaan 303, 8670 Koksijde",
        website="https://koksijde.example/",
        personas=small_personas(
            "Geert", "Deprez", "M", D(1965, 5, 9), "Veerle", "F", D(1966, 11, 23), "geert"
        ),
    ),
    DemoMunicipality(
        slug="de-panne",
        names={"nl": "Gemeente De Panne", "fr": "Commune de La Panne"},
        country="BE",
        nis_code="38008",
        languages=["nl", "fr"],
        primary_colour="#005a9c",
        secondary_colour="#eef4fa",
        residents=80,
        locale=be_locale(
            "De Panne",
            [("De Panne", "8660"), ("Adinkerke", "8660")],
            ["Zeelaan", "Nieuwpoortlaan", "Kasteelstraat", "Duinkerkelaan", "Dynastielaan"],
            block=4,
        ),
        contact_email="info@depanne.example",
        contact_phone="058 42 16 16",
        contact_address="Zeelaan 21, 8660 De Panne",
        website="https://depanne.example/",
        personas=small_personas(
            "Filip", "Ghesquière", "M", D(1978, 1, 7), "Martine", "F", D(1979, 10, 10), "filip"
        ),
    ),
    DemoMunicipality(
        slug="roeselare",
        names={"nl": "Stad Roeselare"},
        country="BE",
        nis_code="36015",
        languages=["nl", "fr"],
        primary_colour="#7a1f5c",
        secondary_colour="#f8eff5",
        residents=150,
        locale=be_locale(
            "Roeselare",
            [("Roeselare", "8800"), ("Beveren", "8800"), ("Oekene", "8800"), ("Rumbeke", "8800")],
            [
                "Ooststraat",
                "Noordstraat",
                "Zuidstraat",
                "Westlaan",
                "Brugsesteenweg",
                "Meensesteenweg",
                "Hoogleedsesteenweg",
            ],
            block=5,
        ),
        contact_email="info@roeselare.example",
        contact_phone="051 26 21 11",
        contact_address="Botermarkt 2, 8800 Roeselare",
        website="https://roeselare.example/",
        personas=small_personas(
            "Johan", "Vanhove", "M", D(1969, 8, 1), "Leen", "F", D(1971, 12, 5), "johan"
        ),
    ),
    DemoMunicipality(
        slug="seoul",
        names={"ko": "서울특별시", "en": "Seoul Metropolitan Government"},
        country="KR",
        nis_code="1100000000",
        languages=["ko", "en"],
        primary_colour="#003478",
        secondary_colour="#eef2f8",
        residents=2100,
        # The forum's city; its register is for eligibility, not for Belgian certificates
        # (nor would the bundled PDF fonts set Hangul names).
        modules=["participation", "petitions"],
        font_stack="'Noto Sans KR', 'Malgun Gothic', 'Apple SD Gothic Neo', system-ui, sans-serif",
        locale=DemoLocale(
            country="KR",
            municipality_name="서울특별시",
            districts=[
                ("종로구", "03154"),
                ("중구", "04524"),
                ("용산구", "04390"),
                ("성동구", "04750"),
                ("마포구", "04050"),
                ("강남구", "06164"),
                ("송파구", "05551"),
                ("관악구", "08826"),
                ("노원구", "01689"),
                ("은평구", "03367"),
            ],
            streets=[
                "세종대로",
                "종로",
                "을지로",
                "테헤란로",
                "올림픽로",
                "마포대로",
                "한강대로",
                "왕십리로",
                "관악로",
                "동일로",
                "통일로",
                "강남대로",
            ],
            male_names=KR_MALE,
            female_names=KR_FEMALE,
            last_names=KR_LAST,
            other_places=KR_ELSEWHERE,
            nationalities=[("KR", 97), ("CN", 2), ("VN", 1)],
        ),
        contact_email="help@seoul.example",
        contact_phone="02-120",
        contact_address="서울특별시 중구 세종대로 110",
        website="https://seoul.example/",
        personas=SEOUL_PERSONAS,
    ),
]


def logo_svg(initials: str, colour: str) -> bytes:
    """A small shield with the municipality's initials: a stand-in for a real logo."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 48" role="img">'
        f'<path d="M2 2h36v22c0 12-9 19-18 22C11 43 2 36 2 24z" fill="{colour}" stroke="#fff" stroke-width="2"/>'
        f'<text x="20" y="30" font-family="sans-serif" font-size="16" font-weight="700" fill="#fff" '
        f'text-anchor="middle">{initials}</text></svg>'
    ).encode()
