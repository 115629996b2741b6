"""The sentences the BERT notebooks study, in the course's Chinese form and an English counterpart.

The offline default model (all-MiniLM-L6-v2) has an English vocabulary: every Chinese character is
``[UNK]`` to it. So each example set exists twice, with the same structure, and the notebooks pick the
one matching the model's language (``helpers.bert_models.LoadedBert.language``).

- ``QA``: three extractive question-answering examples (question, context, answer span inside the
  context), the course's topics written in our own words.
- ``APPLE``: ten sentences, five where 蘋果 / "apple" is the fruit and five where it is the company, with
  the index of the *word* 蘋 / "apple" in each (words as the tokenizer's pre-tokenizer splits them: BERT
  makes every Chinese character a word of its own, and splits punctuation off English words).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class QAExample:
    """One extractive QA example: the answer is the first occurrence of ``answer`` in ``context``."""

    name: str
    question: str
    context: str
    answer: str

    @property
    def answer_start(self) -> int:
        """Character offset of the answer inside the context."""
        start = self.context.find(self.answer)
        if start < 0:
            raise ValueError(f"example {self.name!r}: the answer {self.answer!r} is not in its context.")
        return start


@dataclass(frozen=True)
class SenseSentence:
    """A sentence with the word index of the ambiguous word and which sense it has there."""

    text: str
    word_index: int  # index of 蘋 / "apple" among the tokenizer's words
    sense: str  # "fruit" or "company"


QA: dict[str, tuple[QAExample, ...]] = {
    "en": (
        QAExample(
            "tesla",
            "In what year was Nikola Tesla born?",
            "Nikola Tesla was a Serbian-American inventor and electrical engineer. Born in 1856 in the "
            "village of Smiljan, then part of the Austrian Empire, he later moved to the United States, "
            "where his designs for alternating current power systems made him famous.",
            "1856",
        ),
        QAExample(
            "detention",
            "What is a common punishment in the UK and Ireland?",
            "Detention is a punishment that schools use in many countries, among them the United States, "
            "the United Kingdom, Ireland, Singapore and Australia. A student given detention must stay at "
            "school for a set time, often at lunch or after lessons end, watched by a teacher.",
            "Detention",
        ),
        QAExample(
            "afraid",
            "What is Emily afraid of?",
            "Wolves are afraid of cats. Sheep are afraid of wolves. Mice are afraid of sheep. "
            "Gertrude is a sheep. Winona is a mouse. Emily is a wolf. Jessica is a mouse.",
            "cats",
        ),
    ),
    "zh": (
        QAExample(
            "tesla",
            "尼古拉·特斯拉在哪一年出生？",
            "尼古拉·特斯拉是塞爾維亞裔美國發明家與電機工程師。他在1856年出生於當時屬於奧地利帝國的斯米良村，"
            "後來移居美國，以交流電供電系統的設計聞名。",
            "1856",
        ),
        QAExample(
            "detention",
            "英國和愛爾蘭的學校常用什麼懲罰？",
            "留校是美國、英國、愛爾蘭、新加坡和澳洲等地學校常用的懲罰：受罰的學生必須在午休時間或放學後"
            "留在學校一段時間，由一位老師看管。",
            "留校",
        ),
        QAExample(
            "afraid",
            "艾蜜莉怕什麼？",
            "狼怕貓。羊怕狼。老鼠怕羊。小美是一隻羊。小華是一隻老鼠。艾蜜莉是一隻狼。小明是一隻老鼠。",
            "貓",
        ),
    ),
}

APPLE: dict[str, tuple[SenseSentence, ...]] = {
    # The course's sentences; the word index is that of 蘋 (add 1 for 果).
    "zh": (
        SenseSentence("今天買了蘋果來吃", 4, "fruit"),
        SenseSentence("進口蘋果（富士)平均每公斤下跌12.3%", 2, "fruit"),
        SenseSentence("蘋果茶真難喝", 0, "fruit"),
        SenseSentence("老饕都知道智利的蘋果季節即將到來", 8, "fruit"),
        SenseSentence("進口蘋果因防止水分流失故添加人工果蠟", 2, "fruit"),
        SenseSentence("蘋果即將於下月發振新款iPhone", 0, "company"),
        SenseSentence("蘋果獲新Face ID專利", 0, "company"),
        SenseSentence("今天買了蘋果手機", 4, "company"),
        SenseSentence("蘋果的股價又跌了", 0, "company"),
        SenseSentence("蘋果押寶指紋辨識技術", 0, "company"),
    ),
    # Our English counterpart, sentence by sentence (same sense, similar position of the word).
    "en": (
        SenseSentence("Today I bought an apple to eat", 4, "fruit"),
        SenseSentence("Imported apple (Fuji) fell 12.3% per kilogram on average", 1, "fruit"),
        SenseSentence("Apple tea tastes really awful", 0, "fruit"),
        SenseSentence("Every foodie knows the Chilean apple season is almost here", 5, "fruit"),
        SenseSentence("Imported apple gets artificial wax so that it keeps its moisture", 1, "fruit"),
        SenseSentence("Apple will launch a new iPhone next month", 0, "company"),
        SenseSentence("Apple wins a new Face ID patent", 0, "company"),
        SenseSentence("Today I bought an Apple phone", 4, "company"),
        SenseSentence("Apple stock fell again", 0, "company"),
        SenseSentence("Apple bets on fingerprint recognition technology", 0, "company"),
    ),
}

#: The pair the course's quiz follows from layer to layer: "今天買了蘋果手機" vs. "蘋果獲新Face ID專利"
#: (indices into ``APPLE[language]``; the English set keeps the same order).
TREND_PAIR = (7, 6)

#: The coreference sentence of the course's quiz: which head links "she" to "Jennie"?
COREFERENCE = {"sentence": "Tom likes Jennie because she is cute", "pronoun": 4, "referent": 2, "other": 0}


def qa_examples(language: str, names: Sequence[str] | None = None) -> tuple[QAExample, ...]:
    """The QA examples in ``language`` ("en" or "zh"), all or those named (e.g. ["tesla", "afraid"])."""
    if language not in QA:
        raise ValueError(f"no QA examples in {language!r}; there are {sorted(QA)}.")
    known = [ex.name for ex in QA[language]]
    unknown = sorted(set(names or ()) - set(known))
    if unknown or (names is not None and not names):
        raise ValueError(f"unknown QA example(s) {unknown or names!r}: pick among {known}.")
    return tuple(ex for ex in QA[language] if names is None or ex.name in names)


def all_chinese_text() -> str:
    """Every Chinese string above, joined: the glyphs the committed font subset must contain."""
    parts = [s.text for s in APPLE["zh"]]
    parts += [x for ex in QA["zh"] for x in (ex.question, ex.context)]
    return "".join(parts)
