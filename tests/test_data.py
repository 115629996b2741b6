"""The Food-11 folder reader: order, transform, clear errors on bad input, and data as people have it
(class folders with forgiving names, every image format and mode, EXIF rotation, unreadable files skipped)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from helpers.classes import class_index
from helpers.data import CLASS_NAMES, DataError, FoodDataset, find_split, read_rgb, split_folder
from tests.conftest import write_images
from tests.photos import KINDS, photo


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


# ----------------------------------------------------------------------------------------------------
# Images and folders as people have them


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_format_and_mode_loads_as_rgb(tmp_path: Path, kind: str) -> None:
    (tmp_path / f"4_0{KINDS[kind]}").write_bytes(photo(kind, 3))
    images, labels = FoodDataset(tmp_path).getbatch([0])
    assert images.shape == (1, 3, 128, 128) and labels.tolist() == [4]
    assert 0.02 < images.std() and images.max() <= 1


def test_gray16_is_scaled_not_clipped_to_white(tmp_path: Path) -> None:
    (tmp_path / "0_0.png").write_bytes(photo("gray16", 1))
    (tmp_path / "0_1.jpg").write_bytes(photo("gray", 1))
    images, _ = FoodDataset(tmp_path).getbatch([0, 1])
    assert abs(images[0].mean() - images[1].mean()) < 0.02


def test_transparency_is_laid_on_white(tmp_path: Path) -> None:
    rgba = np.zeros((20, 20, 4), np.uint8)  # black, fully transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "0_0.png")
    images, _ = FoodDataset(tmp_path).getbatch([0])
    assert images.min() == 1.0


def test_exif_rotation_is_applied(tmp_path: Path) -> None:
    (tmp_path / "0_0.jpg").write_bytes(photo("exif", 5))  # stored 48 wide x 36 high, to be turned upright
    upright = read_rgb(tmp_path / "0_0.jpg", size=64)
    with Image.open(tmp_path / "0_0.jpg") as img:
        stored = np.asarray(img.convert("RGB").resize((64, 64), Image.BILINEAR)).astype(float)
    turned = np.rot90(stored, k=-1)  # orientation 6: rotate 90 degrees clockwise
    assert np.abs(upright - turned).mean() < np.abs(upright - stored).mean() / 3


def test_class_folder_tree_with_forgiving_names(tmp_path: Path, capsys) -> None:
    names = {"Bread": 0, "dairy_product": 1, "Noodles-Pasta": 6, "vegetable fruit": 10, "EGGS": 3}
    for folder, label in names.items():
        (tmp_path / folder).mkdir()
        (tmp_path / folder / f"IMG {label}.JPG").write_bytes(photo("rgb", label))
    (tmp_path / "Noodles" / "Pasta" / "deeper").mkdir(parents=True)  # "Noodles/Pasta" unzipped as two folders
    (tmp_path / "Noodles" / "Pasta" / "deeper" / "x.png").write_bytes(photo("palette", 9))
    (tmp_path / "Pizza").mkdir()
    (tmp_path / "Pizza" / "1.jpg").write_bytes(photo("rgb", 1))
    (tmp_path / ".thumbnails").mkdir()
    (tmp_path / ".thumbnails" / "0_0.jpg").write_bytes(photo("rgb", 2))
    ds = FoodDataset(tmp_path)
    assert ds.labels == [0, 1, 3, 6, 6, 10]
    assert ds.left_out == {"Pizza/": 1}
    assert "Pizza/ (1)" in capsys.readouterr().err
    assert len(ds.getbatch(range(len(ds)))[0]) == 6


def test_files_are_ordered_by_label_then_name_digits_by_value(tmp_path: Path) -> None:
    (tmp_path / "Soup").mkdir()
    for name in ["img10.jpg", "img2.jpg", "img1.jpg"]:
        (tmp_path / "Soup" / name).write_bytes(photo("rgb", 0))
    write_images(tmp_path, ["9_10", "9_2"])
    assert [p.name for p in FoodDataset(tmp_path).paths] == ["9_2.jpg", "9_10.jpg", "img1.jpg", "img2.jpg", "img10.jpg"]


def test_a_whole_copy_is_not_a_data_folder_but_its_splits_are_found(tmp_path: Path) -> None:
    for split in ("train", "Validation", "test"):
        write_images(tmp_path / "archive" / "food11" / split / "Bread", ["a"])
    with pytest.raises(DataError, match=r"holds the splits.*point at one of them"):
        FoodDataset(tmp_path / "archive" / "food11")
    assert split_folder(tmp_path, "evaluation") == tmp_path / "archive" / "food11" / "test"
    assert split_folder(tmp_path, "validation") == tmp_path / "archive" / "food11" / "Validation"
    assert split_folder(tmp_path / "archive" / "food11" / "test", "validation").name == "test"  # no such split


def test_two_copies_of_a_split_are_an_error(tmp_path: Path) -> None:
    write_images(tmp_path / "a" / "training", ["0_0"])
    write_images(tmp_path / "b" / "training", ["0_0"])
    with pytest.raises(DataError, match="2 training folders"):
        find_split(tmp_path, "training")


def test_folders_of_no_class_are_named(tmp_path: Path) -> None:
    write_images(tmp_path / "Pizza", ["a"])
    write_images(tmp_path / "Sushi", ["b"])
    with pytest.raises(DataError, match=r"no Food-11 class folder, only Pizza/, Sushi/"):
        FoodDataset(tmp_path)


def test_own_photos_with_camera_names_say_how_to_label_them(tmp_path: Path) -> None:
    write_images(tmp_path, ["IMG_2041", "IMG_2042"])
    with pytest.raises(DataError, match=r"IMG_2041.jpg.*class folders named after their class"):
        FoodDataset(tmp_path)


@pytest.mark.parametrize(
    "spelling, label",
    [
        ("Dairy product", 1),
        ("dairy_product", 1),
        ("Noodles-Pasta", 6),
        ("Noodles/Pasta", 6),
        ("Vegetable-Fruit", 10),
        ("FRIED FOODS", 4),
        ("sea food", 8),
        ("Pizza", None),
        ("Noodles", None),
    ],
)
def test_class_names_are_matched_forgivingly(spelling: str, label: int | None) -> None:
    assert class_index(spelling) == label
