"""Synthetic extractive-QA data, written by the bundle, to fine-tune the packaged model for QA offline.

Each example is a short context (a fact and distractor sentences, shuffled, so the answer sits at varied
positions) with a question whose answer is a span of the context, as in SQuAD (Rajpurkar et al. 2016,
arXiv:1606.05250). Seven kinds of question: when (a year), where (a city), who (a person), what (an item of
a category), why (a reason clause), how many (a number), and two-step deduction in the style of bAbI task
15 (Weston et al. 2015, arXiv:1502.05698: "Xs are fond of Ys. Ann is an X. What is Ann fond of?").

Every kind has several fact templates and several question phrasings; some of each are **held out**: the
evaluation split is written only with them, and training never sees them. The generator is
deterministic: the same seed gives the same examples.

The course's three examples (Nikola Tesla's birth year; detention as a punishment; the wolves-and-cats
story) are *not* in this data, nor paraphrases of them: none of their names, numbers, animals or key words
(``COURSE_WORDS``) occurs, no question asks "In what year", the what-questions never say "common", and the
deduction stories use other relations than being afraid (``tests/test_qa.py`` checks all of this).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

#: Words of the course's examples that the generated data never contains (checked by the tests).
COURSE_WORDS = (
    "tesla",
    "1856",
    "smiljan",
    "serbian",
    "austrian",
    "detention",
    "punishment",
    "school",
    "emily",
    "gertrude",
    "winona",
    "jessica",
    "afraid",
    "fear",
    "wolf",
    "wolves",
    "sheep",
    "mouse",
    "mice",
    "cats",
    "cat ",
)

SPLITS = ("train", "heldout")

FIRST = (
    "Anna",
    "Bruno",
    "Carla",
    "Dmitri",
    "Elena",
    "Farid",
    "Greta",
    "Hugo",
    "Ingrid",
    "Jonas",
    "Kira",
    "Lars",
    "Maya",
    "Nadia",
    "Oscar",
    "Paola",
    "Quentin",
    "Rosa",
    "Stefan",
    "Tomas",
    "Ursula",
    "Viktor",
    "Wanda",
    "Xavier",
    "Yara",
    "Zoran",
    "Lena",
    "Marco",
    "Sofia",
    "Pavel",
    "Irene",
    "Kenji",
    "Amara",
    "Diego",
    "Helga",
    "Omar",
    "Priya",
    "Rafael",
    "Selma",
    "Tobias",
)
LAST = (
    "Albers",
    "Brandt",
    "Castillo",
    "Duarte",
    "Eriksen",
    "Falk",
    "Gallo",
    "Horvat",
    "Ivanova",
    "Jansen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Okafor",
    "Petrov",
    "Quint",
    "Rossi",
    "Sandoval",
    "Tanaka",
    "Ueda",
    "Varga",
    "Weber",
    "Yilmaz",
    "Zeller",
    "Marsh",
    "Holm",
    "Bianchi",
    "Kaur",
    "Lund",
)
CITIES = (
    "Lisbon",
    "Krakow",
    "Bergen",
    "Porto",
    "Valencia",
    "Ghent",
    "Tampere",
    "Brno",
    "Graz",
    "Leipzig",
    "Lyon",
    "Turin",
    "Malmo",
    "Aarhus",
    "Utrecht",
    "Bilbao",
    "Seville",
    "Dresden",
    "Bologna",
    "Riga",
    "Vilnius",
    "Tallinn",
    "Cork",
    "Galway",
    "Nantes",
    "Basel",
    "Geneva",
    "Zagreb",
    "Split",
    "Ljubljana",
)
COUNTRIES = (
    "Portugal",
    "Poland",
    "Norway",
    "Spain",
    "Belgium",
    "Finland",
    "Czechia",
    "Germany",
    "France",
    "Italy",
    "Sweden",
    "Denmark",
    "the Netherlands",
    "Latvia",
    "Lithuania",
    "Estonia",
    "Croatia",
    "Slovenia",
    "Greece",
    "Chile",
    "Peru",
    "Japan",
    "Korea",
    "Kenya",
    "Ghana",
    "Canada",
    "Mexico",
)
JOBS = (
    "painter",
    "chemist",
    "sailor",
    "baker",
    "architect",
    "poet",
    "surgeon",
    "pilot",
    "composer",
    "botanist",
    "journalist",
    "carpenter",
    "astronomer",
    "lawyer",
    "potter",
    "weaver",
)
BUILDINGS = (
    "city library",
    "old bridge",
    "harbour tower",
    "concert hall",
    "railway station",
    "glass museum",
    "town hall",
    "botanical garden",
    "opera house",
    "market hall",
    "lighthouse",
    "stadium",
)
CATEGORIES = {
    "dish": (
        "paella",
        "pierogi",
        "goulash",
        "ratatouille",
        "moussaka",
        "risotto",
        "borscht",
        "ceviche",
        "Korvana",
        "Tamelin",
    ),
    "dance": ("tango", "polka", "flamenco", "waltz", "mazurka", "fandango", "Selvaro", "Quintessa"),
    "sport": ("handball", "curling", "hurling", "fencing", "rowing", "bandy", "Pellota", "Garrick"),
    "drink": ("kvass", "horchata", "mate", "kefir", "sangria", "Ambrel", "Dulmora"),
    "instrument": ("accordion", "bagpipe", "mandolin", "zither", "oboe", "Sitarel", "Vondra"),
    "festival": ("Carnival", "Midsummer", "Harvest Moon", "Lantern Night", "Fiesta Mayor", "Brightwell"),
}
ACTIONS = (
    ("stay at home", "stayed at home"),
    ("leave work early", "left work early"),
    ("miss the train", "missed the train"),
    ("buy a new coat", "bought a new coat"),
    ("cancel the trip", "cancelled the trip"),
    ("call a plumber", "called a plumber"),
    ("sell the car", "sold the car"),
    ("close the shop", "closed the shop"),
)
REASONS = (
    "the roads were flooded",
    "a storm was coming",
    "the heating had broken",
    "the bus never came",
    "the old one was torn",
    "the tickets were too expensive",
    "the kitchen pipe was leaking",
    "the engine kept failing",
    "a parcel was due to arrive",
    "the streets were covered in ice",
    "the rent had gone up",
    "a friend needed help",
    "the bridge was closed for repairs",
)
THINGS = (
    "goats",
    "bicycles",
    "apple trees",
    "chickens",
    "paintings",
    "violins",
    "boats",
    "beehives",
    "clocks",
    "horses",
    "lamps",
    "kites",
)
#: Years of the when-questions (the course's 1856 left out).
YEARS = tuple(year for year in range(1701, 2000) if year != 1856)
NUMBER_WORDS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twelve", "fifteen", "twenty")
#: Animals of the deduction stories, singular and plural.
ANIMALS = (
    ("fox", "foxes"),
    ("goose", "geese"),
    ("horse", "horses"),
    ("rabbit", "rabbits"),
    ("owl", "owls"),
    ("goat", "goats"),
    ("bear", "bears"),
    ("duck", "ducks"),
    ("frog", "frogs"),
    ("hen", "hens"),
    ("crow", "crows"),
    ("badger", "badgers"),
    ("otter", "otters"),
    ("swan", "swans"),
)
RELATIONS = {
    "train": ("fond of", "jealous of", "wary of", "proud of", "tired of"),
    "heldout": ("curious about", "suspicious of"),
}
FILLERS = (
    "The weather was mild that spring.",
    "{city} has a small museum near the river.",
    "Most shops in {city} open at nine.",
    "{person} likes long walks by the sea.",
    "The market in {city} is busy on Saturdays.",
    "{person} once worked as a {job}.",
    "A new road was built north of {city}.",
    "{person} speaks three languages.",
)


@dataclass(frozen=True)
class QAItem:
    """One generated example; the answer is ``context[answer_start:answer_start + len(answer)]``."""

    kind: str
    question: str
    context: str
    answer: str
    answer_start: int
    template: str  # "<kind>/<fact template index>/<question index>"


@dataclass(frozen=True)
class Kind:
    """A question kind: fact templates and question phrasings (with ``{answer}`` and other slots), each
    split into the ones for training and the held-out ones."""

    facts: dict[str, tuple[str, ...]]
    questions: dict[str, tuple[str, ...]]


KINDS = {
    "when": Kind(
        {
            "train": (
                "{person} was born in {answer} in {city}.",
                "{person}, a {job} from {city}, was born in {answer}.",
                "In {answer}, {person} was born in the town of {city}.",
                "{person} was born in {answer} and grew up in {city}.",
            ),
            "heldout": (
                "{person} was born in {city} in the year {answer}.",
                "The {job} {person} was born in {answer}, in {city}.",
            ),
        },
        {
            "train": (
                "When was {person} born?",
                "What year was {person} born?",
                "What was the birth year of {person}?",
            ),
            "heldout": ("In which year was {person} born?", "{person} was born in which year?"),
        },
    ),
    "where": Kind(
        {
            "train": (
                "{person} lives in {answer}.",
                "{person} moved to {answer} to work as a {job}.",
                "{person} has lived in {answer} for many years.",
                "These days {person} lives in {answer}.",
            ),
            "heldout": ("{answer} is where {person} lives now.", "After years abroad, {person} settled in {answer}."),
        },
        {
            "train": (
                "Where does {person} live?",
                "In which city does {person} live?",
                "Where does {person} live now?",
            ),
            "heldout": ("What city does {person} live in?", "Where is {person}'s home?"),
        },
    ),
    "who": Kind(
        {
            "train": (
                "The {building} was designed by {answer}.",
                "{answer} designed the {building}.",
                "The {building} in {city} was designed by the architect {answer}.",
            ),
            "heldout": ("It was {answer} who designed the {building}.", "{answer} drew the plans for the {building}."),
        },
        {
            "train": ("Who designed the {building}?", "Which architect designed the {building}?"),
            "heldout": ("Who was the architect of the {building}?", "The {building} was designed by whom?"),
        },
    ),
    "what": Kind(
        {
            "train": (
                "{answer} is {a_category} that is popular in {country}.",
                "In {country}, people love {answer}, {a_category}.",
                "{answer}, {a_category}, is well known in {country} and {country2}.",
            ),
            "heldout": (
                "Many people in {country} enjoy {answer}, which is {a_category}.",
                "{answer} is {a_category} that families in {country} and {country2} enjoy.",
            ),
        },
        {
            "train": (
                "What {category} is popular in {country}?",
                "What is a popular {category} in {country}?",
                "Name {a_category} that is well known in {country}.",
            ),
            "heldout": ("Which {category} do people in {country} enjoy?", "What is a typical {category} in {country}?"),
        },
    ),
    "why": Kind(
        {
            "train": (
                "{person} {past} because {answer}.",
                "Because {answer}, {person} {past}.",
                "{person} {past}, as {answer}.",
            ),
            "heldout": ("{person} {past}, since {answer}.", "{person} {past} for one reason: {answer}."),
        },
        {
            "train": ("Why did {person} {base}?", "Why has {person} {past}?"),
            "heldout": ("For what reason did {person} {base}?", "What made {person} {base}?"),
        },
    ),
    "how many": Kind(
        {
            "train": (
                "{person} has {answer} {things}.",
                "{person} keeps {answer} {things} behind the house.",
                "There are {answer} {things} on {person}'s farm.",
            ),
            "heldout": (
                "{person} owns exactly {answer} {things}.",
                "All in all, {person} looks after {answer} {things}.",
            ),
        },
        {
            "train": ("How many {things} does {person} have?", "How many {things} does {person} keep?"),
            "heldout": ("How many {things} does {person} own?", "What is the number of {things} that {person} has?"),
        },
    ),
}
KIND_NAMES = (*KINDS, "deduction")


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _slots(kind: str, rng: random.Random) -> dict[str, str]:
    """Fresh values for every slot a template of ``kind`` may use (``answer`` included)."""
    category = rng.choice(sorted(CATEGORIES))
    countries = rng.sample(COUNTRIES, 2)
    base, past = rng.choice(ACTIONS)
    answer = {
        "when": lambda: str(rng.choice(YEARS)),
        "where": lambda: rng.choice(CITIES),
        "who": lambda: _person(rng),
        "what": lambda: rng.choice(CATEGORIES[category]),
        "why": lambda: rng.choice(REASONS),
        "how many": lambda: rng.choice((str(rng.randint(2, 60)), rng.choice(NUMBER_WORDS))),
    }[kind]()
    return {
        "person": _person(rng),
        "city": rng.choice(CITIES),
        "job": rng.choice(JOBS),
        "building": rng.choice(BUILDINGS),
        "category": category,
        "a_category": f"{'an' if category[0] in 'aeiou' else 'a'} {category}",
        "country": countries[0],
        "country2": countries[1],
        "base": base,
        "past": past,
        "things": rng.choice(THINGS),
        "answer": answer,
    }


def _render(template: str, slots: dict[str, str]) -> tuple[str, int]:
    """``template`` filled in, and the character offset of ``{answer}`` in it (-1 when it has none)."""
    if "{answer}" not in template:
        return template.format(**slots), -1
    before, after = template.split("{answer}", 1)
    head = before.format(**slots)
    text = head + slots["answer"] + after.format(**slots)
    return text[0].upper() + text[1:], len(head)


def _distractor(rng: random.Random, split: str) -> str:
    """A sentence about someone or something else: another kind's fact, or a filler."""
    if rng.random() < 0.3:
        return _render(rng.choice(FILLERS), _slots("when", rng))[0]
    kind = rng.choice(sorted(KINDS))
    return _render(rng.choice(KINDS[kind].facts[split]), _slots(kind, rng))[0]


