"""Training and evaluation end to end on a tiny generated Food-11 folder."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from helpers import synthetic_food as synthetic
from helpers.bundle.splits import content_hash
from helpers.bundle.train import TRAIN_THREADS, evaluate, train
from helpers.model import load_model, load_state, read_provenance, weights_hash
from tests.conftest import write_images


@pytest.fixture
def tiny_food11(tmp_path: Path) -> Path:
    root = tmp_path / "food-11"
    for split, n in (("training", 3), ("validation", 1)):
        write_images(root / split, [f"{label}_{i}" for label in range(11) for i in range(n)], size=(32, 32))
    return root


def test_train_writes_a_course_format_checkpoint_and_resumes(tiny_food11: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "ckpt.pth"
    best = train(tiny_food11, out, widths=(4, 4, 4, 8, 8), hidden=8, epochs=1, batch_size=8, device="cpu")
    assert 0.0 <= best <= 1.0
    saved = torch.load(out, map_location="cpu", weights_only=True)
    assert {"epoch", "model_state_dict", "optimizer_state_dict"} <= set(saved)
    assert saved["epoch"] == 0
    assert load_model(out, "cpu").widths == (4, 4, 4, 8, 8)

    train(tiny_food11, out, widths=(4, 4, 4, 8, 8), hidden=8, epochs=2, batch_size=8, device="cpu", resume=True)
    assert "resuming from" in capsys.readouterr().out
    resumed = torch.load(out, map_location="cpu", weights_only=True)
    # epoch 1 is saved only if it is at least as good as epoch 0; either way, training went on from epoch 1.
    assert resumed["epoch"] in (0, 1)


def test_training_is_reproducible(tiny_food11: Path, tmp_path: Path) -> None:
    for name in ("a.pth", "b.pth"):
        train(
            tiny_food11, tmp_path / name, widths=(4, 4, 4, 8, 8), hidden=8, epochs=1, batch_size=8, device="cpu", seed=3
        )
    a, b = (torch.load(tmp_path / n, weights_only=True)["model_state_dict"] for n in ("a.pth", "b.pth"))
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_evaluate_names_data_and_checkpoint(tiny_food11: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "ckpt.pth"
    train(tiny_food11, out, widths=(4, 4, 4, 8, 8), hidden=8, epochs=1, batch_size=8, device="cpu")
    acc = evaluate(tiny_food11, out, "validation", "cpu")
    text = capsys.readouterr().out
    assert str(tiny_food11 / "validation") in text and str(out) in text
    assert f"{acc:.1%}" in text


def test_evaluate_explanations_refuses_other_data(tiny_food11: Path, capsys) -> None:
    from helpers.__main__ import main

    assert main(["evaluate", "--explanations", "--data", str(tiny_food11)]) == 1
    assert "needs food masks" in capsys.readouterr().out


def test_train_shortcut_refuses_other_data(tiny_food11: Path, capsys) -> None:
    from helpers.__main__ import main

    assert main(["train", "--shortcut", "--data", str(tiny_food11)]) == 1
    assert "--shortcut trains on the embedded images with stickers" in capsys.readouterr().out


def test_augment_is_seeded_batched_and_stays_an_image() -> None:
    import numpy as np

    from helpers.bundle.train import augment

    images = torch.rand(6, 3, 32, 32)
    a = augment(images, np.random.default_rng(1))
    assert a.shape == images.shape and a.min() >= 0 and a.max() <= 1
    assert torch.equal(a, augment(images, np.random.default_rng(1)))  # the same seed, the same batch
    assert not torch.allclose(a, augment(images, np.random.default_rng(2)))
    assert not torch.allclose(a[0], images[0])  # every image is changed, each in its own way
    assert not torch.allclose(a[0] - images[0], a[1] - images[1])


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small copy of the embedded data (128 x 128, as the checkpoint is trained on)."""
    return synthetic.generate(tmp_path_factory.mktemp("drawn"), per_class={"training": 2, "validation": 1})


def test_weights_do_not_depend_on_the_callers_threads(drawn: Path, tmp_path: Path) -> None:
    run = dict(widths=(4, 4, 8, 8, 8), hidden=8, epochs=1, batch_size=8, device="cpu")
    for threads in (1, 2):  # the premise: how many threads split the sums changes the weights
        train(drawn, tmp_path / f"threads{threads}.pt", **run, threads=threads)
    one, two = (load_state(tmp_path / f"threads{t}.pt") for t in (1, 2))
    assert weights_hash(one) != weights_hash(two)

    before = torch.get_num_threads()
    try:
        for caller in (1, 3):  # so train() fixes the number, whatever the caller set
            torch.set_num_threads(caller)
            train(drawn, tmp_path / f"caller{caller}.pt", (4, 4, 8, 8, 8), 8, epochs=1, batch_size=8, device="cpu")
            assert torch.get_num_threads() == caller  # and gives the caller's setting back
    finally:
        torch.set_num_threads(before)
    hashes = {weights_hash(load_state(tmp_path / f"caller{c}.pt")) for c in (1, 3)}
    assert hashes == {weights_hash(two)} and TRAIN_THREADS == 2


def test_checkpoint_records_data_and_versions_and_evaluate_compares(drawn: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "ckpt.pt"
    train(drawn, out, (4, 4, 8, 8, 8), 8, epochs=1, batch_size=8, device="cpu")
    made = read_provenance(out)
    assert made["data_sha256"] == {s: content_hash(drawn / s) for s in ("training", "validation")}
    assert made["versions"]["torch"] == str(torch.__version__) and made["threads"] == 2 and made["seed"] == 0
    assert f"weights sha256: {weights_hash(load_state(out))}" in capsys.readouterr().out
    evaluate(drawn, out, "validation", "cpu")
    assert "the same validation data as the checkpoint was made with" in capsys.readouterr().out
    image = drawn / "validation" / "3_0.jpg"
    original = image.read_bytes()
    try:
        with Image.open(image) as img:
            img.load()
        img.save(image, quality=50)  # the same picture, encoded again
        evaluate(drawn, out, "validation", "cpu")
    finally:
        image.write_bytes(original)
    assert "WARNING: these are not the validation images the checkpoint was made with" in capsys.readouterr().out
