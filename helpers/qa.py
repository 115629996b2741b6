"""A question-answering BERT for the lessons: from Hugging Face when there is one, else the bundle's own.

Extractive QA (Rajpurkar et al. 2016, SQuAD, arXiv:1606.05250): the model reads ``[CLS] question [SEP]
context [SEP]`` and a *span head* (one linear layer) scores every token as the answer's start and end; the
answer is the best-scoring span inside the context.

``load_qa_model`` picks, in this order, and prints which and why:

1. the Hugging Face QA model asked for (e.g. ``deepset/bert-base-cased-squad2``), from the local cache or
   the hub when reachable;
2. the bundle's QA fine-tune of the packaged all-MiniLM-L6-v2: low-rank adapters (LoRA, Hu et al. 2021,
   arXiv:2106.09685, through the ``peft`` package) plus a span head, in the committed file
   ``data/checkpoints/qa_minilm_lora.pt`` (checked against ``ADAPTER_SHA256``), made by
   ``python -m helpers train-qa`` from the bundle's own synthetic questions
   (:mod:`helpers.bundle.qa_data`);
3. the plain packaged model, which has no QA head (its pictures then show a sentence-embedding model).
"""

from __future__ import annotations

import collections
import re
import string
import warnings
from pathlib import Path

import torch

from helpers import paths
from helpers.bert_models import (
    PACKAGED_ALIASES,
    PACKAGED_ID,
    LoadedBert,
    ModelUnavailable,
    detect_language,
    load_bert,
    packaged_model_dir,
)
from helpers.files import sha256_of
from helpers.model import pick_device

ADAPTER_FILE = paths.DATA / "checkpoints" / "qa_minilm_lora.pt"
#: SHA-256 of the committed adapter file; ``python -m helpers train-qa`` prints the new one to put here.
ADAPTER_SHA256 = "90369c17368ce8304281e888332b181e1b7ac2cbfaf310448a140398695af56e"
#: What ``qa_model_id`` may say to ask for the bundle's fine-tune directly.
BUNDLE_ALIASES = ("bundle", "bundle-qa")
BUNDLE_NAME = "all-MiniLM-L6-v2 + the bundle's QA adapters"
#: Longest answer considered, in tokens.
MAX_ANSWER_TOKENS = 30
PUNCTUATION = frozenset(string.punctuation)


# ---------------------------------------------------------------------------------------------------
# Answer spans


def best_spans(
    start_logits: torch.Tensor, end_logits: torch.Tensor, allowed: torch.Tensor, max_tokens: int = MAX_ANSWER_TOKENS
) -> tuple[torch.Tensor, torch.Tensor]:
    """Best span per row: argmax of start[i] + end[j] over i <= j < i + ``max_tokens``, both allowed.

    Args:
        start_logits, end_logits: B x T scores.
        allowed: B x T bool, True on the context's tokens.
    Returns:
        (starts, ends), two int64 tensors of B token positions.
    """
    t = start_logits.shape[-1]
    score = start_logits[:, :, None] + end_logits[:, None, :]  # B x T x T
    band = torch.ones(t, t, dtype=torch.bool, device=score.device).triu().tril(max_tokens - 1)
    mask = band[None] & allowed[:, :, None] & allowed[:, None, :]
    flat = score.masked_fill(~mask, float("-inf")).flatten(1).argmax(dim=1)
    return flat // t, flat % t


@torch.no_grad()
def predict_span(bert: LoadedBert, question: str, context: str) -> str | None:
    """The model's answer: a span of ``context``, or None when the model has no trained QA head."""
    if not bert.qa_finetuned:
        return None
    encoding = bert.encode(question, context, offsets=True)
    output = bert.forward(encoding)
    allowed = torch.tensor([[s == 1 for s in encoding.sequence_ids(0)]], device=output.start_logits.device)
    start, end = best_spans(output.start_logits.float(), output.end_logits.float(), allowed)
    offsets = encoding["offset_mapping"][0].tolist()
    return context[offsets[int(start)][0] : offsets[int(end)][1]]


# ---------------------------------------------------------------------------------------------------
# Scores (SQuAD's official definitions)


def normalize_answer(text: str) -> str:
    """Lower case, no punctuation, no articles (a, an, the), single spaces: SQuAD's normalization."""
    text = "".join(ch for ch in text.lower() if ch not in PUNCTUATION)
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).split())


def exact_match(predicted: str, truth: str) -> float:
    return float(normalize_answer(predicted) == normalize_answer(truth))


def f1_score(predicted: str, truth: str) -> float:
    """Harmonic mean of word precision and recall between the normalized answers."""
    pred, gold = normalize_answer(predicted).split(), normalize_answer(truth).split()
    common = sum((collections.Counter(pred) & collections.Counter(gold)).values())
    if not pred or not gold:
        return float(pred == gold)
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(gold)
    return 2 * precision * recall / (precision + recall)