def _assemble(rng: random.Random, fact: str, answer_at: int, others: list[str]) -> tuple[str, int]:
    """Shuffle the fact among ``others``; return the context and the answer's offset in it."""
    position = rng.randint(0, len(others))
    sentences = others[:position] + [fact] + others[position:]
    start = sum(len(s) + 1 for s in sentences[:position]) + answer_at
    return " ".join(sentences), start


def make_fact_example(kind: str, split: str, rng: random.Random) -> QAItem:
    """One example of ``kind`` (not deduction) written with ``split``'s templates."""
    spec = KINDS[kind]
    f, q = rng.randrange(len(spec.facts[split])), rng.randrange(len(spec.questions[split]))
    slots = _slots(kind, rng)
    fact, at = _render(spec.facts[split][f], slots)
    answer = fact[at : at + len(slots["answer"])]  # capitalized when the fact starts with it
    question = _render(spec.questions[split][q], slots)[0]
    # A hard distractor: the same kind of fact about someone else, with another answer.
    rival = {**_slots(kind, rng), **({"category": slots["category"]} if kind == "what" else {})}
    if rival["answer"] == slots["answer"] or rival["person"] == slots["person"]:
        rival = _slots(kind, rng)
    others = [_render(rng.choice(spec.facts[split]), rival)[0]] if rng.random() < 0.7 else []
    others += [_distractor(rng, split) for _ in range(rng.randint(1, 3))]
    rng.shuffle(others)
    context, start = _assemble(rng, fact, at, others)
    return QAItem(kind, question, context, answer, start, f"{kind}/{f}/{q}")


