"""The Food-11 folder reader: order, transform, and clear errors on bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from helpers.data import CLASS_NAMES, DataError, FoodDataset
from tests.conftest import write_images


def test_sorted_by_label_then_number(food_folder: Path) -> None:
    ds = FoodDataset(food_folder)
    keys = [tuple(int(x) for x in p.stem.split("_")) for p in ds.paths]
    assert keys == sorted(keys)
    assert ds.labels == [k[0] for k in keys]
    assert len(ds) == 12


def test_getbatch_shape_range_and_resize(food_folder: Path) -> None:
    images, labels = FoodDataset(food_folder).getbatch([0, 3, 11])
    assert images.shape == (3, 3, 128, 128) and images.dtype == torch.float32
    assert 0 <= images.min() and images.max() <= 1
    assert labels.tolist() == [0, 2, 10]


def test_pixels_match_a_plain_pil_resize(tmp_path: Path) -> None:
    # The course's transform is Resize((128, 128)) + ToTensor: no normalization.
    folder = write_images(tmp_path / "f", ["3_0"], size=(200, 90))
    images, _ = FoodDataset(folder).getbatch([0])
    with Image.open(folder / "3_0.jpg") as img:
        expected = np.asarray(img.convert("RGB").resize((128, 128), Image.BILINEAR)) / 255
    assert np.allclose(images[0].permute(1, 2, 0).numpy(), expected, atol=1e-6)


def test_names_and_no_masks(food_folder: Path) -> None:
    ds = FoodDataset(food_folder)
    assert ds.names([0, 11]) == [CLASS_NAMES[0], CLASS_NAMES[10]]
    assert ds.masks([0]) is None


def test_masks_are_read_when_present(food_folder: Path) -> None:
    (food_folder / "masks").mkdir()
    ds = FoodDataset(food_folder)
    for p in ds.paths:
        mask = np.zeros((64, 64), np.uint8)
        mask[10:40, 20:50] = 255
        Image.fromarray(mask).save(food_folder / "masks" / f"{p.stem}.png")
    masks = ds.masks([0, 1])
    assert masks.shape == (2, 128, 128) and masks.dtype == torch.bool
    assert 0.15 < masks.float().mean() < 0.3


def test_missing_folder_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist.*embedded default"):
        FoodDataset(tmp_path / "nope")


def test_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="holds no images"):
        FoodDataset(tmp_path)


def test_unparsable_names_are_listed(tmp_path: Path) -> None:
    write_images(tmp_path, ["0_0", "cat", "1-2"])
    with pytest.raises(DataError, match="1-2.jpg, cat.jpg"):
        FoodDataset(tmp_path)


def test_label_out_of_range(tmp_path: Path) -> None:
    write_images(tmp_path, ["0_0", "11_0"])
    with pytest.raises(DataError, match="11_0.jpg"):
        FoodDataset(tmp_path)


def test_truncated_image_is_reported_by_path_and_skipped(tmp_path: Path, capsys) -> None:
    write_images(tmp_path, ["0_0", "1_0", "2_0"], size=(128, 128))
    data = (tmp_path / "1_0.jpg").read_bytes()
    (tmp_path / "1_0.jpg").write_bytes(data[: len(data) // 2])
    ds = FoodDataset(tmp_path)
    images, labels, kept = ds.load([0, 1, 2])
    assert images.shape[0] == 2 and labels.tolist() == [0, 2] and kept == [0, 2]
    assert list(ds.unreadable) == [tmp_path / "1_0.jpg"]
    err = capsys.readouterr().err
    assert "1_0.jpg" in err and "1 unreadable image(s)" in err


def test_not_an_image_is_skipped_by_getbatch(tmp_path: Path) -> None:
    write_images(tmp_path, ["1_0"])
    (tmp_path / "0_0.jpg").write_text("hello")
    images, labels = FoodDataset(tmp_path).getbatch([0, 1])
    assert images.shape == (1, 3, 128, 128) and labels.tolist() == [1]


def test_index_out_of_range(food_folder: Path) -> None:
    with pytest.raises(IndexError, match="out of range"):
        FoodDataset(food_folder).getbatch([12])
