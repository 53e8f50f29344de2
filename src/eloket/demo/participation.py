"""Demo participation: Seoul's first Cyber Policy Forum case (2003), Gent's open topic and
its petition. Deterministic (a fixed seed); residents come from the demo registers."""

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from eloket.common.actors import Actor
from eloket.forum.analysis_jobs import analysis_wanted
from eloket.forum.interchange import bulk_load
from eloket.forum.models import Award, Phase, ResponseOutcome, Selection, Topic
from eloket.forum.services import topic_add_expert, topic_attach, topic_create
from eloket.register.ages import age_on
from eloket.register.selectors import resident_list
from eloket.tenants.models import Municipality

SEOUL_TITLE = {
    "ko": "시청 앞 열린 광장 조성",
    "en": "Constructing an open square in front of City Hall",
}
GENT_TITLE = {"nl": "Een autovrije Korenmarkt en Veldstraat?"}

# Three camps (a square for people, worries about traffic, a stage for events) and a few
# statements everyone shares; each camp votes its own way, so the analysis finds groups.
SEOUL_STATEMENTS: dict[str, list[tuple[str, str]]] = {
    "people": [
        (
            "시청 앞은 차가 아니라 시민을 위한 공간이 되어야 합니다.",
            "The space in front of City Hall should be for citizens, not cars.",
        ),
        (
            "잔디를 깔아 누구나 앉아 쉴 수 있게 해 주세요.",
            "Lay grass so that anyone can sit and rest.",
        ),
        (
            "나무와 그늘, 벤치를 충분히 두면 좋겠습니다.",
            "Plenty of trees, shade and benches, please.",
        ),
        (
            "차로를 줄이고 보행자 중심으로 바꿔야 합니다.",
            "Fewer lanes; make it a place for pedestrians.",
        ),
        (
            "광장은 도심 속 허파 역할을 할 것입니다.",
            "The square will be a green lung in the city centre.",
        ),
        (
            "횡단보도를 늘려 광장에 쉽게 갈 수 있게 해 주세요.",
            "Add crossings so people can reach the square easily.",
        ),
    ],
    "traffic": [
        (
            "광장을 만들면 세종대로 교통 체증이 심해질까 걱정입니다.",
            "I fear a square will make traffic on Sejong-daero much worse.",
        ),
        ("버스 노선 조정 계획을 먼저 발표해야 합니다.", "Publish the bus route changes first."),
        (
            "우회 도로 없이 차로를 줄이는 것은 반대합니다.",
            "I oppose removing lanes without a bypass.",
        ),
        (
            "택시와 배달 차량이 설 곳을 마련해야 합니다.",
            "Taxis and deliveries need somewhere to stop.",
        ),
        (
            "지하차도를 만들어 차량 흐름을 유지해야 합니다.",
            "Build an underpass to keep traffic flowing.",
        ),
        (
            "주변 상가의 교통 불편을 먼저 조사해야 합니다.",
            "First survey how nearby shops would be affected.",
        ),
    ],
    "events": [
        (
            "광장에서 공연과 축제를 자주 열면 좋겠습니다.",
            "Hold concerts and festivals on the square often.",
        ),
        ("겨울에는 스케이트장을 운영해 주세요.", "Run a skating rink in winter."),
        (
            "월드컵 같은 거리 응원을 위한 공간이 필요합니다.",
            "We need a place for street cheering, as in the World Cup.",
        ),
        ("대형 전광판과 무대를 설치해 주세요.", "Install a big screen and a stage."),
        (
            "주말마다 시민 장터를 열면 좋겠습니다.",
            "A citizens' market every weekend would be great.",
        ),
        ("밤에도 조명을 밝혀 야간 행사를 열어 주세요.", "Light it at night for evening events."),
    ],
    "shared": [
        (
            "광장 설계에 시민 의견을 계속 반영해 주세요.",
            "Keep listening to citizens while designing the square.",
        ),
        (
            "장애인과 노약자도 쉽게 이용할 수 있게 해 주세요.",
            "Make it easy to use for disabled and elderly people.",
        ),
        ("공사 기간 동안 안내를 잘 해 주세요.", "Inform people well during the works."),
        ("깨끗한 화장실과 음수대를 갖춰 주세요.", "Provide clean toilets and drinking water."),
    ],
}
SEOUL_REASONS = [
    ("", ""),
    (" 아이들과 함께 가고 싶습니다.", " I want to go there with my children."),
    (" 외국인 관광객에게도 좋은 인상을 줄 것입니다.", " It will impress visitors from abroad too."),
    (" 매일 그 앞을 지나다니는 시민으로서 드리는 의견입니다.", " I pass there every day."),
    (" 다른 나라 도시의 사례도 참고해 주세요.", " Look at other cities' examples too."),
    (" 꼭 검토해 주시기 바랍니다.", " Please consider it seriously."),
]
SEOUL_BACKGROUND = {
    "ko": (
        "## 배경\n\n서울시청 앞은 지금 차량이 오가는 교차로입니다. 시는 이곳을 시민 누구나 "
        "머물 수 있는 **열린 광장**으로 바꾸려 합니다.\n\n"
        "## 계획\n\n- 잔디 광장(약 13,000㎡)과 보행 공간\n- 세종대로·소공로 차로 조정과 버스 노선 변경\n"
        "- 공연·행사에 쓸 수 있는 공간\n\n의견을 주시면 분석해 설계에 반영하고, 결과를 이 포럼에 공개합니다."
    ),
    "en": (
        "## Background\n\nThe space in front of Seoul City Hall is now a busy crossroads. The city wants "
        "to turn it into an **open square** where anyone can stay.\n\n"
        "## Plans\n\n- A lawn of about 13,000 m² and space for walking\n- Lanes on Sejong-daero and "
        "Sogong-ro changed, bus routes adjusted\n- Room for performances and events\n\n"
        "Your opinions will be analysed, reflected in the design, and the results published here."
    ),
}
SEOUL_EXPERTS = [
    (
        "김도시",
        "도시계획학 교수 / Professor of urban planning",
        {
            "ko": "광장은 도시의 거실입니다. 차량 동선을 정리하면 보행 중심 도심으로 가는 첫걸음이 됩니다.",
            "en": "A square is the city's living room. Reorganising traffic is the first step to a walkable centre.",
        },
    ),
    (
        "박교통",
        "교통공학 연구원 / Traffic engineering researcher",
        {
            "ko": "차로 축소는 우회 경로와 대중교통 보완이 함께 갈 때만 혼잡을 피할 수 있습니다.",
            "en": "Fewer lanes avoid congestion only together with detours and better public transport.",
        },
    ),
    (
        "이문화",
        "문화기획자 / Cultural programmer",
        {
            "ko": "행사와 일상의 휴식이 공존하도록 운영 원칙을 시민과 함께 정해야 합니다.",
            "en": "Agree on rules with citizens so that events and everyday rest can live side by side.",
        },
    ),
]
PLAN_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 260" role="img" aria-label="Design plan">'
    '<rect width="400" height="260" fill="#f4f1e8"/><rect x="20" y="20" width="360" height="40" fill="#9aa0a6"/>'
    '<text x="200" y="45" text-anchor="middle" font-size="14">Sejong-daero</text>'
    '<ellipse cx="200" cy="150" rx="150" ry="70" fill="#8bc34a"/>'
    '<text x="200" y="155" text-anchor="middle" font-size="16">Lawn / 잔디 광장</text>'
    '<rect x="300" y="210" width="80" height="40" fill="#795548"/><text x="340" y="235" text-anchor="middle" '
    'font-size="11" fill="#fff">City Hall</text></svg>'
)