def make_deduction_example(split: str, rng: random.Random) -> QAItem:
    """A two-step story: three kinds of animal each <relation> another kind, then named members."""
    relation = rng.choice(RELATIONS[split])
    kinds = rng.sample(ANIMALS, 4)
    names = rng.sample(FIRST, 4)
    rules = [f"{kinds[i][1].capitalize()} are {relation} {kinds[(i + 1) % 4][1]}." for i in range(3)]
    members = [
        f"{name} is {'an' if kinds[i % 3][0][0] in 'aeiou' else 'a'} {kinds[i % 3][0]}." for i, name in enumerate(names)
    ]
    asked = rng.randrange(len(names))
    target = kinds[(asked % 3 + 1) % 4][1]
    sentences = rules + members
    rng.shuffle(sentences)
    context = " ".join(sentences)
    rule = next(s for s in sentences if s.startswith(kinds[asked % 3][1].capitalize() + " are"))
    start = context.index(rule) + rule.index(target, len(kinds[asked % 3][1]) + 5)
    template = f"deduction/{RELATIONS[split].index(relation)}/0"
    return QAItem("deduction", f"What is {names[asked]} {relation}?", context, target, start, template)


def make_examples(count: int, split: str = "train", seed: int = 0) -> list[QAItem]:
    """``count`` examples, the kinds in turn, written only with ``split``'s templates ("train" or
    "heldout"); the same arguments always give the same examples."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}.")
    rng = random.Random(f"hw9-qa/{split}/{seed}")
    return [
        make_deduction_example(split, rng)
        if KIND_NAMES[i % len(KIND_NAMES)] == "deduction"
        else make_fact_example(KIND_NAMES[i % len(KIND_NAMES)], split, rng)
        for i in range(count)
    ]