# ---------------------------------------------------------------------------------------------------
# The bundle's QA fine-tune


def lora_config(settings: dict):
    """A peft ``LoraConfig`` for BERT's attention and feed-forward projections from saved settings."""
    from peft import LoraConfig

    return LoraConfig(
        r=settings["r"],
        lora_alpha=settings["alpha"],
        lora_dropout=settings.get("dropout", 0.0),
        target_modules=list(settings["target_modules"]),
        bias="none",
    )


def packaged_qa_model():
    """The packaged all-MiniLM-L6-v2 under a fresh span head (``BertForQuestionAnswering``), and its
    tokenizer. The span head starts random: transformers' note saying so is silenced."""
    from transformers import AutoTokenizer, BertForQuestionAnswering
    from transformers.utils import logging

    folder = packaged_model_dir()
    previous = logging.get_verbosity()
    logging.set_verbosity_error()
    try:
        model = BertForQuestionAnswering.from_pretrained(folder, attn_implementation="eager")
    finally:
        logging.set_verbosity(previous)
    return model, AutoTokenizer.from_pretrained(folder)


def load_bundle_qa(
    device: str | torch.device = "auto", path: Path = ADAPTER_FILE, sha256: str | None = None
) -> LoadedBert:
    """The packaged model with the bundle's LoRA adapters merged in and its span head, in eval mode.

    Raises ModelUnavailable when the file is missing, differs from ``sha256`` (default
    ``ADAPTER_SHA256``), or ``peft`` is not installed.
    """
    path = Path(path)
    expected = ADAPTER_SHA256 if sha256 is None else sha256
    if not path.exists():
        raise ModelUnavailable(f"{path} is missing; make it with `python -m helpers train-qa`.")
    actual = sha256_of(path)
    if actual != expected:
        raise ModelUnavailable(
            f"{path} has SHA-256 {actual}, not the committed {expected or '(none recorded)'}: "
            "restore it with git, or record the new hash in helpers/qa.py ADAPTER_SHA256."
        )
    try:
        from peft import get_peft_model, set_peft_model_state_dict
    except ImportError as err:
        raise ModelUnavailable("the bundle's QA adapters need the `peft` package: pip install peft") from err
    saved = torch.load(path, map_location="cpu", weights_only=True)
    if saved.get("base") != PACKAGED_ID:
        raise ModelUnavailable(f"{path} adapts {saved.get('base')!r}, not the packaged {PACKAGED_ID}.")
    model, tokenizer = packaged_qa_model()
    with warnings.catch_warnings():  # peft calls a transformers method that warns it will be renamed
        warnings.simplefilter("ignore", FutureWarning)
        peft_model = get_peft_model(model, lora_config(saved["lora"]))
    set_peft_model_state_dict(peft_model, saved["adapter"])
    model = peft_model.merge_and_unload()
    model.qa_outputs.load_state_dict(saved["span_head"])
    model.config.architectures = ["BertForQuestionAnswering"]
    return LoadedBert(
        model.eval().to(pick_device(device)), tokenizer, BUNDLE_NAME, "bundle", True, True, detect_language(tokenizer)
    )


def load_qa_model(qa_model_id: str | None = None, device: str | torch.device = "auto") -> LoadedBert:
    """The first QA model that loads: ``qa_model_id`` from Hugging Face, else the bundle's fine-tune, else
    the plain packaged model; prints which and why in one or two lines."""
    reason = "no Hugging Face model was asked for"
    if qa_model_id not in PACKAGED_ALIASES and qa_model_id not in BUNDLE_ALIASES:
        try:
            bert = load_bert(qa_model_id, task="qa", device=device, fallback=False, verbose=False)
        except ModelUnavailable as err:
            detail = str(err).split(": ", 1)[-1].split(". ")[0].rstrip(".")  # e.g. "it is not in the local cache"
            reason = f"{qa_model_id!r} could not be loaded ({detail})"
        else:
            if bert.qa_finetuned:
                print(f"QA model: {bert.describe()} (from Hugging Face).")
                return bert
            reason = f"{qa_model_id!r} has no trained question-answering head"
    if qa_model_id not in PACKAGED_ALIASES:
        try:
            bert = load_bundle_qa(device)
        except ModelUnavailable as err:
            reason += f", and the bundle's QA fine-tune is unusable: {err}"
        else:
            print(
                f"QA model: the bundle's QA fine-tune of the packaged all-MiniLM-L6-v2 ({ADAPTER_FILE.name}: "
                f"LoRA adapters + span head, trained offline by `python -m helpers train-qa`), because "
                f"{reason}."
            )
            return bert
    bert = load_bert(None, device=device, verbose=False)
    print(
        f"NOTE: the QA model is the packaged all-MiniLM-L6-v2, which is NOT fine-tuned for question answering "
        f"({reason}). The pictures show how a sentence-embedding model arranges the tokens, not how a QA model "
        "finds the answer."
    )
    return bert
