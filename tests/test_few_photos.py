"""A few photos of your own, and parameters that go only where they belong.

Fast: which notebooks ``python -m helpers run -p NAME=VALUE`` passes a parameter to (read from each
notebook's parameters cell with papermill's inspect); the observation of five photos.
Slow: every CNN notebook (00-05, quick profile) on a folder of five photos; an archive in Kaggle's layout
through fetch, evaluate and a notebook.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from helpers import paths
from helpers.__main__ import main
from helpers.bundle import run as runner
from helpers.bundle.train import evaluate
from helpers.observe import load_observation
from tests.photos import KAGGLE_CLASSES, kaggle_members, make_zip, photo

CNN = ["00_observe", "01_lime", "02_saliency_map", "03_smooth_grad", "04_filter_explanation", "05_integrated_gradients"]
MISSING = "is not here"


@pytest.fixture
def five_photos(tmp_path: Path) -> Path:
    """Five photos of one's own, sorted into class folders, in the formats a phone and the web give."""
    folder = tmp_path / "my food"
    for n, (label, kind) in enumerate([(0, "exif"), (2, "upper"), (5, "rgba"), (9, "gray"), (10, "large")]):
        (folder / KAGGLE_CLASSES[label]).mkdir(parents=True, exist_ok=True)
        (folder / KAGGLE_CLASSES[label] / f"IMG_{2040 + n}.jpg").write_bytes(photo(kind, n))
    return folder


# ----------------------------------------------------------------------------------------------------
# Parameters go where they belong


def test_each_notebook_gets_only_the_parameters_it_declares() -> None:
    passed = runner.parameters_for(paths.lessons(), {"data_dir": "x", "layer": 2, "device": "cpu"})
    for name, params in passed.items():
        if name in CNN or name in ("08_evaluating_explanations", "09_clever_hans"):
            assert params == {"data_dir": "x", "device": "cpu"}, name
        else:  # the BERT notebooks
            assert params == {"layer": 2, "device": "cpu"}, name


def test_a_parameter_no_notebook_declares_is_refused_before_running(tmp_path: Path, capsys) -> None:
    assert main(["run", "--notebooks", "0[0-1]*", "-p", "dta_dir=x", "--out", str(tmp_path / "never")]) == 1
    assert not (tmp_path / "never").exists()
    out = capsys.readouterr().out
    assert "declares the parameter(s) dta_dir" in out and "data_dir" in out


def test_run_passes_declared_parameters_to_papermill(monkeypatch, tmp_path: Path) -> None:
    import papermill

    seen = {}
    monkeypatch.setattr(
        papermill, "execute_notebook", lambda src, dst, parameters, **kw: seen.update({Path(src).stem: parameters})
    )
    runner.run("0[5-7]*", tmp_path, "quick", {"data_dir": "d", "layer": 1})
    assert seen["05_integrated_gradients"] == {"steps": 5, "more_steps": 10, "data_dir": "d"}
    assert seen["06_bert_attention_and_embeddings"] == {"layer": 1}
    assert seen["07_bert_embedding_analysis"] == {"layer": 1}


# ----------------------------------------------------------------------------------------------------
# A few photos of your own


def test_observation_of_five_photos_knows_which_images_exist(five_photos: Path, capsys) -> None:
    obs = load_observation(five_photos, device="cpu")
    assert obs.images.shape == (5, 3, 128, 128) and obs.indices == (0, 1, 2, 3, 4)
    assert obs.labels.tolist() == [0, 2, 5, 9, 10]
    capsys.readouterr()
    assert obs.has_image(4) and not obs.has_image(6)
    assert f"Image #6 {MISSING}: 5 image(s) are observed (#0 to #4)" in capsys.readouterr().out


def test_a_whole_copy_as_data_dir_observes_its_evaluation_split(tmp_path: Path, capsys) -> None:
    root = tmp_path / "unzipped"
    for name, data in kaggle_members({"evaluation": 1, "training": 1}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    obs = load_observation(root, device="cpu")
    assert obs.labels.tolist() == list(range(10))  # the first image of each class, ten of them
    assert "food11/evaluation (your data, 10 of 11 images observed)" in capsys.readouterr().out


# ----------------------------------------------------------------------------------------------------
# Notebooks (slow)


def execute(name: str, out: Path, **parameters: object) -> nbformat.NotebookNode:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    params = {"device": "cpu", **runner.PROFILES["quick"].get(name, {}), **parameters}
    runner.execute(paths.NOTEBOOKS / f"{name}.ipynb", out / f"{name}.ipynb", params)
    return nbformat.read(out / f"{name}.ipynb", as_version=4)


def printed(nb: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


@pytest.mark.slow
def test_every_cnn_notebook_runs_on_five_photos(five_photos: Path, tmp_path: Path) -> None:
    said = {name: printed(execute(name, tmp_path, data_dir=str(five_photos))) for name in CNN}
    assert "5 of 5 images observed" in said["00_observe"]
    for name, image in [("01_lime", 6), ("03_smooth_grad", 9), ("05_integrated_gradients", 7)]:
        assert f"Image #{image} {MISSING}" in said[name], name
    assert MISSING not in said["02_saliency_map"] + said["04_filter_explanation"]  # #0..#2 are there


@pytest.mark.slow
def test_kaggle_archive_through_fetch_evaluate_and_a_notebook(tmp_path: Path, capsys) -> None:
    archive = make_zip(kaggle_members({"training": 1, "validation": 1, "evaluation": 2}), tmp_path / "archive.zip")
    target = tmp_path / "food-11"
    assert main(["fetch", "food11", "--from", str(archive), "--to", str(target)]) == 0
    assert "layout recognised: class folders" in capsys.readouterr().out
    assert 0.0 <= evaluate(target, None, split="evaluation", device="cpu") <= 1.0
    nb = execute("00_observe", tmp_path, data_dir=str(target))
    assert f"{target / 'evaluation'} (your data, 10 of 22 images observed)" in printed(nb)
