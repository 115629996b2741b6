"""Training and evaluation end to end on a tiny generated Food-11 folder."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from helpers.bundle.train import evaluate, train
from helpers.model import load_model
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