def _adults(municipality: Municipality, minimum: int, limit: int) -> list[Any]:
    people = list(resident_list(municipality=municipality).order_by("pk")[: limit * 2])
    return [p for p in people if (age_on(p) or 0) >= minimum][:limit]


def _participation(
    topic: Topic,
    statements: dict[str, list[tuple[str, str]]],
    reasons: list[tuple[str, str]],
    people: list[Any],
    *,
    start: dt.datetime,
    days: int,
    per_person: int,
    english_share: float,
    seed: int,
) -> None:
    rng = random.Random(seed)
    camps = [camp for camp in statements if camp != "shared"]
    membership = [camps[i % len(camps)] for i in range(len(people))]
    texts: list[tuple[str, str]] = []  # (camp, text)
    for camp, items in statements.items():
        for native, english in items:
            for reason_native, reason_english in reasons:
                use_english = rng.random() < english_share
                texts.append(
                    (camp, (english + reason_english) if use_english else (native + reason_native))
                )
    rng.shuffle(texts)
    opinions = []
    for _camp, text in texts:
        author = rng.randrange(len(people))
        opinions.append((author, text, start + dt.timedelta(minutes=rng.randrange(days * 24 * 60))))
    votes = []
    for who in range(len(people)):
        own = membership[who]
        for which in rng.sample(range(len(texts)), min(per_person, len(texts))):
            camp = texts[which][0]
            if opinions[which][0] == who:
                continue
            if camp == "shared":
                value = 1 if rng.random() < 0.85 else 0
            elif camp == own:
                value = 1 if rng.random() < 0.85 else rng.choice([0, -1])
            else:
                value = -1 if rng.random() < 0.7 else rng.choice([0, 1])
            when = start + dt.timedelta(minutes=rng.randrange(days * 24 * 60))
            votes.append((who, which, value, max(when, opinions[which][2])))  # not before it
    bulk_load(
        topic=topic,
        participants=[(p.pk, p.full_name) for p in people],
        opinions=opinions,
        votes=votes,
    )


