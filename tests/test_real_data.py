"""Food-11 as people have it: Kaggle's class-folder archive through fetch, train and evaluate; the same tree
unzipped by hand; decompression bombs refused before anything is written."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from helpers.__main__ import main
from helpers.bundle import fetch
from helpers.bundle.fetch import BadArchive, FetchError, Member, copy_member, fetch_food11
from helpers.bundle.train import evaluate, train
from helpers.classes import CLASS_NAMES
from helpers.data import FoodDataset
from tests.photos import KAGGLE_CLASSES, kaggle_members, make_zip, photo, unpack_plainly

PER_SPLIT = {"training": 3, "validation": 2, "evaluation": 2}


@pytest.fixture(scope="module")
def kaggle_zip(tmp_path_factory) -> Path:
    return make_zip(kaggle_members(PER_SPLIT), tmp_path_factory.mktemp("kaggle") / "archive.zip")


@pytest.fixture(scope="module")
def fetched(kaggle_zip: Path, tmp_path_factory) -> tuple[Path, fetch.Plan]:
    target = tmp_path_factory.mktemp("laid") / "food-11"
    return target, fetch_food11(kaggle_zip, target)


def test_kaggle_layout_counts_per_split_and_class(fetched) -> None:
    target, plan = fetched
    assert sorted(plan.files) == ["evaluation", "training", "validation"]
    for split, count in PER_SPLIT.items():
        dataset = FoodDataset(target / split)
        expected = [count + (split == "training" and label == 9) for label in range(len(CLASS_NAMES))]
        assert [dataset.labels.count(label) for label in range(len(CLASS_NAMES))] == expected, split
    # the forgiving spellings of evaluation/ ("dairy_product", "Noodles/Pasta") found their classes
    assert FoodDataset(target / "evaluation").names([2, 12]) == ["Dairy product", "Noodles/Pasta"]


def test_kaggle_layout_summary_names_layout_and_what_was_left_out(fetched) -> None:
    target, plan = fetched
    text = fetch.summary(target, plan)
    assert "layout recognised: class folders (Kaggle's food11-image-dataset" in text
    assert "food11/training/Pizza/ (2 file(s)): folder 'Pizza' is no Food-11 class" in text
    assert "food11/ (1 file(s)): not a .jpg, .jpeg or .png image" in text
    assert "__MACOSX" not in text
    assert f'data_dir = "{target / "evaluation"}"' in text


def test_class_images_are_numbered_in_path_order_with_their_own_suffix(fetched) -> None:
    target, plan = fetched
    bread = {name: member.name for name, member in plan.files["training"].items() if name.startswith("0_")}
    assert bread == {
        "0_0.jpg": "food11/training/Bread/0.jpg",
        "0_1.jpeg": "food11/training/Bread/2.jpeg",
        "0_2.jpg": "food11/training/Bread/my photo (1) café.JPG",
    }


def test_corrupt_image_is_laid_out_then_skipped_with_its_path(fetched, capsys) -> None:
    target, plan = fetched
    corrupt = next(name for name, m in plan.files["training"].items() if m.name.endswith("Soup/99.jpg"))
    soup = FoodDataset(target / "training")
    images, labels = soup.getbatch(range(len(soup)))
    assert len(soup) == 34 and len(images) == 33 and labels.tolist().count(9) == 3
    assert [p.name for p in soup.unreadable] == [corrupt]
    assert f"{corrupt}: OSError" in capsys.readouterr().err


@pytest.mark.slow
def test_train_and_evaluate_run_on_the_laid_out_copy(fetched, tmp_path: Path, capsys) -> None:
    target, _ = fetched
    out = tmp_path / "tiny.pth"
    best = train(target, out, widths=(4, 4, 8, 8, 8), hidden=16, epochs=1, batch_size=8)
    assert out.is_file() and 0.0 <= best <= 1.0
    accuracy = evaluate(target, out, split="evaluation", device="cpu")
    printed = capsys.readouterr()
    assert 0.0 <= accuracy <= 1.0 and f"({2 * len(CLASS_NAMES)} images)" in printed.out
    assert "1 unreadable image(s)" in printed.err  # the corrupt training image, reported, not fatal


@pytest.mark.slow
def test_train_and_evaluate_commands_read_the_tree_unzipped_by_hand(tmp_path: Path, capsys) -> None:
    root = unpack_plainly(kaggle_members(PER_SPLIT), tmp_path / "Downloads")  # root/food11/<split>/<Class>/...
    out = tmp_path / "tiny.pth"
    assert (
        main(
            [
                "train",
                "--data",
                str(root),
                "--widths",
                "4",
                "4",
                "8",
                "8",
                "8",
                "--hidden",
                "16",
                "--epochs",
                "1",
                "--batch-size",
                "8",
                "--device",
                "cpu",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert (
        main(["evaluate", "--data", str(root), "--split", "evaluation", "--checkpoint", str(out), "--device", "cpu"])
        == 0
    )
    printed = capsys.readouterr().out
    assert f"food11/evaluation ({2 * len(CLASS_NAMES)} images" in printed
    assert "Noodles/Pasta" in printed and "accuracy:" in printed


def test_class_folder_targz(tmp_path: Path) -> None:
    archive = tmp_path / "food11.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        for name, data in kaggle_members({"training": 1, "validation": 1}, prefix="").items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    plan = fetch_food11(archive, tmp_path / "out")
    assert {split: len(files) for split, files in plan.files.items()} == {"training": 12, "validation": 11}
    assert "training/Pizza/" in fetch.summary(tmp_path / "out", plan)


@pytest.mark.parametrize("prefix", ["", "deep/er/"])
def test_class_folders_without_splits_become_food(tmp_path: Path, prefix: str) -> None:
    members = {f"{prefix}{KAGGLE_CLASSES[label]}/IMG_{label}.jpeg": photo("rgb", label) for label in (0, 3, 9)}
    plan = fetch_food11(make_zip(members, tmp_path / "mine.zip"), tmp_path / "out")
    assert sorted(plan.files["food"]) == ["0_0.jpeg", "3_0.jpeg", "9_0.jpeg"]
    assert any("laid out as food/" in note for note in plan.notes)


def test_archive_with_no_class_names_the_folders_it_found(tmp_path: Path) -> None:
    members = {"pics/training/Pizza/0.jpg": photo("rgb", 0), "pics/training/Sushi/0.jpg": photo("rgb", 1)}
    with pytest.raises(FetchError, match=r"no Food-11 images.*pics/training/Pizza/, pics/training/Sushi/"):
        fetch_food11(make_zip(members, tmp_path / "a.zip"), tmp_path / "out")


# ----------------------------------------------------------------------------------------------------
# Bombs


def zeros_zip(path: Path, size: int) -> Path:
    return make_zip({"training/1_1.jpg": b"\0" * size, "training/0_0.jpg": photo("rgb", 0)}, path)


@pytest.mark.parametrize(
    "size, why", [(60 * 2**20, r"declares 60 MB \(more than 50 MB\)"), (5 * 2**20, r"inflates [\d,]+:1")]
)
def test_zip_bomb_refused_before_writing(tmp_path: Path, size: int, why: str) -> None:
    archive = zeros_zip(tmp_path / "bomb.zip", size)
    with pytest.raises(BadArchive, match=rf"member 'training/1_1.jpg' {why}.*Nothing was unpacked"):
        fetch_food11(archive, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.zip"]  # no target, no staging folder


def test_targz_bomb_refused_by_the_archive_ratio(tmp_path: Path) -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tf:
        info = tarfile.TarInfo("food-11/training/1_1.jpg")
        info.size = 20 * 2**20
        tf.addfile(info, io.BytesIO(b"\0" * info.size))
    archive = tmp_path / "bomb.tar.gz"
    archive.write_bytes(out.getvalue())
    with pytest.raises(BadArchive, match=r"its images inflate [\d,]+:1"):
        fetch_food11(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_member_yielding_more_than_it_declares_is_stopped(tmp_path: Path) -> None:
    forged = Member("training/1_1.jpg", 1000, lambda: io.BytesIO(b"x" * 300_000))
    with pytest.raises(BadArchive, match=r"'training/1_1.jpg' inflates past the 1,000 bytes it declares"):
        copy_member(forged, tmp_path / "1_1.jpg", tmp_path / "a.zip")
    assert (tmp_path / "1_1.jpg").stat().st_size <= 1000


def test_photos_are_not_mistaken_for_bombs(tmp_path: Path) -> None:
    members = {f"training/0_{n}.jpg": photo("large", n) for n in range(3)}  # 1200 x 900 JPEGs
    plan = fetch_food11(make_zip(members, tmp_path / "big.zip", zipfile.ZIP_DEFLATED), tmp_path / "out")
    assert len(plan.files["training"]) == 3
