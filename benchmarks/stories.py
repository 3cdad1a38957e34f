"""Stories written for the summary benchmark, with their facts tagged as written.

All events, places and people here are invented. Each fact is written in several
wordings; a source states a fact in one of them, so the ground truth ("which
sentences state which fact") comes from how the text was written, not from
digest's aligner. Sentences tagged with no fact are details one outlet alone has.
"""

from __future__ import annotations

from dataclasses import dataclass

from digest.model import RawSource

Tagged = tuple[str, frozenset[str]]


@dataclass(frozen=True)
class BenchStory:
    name: str
    sources: tuple[tuple[str, str, tuple[Tagged, ...]], ...]  # (outlet, headline, sentences)

    def raw_sources(self) -> list[RawSource]:
        result = []
        for number, (outlet, headline, sentences) in enumerate(self.sources, start=1):
            paragraphs = [headline] + [text for text, _ in sentences]
            result.append(
                RawSource(
                    f"s{number}", f"bench/{self.name}/{number:02d}.txt", "\n\n".join(paragraphs) + "\n", outlet=outlet
                )
            )
        return result

    def facts(self) -> dict[str, set[tuple[str, str]]]:
        """Fact id -> the (source id, sentence text) pairs that state it."""
        found: dict[str, set[tuple[str, str]]] = {}
        for number, (_, _, sentences) in enumerate(self.sources, start=1):
            for text, tags in sentences:
                for tag in tags:
                    found.setdefault(tag, set()).add((f"s{number}", text))
        return {fact: where for fact, where in found.items() if len({s for s, _ in where}) >= 2}


def t(text: str, *facts: str) -> Tagged:
    return (text, frozenset(facts))


# --- two sources ---------------------------------------------------------------------

TWO = BenchStory(
    "two-sources",
    (
        (
            "Example Gazette",
            "Harbour bridge reopens to traffic after two-year repair",
            (
                t(
                    "The harbour bridge reopened to cars and cyclists on Saturday morning after a repair that took two years and cost 41 million euros.",
                    "open",
                    "cost",
                ),
                t(
                    "Mayor Ana Lind cut the ribbon at 9 a.m. and said the bridge would carry about 30,000 vehicles a day.",
                    "traffic",
                ),
                t(
                    "Engineers replaced all 112 steel cables and resurfaced the deck, the city's transport office said.",
                    "cables",
                ),
                t("The old cables had rusted faster than expected because of salt spray from the harbour."),
                t("Buses will return to the bridge on Monday, when the temporary ferry service ends.", "buses"),
                t("The ferry carried more than two million passengers during the closure."),
            ),
        ),
        (
            "Example Courier",
            "Harbour crossing open again",
            (
                t(
                    "The harbour bridge opened again on Saturday after two years of repairs that cost 41 million euros, city officials said.",
                    "open",
                    "cost",
                ),
                t(
                    '"This bridge is how the city breathes," Mayor Ana Lind said at the ceremony, adding that about 30,000 vehicles a day are expected to use it.',
                    "traffic",
                ),
                t("Work crews replaced all 112 steel cables and laid a new road surface on the deck.", "cables"),
                t("The temporary ferry service will end on Monday, when buses return to the bridge.", "buses"),
                t("A cycling club rode across the bridge in the first hour to mark the reopening."),
            ),
        ),
    ),
)

# --- ten sources ----------------------------------------------------------------------

_FIRE = {
    "evacuation": [
        "A wildfire forced the evacuation of about 2,400 residents of Kalvik on Thursday.",
        "Around 2,400 people were evacuated from Kalvik on Thursday as a wildfire approached the town.",
        "Authorities ordered some 2,400 residents of Kalvik to leave their homes on Thursday because of a wildfire.",
        "A fast-moving wildfire forced roughly 2,400 Kalvik residents from their homes on Thursday.",
        "Kalvik was evacuated on Thursday, with about 2,400 residents told to leave as the wildfire neared.",
    ],
    "area": [
        "The fire has burned about 3,100 hectares of forest.",
        "The blaze has scorched some 3,100 hectares of forest so far.",
        "About 3,100 hectares of forest have burned, officials said.",
        "Officials estimate that 3,100 hectares of forest have been destroyed by the fire.",
    ],
    "wind": [
        "Strong winds of up to 70 kilometres per hour spread the fire.",
        "Winds gusting up to 70 kilometres per hour drove the fire toward the town.",
        "Strong winds, at times reaching 70 kilometres per hour, fanned the blaze.",
    ],
    "crews": [
        "About 350 firefighters and six water-bombing planes are fighting the fire.",
        "Some 350 firefighters, backed by six water-bombing planes, are battling the blaze.",
        "Six water-bombing planes and about 350 firefighters were deployed against the fire.",
        "The fire service has sent 350 firefighters and six water-bombing planes.",
    ],
    "injuries": [
        "No injuries have been reported.",
        "No one has been reported injured in the fire.",
        "There were no reports of injuries from the fire.",
    ],
    "shelter": [
        "Evacuees are sheltering in the sports hall of the neighbouring town of Orsa.",
        "Evacuated residents are staying in a sports hall in nearby Orsa.",
        "A sports hall in neighbouring Orsa has been turned into a shelter for the evacuees.",
    ],
    "cause": [
        "Police are investigating the cause and suspect a disposable barbecue left in the forest.",
        "The cause of the fire is under investigation, but police suspect a disposable barbecue.",
    ],
    "governor": [
        "Regional governor Helle Strand said it was the worst wildfire in the region in 40 years.",
        "Governor Helle Strand called the blaze the worst wildfire in the region in 40 years.",
        '"This is the worst wildfire we have seen in this region in 40 years," regional governor Helle Strand said.',
    ],
}
_FIRE_EXTRAS = [
    "The town's football match against Orsa on Saturday has been postponed.",
    "Smoke from the fire could be seen from the coast, 60 kilometres away.",
    "Schools in Kalvik will stay closed on Friday.",
    "Farmers moved about 800 sheep from pastures near the forest.",
    "The national weather service forecasts rain for Sunday.",
    "A local hotel offered free rooms to families with young children.",
    "Train services between Kalvik and Orsa were suspended.",
    "The last large fire in the area, in 1983, burned about 1,200 hectares.",
    "Volunteers collected food and blankets at the Orsa town hall.",
    "The forestry company that owns most of the land said it would replant the area.",
]
_OUTLETS = [
    "North Wire",
    "Valley Post",
    "Coast Daily",
    "Kalvik Herald",
    "Radio Orsa",
    "Regional Times",
    "Morning Ledger",
    "Forest Voice",
    "Evening Star",
    "News Hour",
]