def seoul_forum(municipality: Municipality) -> Topic | None:
    if Topic.objects.filter(municipality=municipality, title__en=SEOUL_TITLE["en"]).exists():
        return None
    tz = dt.timezone(dt.timedelta(hours=9))
    start = dt.datetime(2003, 2, 7, 9, 0, tzinfo=tz)
    platform = Actor.system("Eloket demo", municipality)
    topic = topic_create(
        actor=platform,
        municipality=municipality,
        title=SEOUL_TITLE,
        summary={
            "ko": "시청 앞을 시민이 머무는 열린 광장으로 바꾸는 계획에 대해 의견을 모읍니다.",
            "en": "Opinions on turning the space in front of City Hall into an open square for citizens.",
        },
        background=SEOUL_BACKGROUND,
        department="도시계획국 / Urban Planning Bureau",
        opens_at=start,
        closes_at=dt.datetime(2003, 3, 15, 18, 0, tzinfo=tz),
        phase=Phase.OPEN,
        min_age=14,
    )
    for position, (name, role, statement) in enumerate(SEOUL_EXPERTS):
        topic_add_expert(
            actor=platform,
            municipality=municipality,
            topic=topic,
            name=name,
            role=role,
            statement=statement,
            position=position,
        )
    topic_attach(
        actor=platform,
        municipality=municipality,
        topic=topic,
        title="설계안 초안 / Draft design plan",
        filename="seoul-square-plan.svg",
        content_type="image/svg+xml",
        data=PLAN_SVG.encode(),
    )
    people = _adults(municipality, 14, 320)
    _participation(
        topic, SEOUL_STATEMENTS, SEOUL_REASONS, people,
        start=start, days=36, per_person=20, english_share=0.1, seed=2003,
    )  # fmt: skip
    best = list(topic.opinions.order_by("-agree", "pk")[:3])
    outcomes = [
        (
            Award.BEST,
            ResponseOutcome.REFLECTED,
            "잔디 광장으로 조성했습니다 (2004년 5월 개장). / Built as a lawn square, opened May 2004.",
        ),
        (
            Award.EXCELLENT,
            ResponseOutcome.PARTLY,
            "행사는 주말과 저녁에 한해 허가합니다. / Events allowed on weekends and evenings only.",
        ),
        (
            Award.EXCELLENT,
            ResponseOutcome.PARTLY,
            "버스 노선 조정안을 공사 전에 공개했습니다. / Bus route changes were published before the works.",
        ),
    ]
    for opinion, (award, outcome, response) in zip(best, outcomes, strict=False):
        Selection.objects.create(
            municipality=municipality,
            topic=topic,
            opinion=opinion,
            award=award,
            outcome=outcome,
            response=response,
        )
    Topic.objects.filter(pk=topic.pk).update(
        phase=Phase.RESULTS, ends_at=dt.datetime(2004, 5, 1, tzinfo=tz)
    )
    return topic


GENT_STATEMENTS: dict[str, list[tuple[str, str]]] = {
    "car_free": [
        ("Maak de Korenmarkt helemaal autovrij, ook voor leveringen na 11 uur.", ""),
        ("Meer ruimte voor terrassen en spelende kinderen.", ""),
        ("Fietsers en voetgangers verdienen het centrum.", ""),
    ],
    "access": [
        ("Bewoners moeten met de auto tot aan hun deur kunnen.", ""),
        ("Denk aan wie slecht te been is: laat taxi's door.", ""),
        ("Handelaars hebben leveringen nodig, ook 's middags.", ""),
    ],
    "shared": [
        ("Zorg voor genoeg fietsenstallingen rond de markt.", ""),
        ("Meer groen en bankjes, graag.", ""),
    ],
}
GENT_REASONS = [("", ""), (" Ik woon in de buurt.", ""), (" Dat maakt de stad aangenamer.", "")]


def gent_forum(municipality: Municipality) -> Topic | None:
    if Topic.objects.filter(municipality=municipality, title__nl=GENT_TITLE["nl"]).exists():
        return None
    # Opened two days ago; the seeded opinions and votes fall on the first day, so every
    # timestamp lies in the past and a new opinion comes first under "newest" (issue 11).
    now = timezone.now().replace(second=0, microsecond=0)
    opened = now - dt.timedelta(days=2)
    topic = topic_create(
        actor=Actor.system("Eloket demo", municipality),
        municipality=municipality,
        title=GENT_TITLE,
        summary={
            "nl": "De stad overweegt de Korenmarkt en de Veldstraat autovrij te maken. Wat denkt u?"
        },
        background={
            "nl": (
                "## Waarover gaat het?\n\nHet stadsbestuur onderzoekt of de Korenmarkt en de Veldstraat "
                "**volledig autovrij** kunnen worden, met venstertijden voor leveringen.\n\n"
                "Geef uw mening, stem over die van anderen (eens, oneens of pas), en volg wat de stad ermee doet."
            )
        },
        department="Dienst Mobiliteit",
        opens_at=opened,
        closes_at=opened + dt.timedelta(days=90),
        phase=Phase.OPEN,
        min_age=16,
        pre_moderation=False,
    )
    shown = on_the_demo_page(municipality)  # they find a topic they have not voted on yet
    people = [p for p in _adults(municipality, 16, 60 + len(shown)) if p.national_id not in shown]
    _participation(
        topic, GENT_STATEMENTS, GENT_REASONS, people[:60],
        start=opened, days=1, per_person=8, english_share=0.0, seed=9000,
    )  # fmt: skip
    return topic


def gent_petition(municipality: Municipality) -> Any:
    from eloket.identity.selectors import citizen_actor_of
    from eloket.identity.services import citizen_account
    from eloket.petitions.models import CoInitiator, Petition, PetitionRules, Signature
    from eloket.petitions.selectors import petitions_changed
    from eloket.petitions.services import petition_admit, petition_start, petition_submit

    if Petition.objects.filter(municipality=municipality).exists():
        return None
    PetitionRules.objects.update_or_create(
        municipality=municipality, defaults={"threshold_kind": "count", "threshold_value": 100}
    )
    # Nobody the demo identity provider lists has signed: each of them can try (issue 11).
    shown = on_the_demo_page(municipality)
    people = [p for p in _adults(municipality, 16, 80 + len(shown)) if p.national_id not in shown]
    users = [citizen_account(person=p, method="oidc") for p in people[:40]]
    initiator = citizen_actor_of(users[0])
    assert initiator is not None  # citizen_account made them a citizen
    petition = petition_start(
        actor=initiator,
        municipality=municipality,
        title="Meer overdekte fietsenstallingen aan Gent-Sint-Pieters",
        text=(
            "Wij vragen de stad om **1.000 extra overdekte fietsplaatsen** aan het station "
            "Gent-Sint-Pieters, vóór de winter.\n\nDe bestaande stallingen zijn elke ochtend vol."
        ),
    )
    for user, person in zip(users[1:3], people[1:3], strict=True):
        CoInitiator.objects.create(
            municipality=municipality, petition=petition, user=user, person_ref=person.pk
        )
    petition_submit(actor=initiator, municipality=municipality, petition=petition)
    petition_admit(
        actor=Actor.for_municipality(municipality),
        municipality=municipality,
        petition=petition,
        admissible=True,
    )
    for user, person in zip(users[:37], people[:37], strict=True):
        Signature.objects.create(
            municipality=municipality, petition=petition, user=user, person_ref=person.pk
        )
    Petition.objects.filter(pk=petition.pk).update(signature_count=37)
    petitions_changed(petition.municipality_id)
    return petition


def personas(municipality: Municipality) -> set[str]:
    """The national numbers of the municipality's named demo citizens (README)."""
    from eloket.demo.data import MUNICIPALITIES
    from eloket.demo.services import demo_citizens

    if not any(spec.slug == municipality.slug for spec in MUNICIPALITIES):
        return set()
    return {number for number, _name in demo_citizens(municipality.slug).values()}


def on_the_demo_page(municipality: Municipality) -> set[str]:
    """The national numbers a tester is offered on the demo identity provider's page: the
    named personas and the ordinary residents listed with them (and, as ages move on, those
    who could be listed next), which the seed keeps free to sign and vote."""
    from eloket.demo.services import ORDINARY_COUNT, demo_citizen_list
    from eloket.register.selectors import residents_in_households

    shown = personas(municipality)
    shown |= {row["national_number"] for row in demo_citizen_list(municipality)}
    shown |= {
        p.national_id
        for p in residents_in_households(
            municipality=municipality,
            min_age=20,
            max_age=75,
            min_household=2,
            limit=ORDINARY_COUNT * 3,
        )
    }
    return shown


def demo_participation_ensure(municipality: Municipality) -> None:
    topic = None
    if municipality.slug == "seoul":
        topic = seoul_forum(municipality)
    elif municipality.slug == "gent":
        topic = gent_forum(municipality)
        gent_petition(municipality)
    if topic is not None:
        # Shown right away: the run is enqueued now, not after the usual wait for more
        # votes (`make run`'s worker takes it up as it starts; the tests' immediate
        # backend runs it here).
        analysis_wanted(topic.pk, now=True)