def _fire_source(number: int) -> tuple[str, str, tuple[Tagged, ...]]:
    facts = list(_FIRE)
    skip = {facts[(number + 3) % len(facts)], facts[(number * 3 + 5) % len(facts)]} if number % 3 else set()
    order = [f for f in facts if f not in skip]
    if number % 2:  # outlets order the same facts differently
        order[2], order[3] = order[3], order[2]
    sentences = [t(_FIRE[f][(number + i) % len(_FIRE[f])], f) for i, f in enumerate(order)]
    sentences.insert(3, t(_FIRE_EXTRAS[number]))
    headline = [
        "Wildfire forces evacuation of Kalvik",
        "Thousands flee Kalvik wildfire",
        "Kalvik evacuated as forest fire spreads",
    ][number % 3]
    return (_OUTLETS[number], headline, tuple(sentences))


TEN = BenchStory("ten-sources", tuple(_fire_source(n) for n in range(10)))

# --- one source contradicts the others --------------------------------------------------------

CONTRADICTION = BenchStory(
    "one-contradicts",
    (
        (
            "Rail Report",
            "Freight train derails near Holm",
            (
                t("A freight train carrying timber derailed near Holm late on Monday.", "derail"),
                t("Fourteen of its 30 wagons left the track, the rail operator said.", "wagons"),
                t("Nobody was hurt in the derailment.", "injuries"),
                t("The line between Holm and Vik will remain closed until Wednesday.", "closure"),
                t("Investigators are examining a section of track that was replaced last year.", "cause"),
            ),
        ),
        (
            "Holm Today",
            "Timber train leaves the rails at Holm",
            (
                t("A timber freight train derailed near Holm on Monday night.", "derail"),
                t("The rail operator said 14 of the 30 wagons came off the track.", "wagons"),
                t("No one was injured.", "injuries"),
                t("The Holm to Vik line is expected to stay closed until Wednesday.", "closure"),
                t("Residents said they heard a loud bang shortly before midnight."),
            ),
        ),
        (
            "Vik Courier",
            "Derailment closes Holm line",
            (
                t("A freight train loaded with timber derailed near Holm on Monday.", "derail"),
                t("According to the rail operator, 14 wagons of the 30 left the track.", "wagons"),
                t("The derailment caused no injuries.", "injuries"),
                t("Investigators are looking at a stretch of track replaced last year.", "cause"),
            ),
        ),
        (
            "Daily Signal",
            "Freight derailment at Holm",
            (
                t("A freight train derailed near Holm on Monday evening while carrying timber.", "derail"),
                t("The rail operator said 12 of the train's 30 wagons left the track.", "wagons"),
                t("No injuries were reported in the derailment.", "injuries"),
                t("The line between Holm and Vik will stay closed until Thursday.", "closure"),
            ),
        ),
    ),
)

# --- very different lengths -------------------------------------------------------------

LENGTHS = BenchStory(
    "different-lengths",
    (
        (
            "City Journal",
            "Council passes budget with money for new school places",
            (
                t("The city council approved next year's budget of 1.2 billion crowns on Tuesday.", "budget"),
                t("The budget passed by 31 votes to 20 after a debate that lasted nine hours.", "vote"),
                t("It includes money for 400 new school places in the fast-growing eastern districts.", "schools"),
                t("The property tax rate stays unchanged for the third year in a row.", "tax"),
                t("Finance councillor Omar Berg said the city had to plan for 8,000 more residents by 2030.", "growth"),
                t("The opposition had proposed cutting the culture budget by 15 percent."),
                t("That proposal was rejected by a large majority."),
                t("Spending on road maintenance rises by 40 million crowns."),
                t("The city library will open on Sundays from March."),
                t("A new bus line will connect the eastern districts to the hospital."),
                t("The council also agreed to sell two unused office buildings in the centre."),
                t("Berg said the sale could raise about 90 million crowns."),
                t("Several residents protested outside the town hall against the closure of a youth centre."),
                t("The youth centre's programmes will move to a school building in the autumn."),
                t("The budget takes effect on January 1."),
            ),
        ),
        (
            "Radio City",
            "Budget approved",
            (
                t(
                    "Councillors passed the city's 1.2 billion crown budget for next year on Tuesday, voting 31 to 20.",
                    "budget",
                    "vote",
                ),
                t("The budget pays for 400 additional school places.", "schools"),
                t("Property tax will not change.", "tax"),
            ),
        ),
        (
            "Metro Brief",
            "Council backs budget",
            (
                t("The council voted 31 to 20 on Tuesday to approve a budget of 1.2 billion crowns.", "budget", "vote"),
                t("Finance councillor Omar Berg said the city expects 8,000 more residents by 2030.", "growth"),
                t("Property taxes remain at this year's rate.", "tax"),
            ),
        ),
    ),
)

STORIES = (TWO, TEN, CONTRADICTION, LENGTHS)
