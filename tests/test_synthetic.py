"""The embedded synthetic data: layout, determinism, masks, observation images, caching, and that the
label lives in the food rather than in the background."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage
from skimage.morphology import convex_hull_image
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

from helpers import data, paths
from helpers import synthetic_food as synthetic

SMALL = {"training": 3, "validation": 1, "evaluation": 1}
NAME = re.compile(r"^(\d+)_(\d+)\.jpg$")


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _mask(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        assert img.mode == "L" and img.size == (128, 128), path
        values = np.asarray(img)
    assert set(np.unique(values)) <= {0, 255}, f"{path} is not binary"
    return values == 255


@pytest.fixture(scope="module")
def small_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthetic.generate(tmp_path_factory.mktemp("synthetic") / "set", seed=0, per_class=SMALL)


def test_layout_names_and_all_classes(small_root: Path) -> None:
    for split, count in SMALL.items():
        folder = small_root / split
        names = sorted(p.name for p in folder.glob("*.jpg"))
        assert all(NAME.match(n) for n in names)
        expected = {f"{label}_{n}.jpg" for label in range(11) for n in range(count)}
        assert set(names) == expected
        assert {p.stem for p in (folder / "masks").glob("*.png")} == {Path(n).stem for n in names}
        for name in names[:5]:
            with Image.open(folder / name) as img:
                assert img.format == "JPEG" and img.mode == "RGB" and img.size == (128, 128)
    # The project's loader reads the folder, labels and masks.
    ds = data.FoodDataset(small_root / "training")
    assert sorted(set(ds.labels)) == list(range(11)) and len(ds) == 33
    images, labels = ds.getbatch([0, 32])
    assert images.shape == (2, 3, 128, 128) and labels.tolist() == [0, 10]
    masks = ds.masks([0, 5])
    assert masks.shape == (2, 128, 128) and str(masks.dtype) == "torch.bool" and masks.any()
    assert synthetic.CLASS_NAMES == data.CLASS_NAMES


def test_same_seed_same_bytes_other_seed_differs(small_root: Path, tmp_path: Path) -> None:
    again = synthetic.generate(tmp_path / "again", seed=0, per_class=SMALL)
    assert _files(again) == _files(small_root)
    other = synthetic.generate(tmp_path / "other", seed=1, per_class={"training": 2})
    differ = [
        (other / "training" / f"{label}_{n}.jpg").read_bytes()
        != (small_root / "training" / f"{label}_{n}.jpg").read_bytes()
        for label in range(11)
        for n in range(2)
    ]
    assert all(differ)


def test_files_do_not_depend_on_worker_count_or_split_choice(small_root: Path, tmp_path: Path) -> None:
    # 10 per class is enough tasks to use the process pool; the small set was drawn in one process.
    pooled = synthetic.generate(tmp_path / "pooled", seed=0, per_class={"training": 10})
    for label in range(11):
        for n in range(SMALL["training"]):
            for rel in (f"training/{label}_{n}.jpg", f"training/masks/{label}_{n}.png"):
                assert (pooled / rel).read_bytes() == (small_root / rel).read_bytes(), rel


def test_render_matches_the_written_files(small_root: Path) -> None:
    for label in (0, 5, 9):
        img, mask = synthetic.render(label, np.random.default_rng([0, 0, label, 1]))
        assert img.shape == (128, 128, 3) and img.dtype == np.uint8
        assert mask.shape == (128, 128) and mask.dtype == bool
        assert np.array_equal(mask, _mask(small_root / "training" / "masks" / f"{label}_1.png"))
        encoded = io.BytesIO()
        Image.fromarray(img).save(encoded, format="JPEG", quality=synthetic.JPEG_QUALITY)
        assert encoded.getvalue() == (small_root / "training" / f"{label}_1.jpg").read_bytes()


def _edge_strength(edges: np.ndarray, mask: np.ndarray) -> float:
    """Mean edge magnitude along the mask's outline (a 2-pixel band inside it)."""
    return float(edges[mask & ~ndimage.binary_erosion(mask, iterations=2)].mean())


def test_masks_are_plausible_and_sit_on_the_food_edges(small_root: Path) -> None:
    sharper, fractions = [], []
    for path in sorted((small_root / "training").glob("*.jpg")):
        mask = _mask(small_root / "training" / "masks" / f"{path.stem}.png")
        fractions.append(mask.mean())
        grey = np.asarray(Image.open(path).convert("L"), dtype=np.float32)
        edges = np.hypot(ndimage.sobel(grey, 0), ndimage.sobel(grey, 1))

        colour = np.asarray(Image.open(path), dtype=np.float32)
        food, around = colour[mask], colour[~ndimage.binary_dilation(mask, iterations=4)]
        mean_gap = np.abs(food.mean(0) - around.mean(0)).max()
        spread_gap = np.abs(food.std(0) - around.std(0)).max()
        assert max(mean_gap, spread_gap) > 5, f"{path.name}: the food looks like its surroundings"
        # The true outline has stronger image edges than the same outline moved by 6 pixels.
        moved = np.roll(mask, (6, 6), axis=(0, 1))
        sharper.append(_edge_strength(edges, mask) > _edge_strength(edges, moved))
    assert min(fractions) > 0.02 and max(fractions) < 0.8
    assert np.mean(sharper) >= 0.85


def test_bad_arguments_are_refused() -> None:
    rng = np.random.default_rng(0)
    for label in (-1, 11, "3", 2.0, True):
        with pytest.raises(ValueError, match="class index"):
            synthetic.render(label, rng)
    with pytest.raises(TypeError, match="Generator"):
        synthetic.render(1, 0)
    with pytest.raises(ValueError, match="unknown split"):
        synthetic.generate(Path("unused"), per_class={"train": 3})
    with pytest.raises(ValueError, match=r"per_class\['training'\] must be an integer >= 0"):
        synthetic.generate(Path("unused"), per_class={"training": -1})
    with pytest.raises(ValueError, match="seed"):
        synthetic.generate(Path("unused"), seed=-1)


def _centroid_x(m: np.ndarray) -> float:
    return float(np.nonzero(m)[1].mean())


def test_observation_images_and_parts(small_root: Path) -> None:
    food = small_root / "food"
    stems = [stem for stem, _ in synthetic.OBSERVATION]
    assert sorted(p.name for p in food.glob("*.jpg")) == sorted(f"{s}.jpg" for s in stems)
    assert stems == sorted(stems, key=lambda s: tuple(int(x) for x in s.split("_")))  # indices 0..9
    assert stems == ["0_0", "1_1", "1_2", "2_3", "5_4", "5_5", "5_6", "5_7", "8_8", "9_9"]
    masks = {s: _mask(food / "masks" / f"{s}.png") for s in stems}
    assert all(0.02 < m.mean() < 0.8 for m in masks.values())
    expected = {f"{s}_{p}.png" for s, ps in synthetic.PARTS.items() for p in ps}
    assert {p.name for p in (food / "parts").glob("*.png")} == expected
    parts = {(s, p): _mask(food / "parts" / f"{s}_{p}.png") for s, ps in synthetic.PARTS.items() for p in ps}
    for (stem, name), part in parts.items():
        assert part.sum() > 50, (stem, name)
        inside = (part & masks[stem]).sum() / part.sum()
        if name == "rim":
            assert inside < 0.01  # the bowl is not food
        else:
            assert inside > 0.99, (stem, name)

    steak, side = parts["5_4", "steak"], parts["5_4", "side"]
    assert _centroid_x(steak) > 64 and steak[:, 64:].sum() / steak.sum() > 0.95
    assert _centroid_x(side) < 64 and side[:, :64].sum() / side.sum() > 0.95
    handle, body = parts["1_1", "handle"], parts["1_1", "body"]
    assert _centroid_x(handle) > 128 * 2 / 3 > _centroid_x(body)
    cube = parts["0_0", "cube"]
    assert cube.sum() / convex_hull_image(cube).sum() > 0.97  # a cube's outline is a convex hexagon
    for stem in ("5_7",):
        lone = parts[stem, "steak"]
        assert (lone & masks[stem]).sum() / (lone | masks[stem]).sum() > 0.97  # the steak is all the food
    spread = masks["1_2"]
    quarters = (spread[:64, :64], spread[:64, 64:], spread[64:, :64], spread[64:, 64:])
    assert all(q.mean() > 0.04 for q in quarters)
    rim, soup = parts["9_9", "rim"], parts["9_9", "soup"]
    ys, xs = np.nonzero(soup)
    cy, cx = ys.mean(), xs.mean()
    ry, rx = np.nonzero(rim)
    soup_reach = np.hypot(ys - cy, xs - cx).max()
    assert np.hypot(ry - cy, rx - cx).min() >= soup_reach - 1.5  # the rim rings the soup
    assert abs(ry.mean() - cy) < 2 and abs(rx.mean() - cx) < 2


def test_ensure_embedded_caches_and_regenerates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(synthetic.dataset, "SPLITS", {"training": 1, "validation": 1, "evaluation": 1})
    monkeypatch.setattr(paths, "CACHE", tmp_path / "cache")
    root = synthetic.ensure_embedded()
    assert root == tmp_path / "cache" / "food11-synthetic"
    assert (root / "VERSION").read_text().strip() == synthetic.VERSION
    assert "Generating" in capsys.readouterr().out
    probe = root / "training" / "4_0.jpg"
    first = probe.stat().st_mtime_ns

    assert synthetic.ensure_embedded() == root
    assert capsys.readouterr().out == ""
    assert probe.stat().st_mtime_ns == first

    (root / "VERSION").write_text("an older drawing\n")
    (root / "stale.txt").write_text("from the old version")
    assert synthetic.ensure_embedded(root) == root
    assert "Generating" in capsys.readouterr().out
    assert (root / "VERSION").read_text().strip() == synthetic.VERSION
    assert not (root / "stale.txt").exists() and probe.is_file()
    assert sorted(p.name for p in root.parent.iterdir()) == ["food11-synthetic"]  # no leftovers


def test_ensure_embedded_leaves_foreign_folders_alone(tmp_path: Path) -> None:
    mine = tmp_path / "photos"
    mine.mkdir()
    (mine / "keep.txt").write_text("not generated")
    with pytest.raises(RuntimeError, match="VERSION"):
        synthetic.ensure_embedded(mine)
    assert (mine / "keep.txt").read_text() == "not generated"


def _histogram(pixels: np.ndarray, bins: int = 6) -> np.ndarray:
    q = pixels.astype(np.int32) * bins // 256
    h = np.bincount((q[:, 0] * bins + q[:, 1]) * bins + q[:, 2], minlength=bins**3).astype(np.float64)
    return np.sqrt(h / max(h.sum(), 1.0))


def test_label_is_in_the_food_not_in_the_background() -> None:
    inside, outside, labels = [], [], []
    for label in range(11):
        for n in range(16):
            img, mask = synthetic.render(label, np.random.default_rng([12345, label, n]))
            # Leave a margin around the outline: anti-aliasing and the food's own shadow are not background.
            inside.append(_histogram(img[ndimage.binary_erosion(mask, iterations=1)]))
            outside.append(_histogram(img[~ndimage.binary_dilation(mask, iterations=4)]))
            labels.append(label)
    y = np.array(labels)
    clf = LogisticRegression(C=10, max_iter=2000)
    food_acc = cross_val_score(clf, np.array(inside), y, cv=4).mean()
    background_acc = cross_val_score(clf, np.array(outside), y, cv=4).mean()
    # Chance is 1/11 (9%).
    assert background_acc <= 0.30, f"the background predicts the class ({background_acc:.0%})"
    assert food_acc >= 0.60, f"the food's colours do not tell the classes apart ({food_acc:.0%})"


def test_heldout_style_uses_tables_plates_and_light_training_never_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    from helpers.synthetic_food import scene, tableware

    drawn: list[str] = []
    for name in ("bg_wood", "bg_cloth", "bg_marble", "bg_plain", "bg_tiles", "bg_slate"):
        real = getattr(scene, name)
        monkeypatch.setattr(scene, name, lambda rng, real=real, name=name: drawn.append(name) or real(rng))
    for heldout in (False, True):
        drawn.clear()
        for n in range(40):
            scene.background(np.random.default_rng([7, n]), heldout)
        assert set(drawn) == ({"bg_tiles", "bg_slate"} if heldout else {"bg_wood", "bg_cloth", "bg_marble", "bg_plain"})
    assert not set(tableware._HELDOUT_CERAMICS) & set(tableware._CERAMICS)
    # The held-out split is written in Food-11's layout beside the others, and differs from training-style
    # scenes drawn from the same random numbers.
    img, mask = synthetic.render(3, np.random.default_rng([0, 3, 3, 0]), heldout=True)
    same_numbers, _ = synthetic.render(3, np.random.default_rng([0, 3, 3, 0]))
    assert mask.any() and np.abs(img.astype(int) - same_numbers.astype(int)).mean() > 10
    assert "heldout_style" in synthetic.SPLITS


def test_difficult_split_draws_small_food_off_the_centre_beside_another_dish(monkeypatch: pytest.MonkeyPatch) -> None:
    from helpers.synthetic_food import dataset

    dishes: list[int] = []
    draw = dataset._draw_dish
    monkeypatch.setattr(
        dataset, "_draw_dish", lambda sc, label, place=None: dishes.append(label) or draw(sc, label, place)
    )
    hard, ordinary, others = [], [], 0
    for label in range(11):
        for n in range(3):
            dishes.clear()
            hard.append(synthetic.render(label, np.random.default_rng([0, 4, label, n]), difficult=True)[1])
            assert dishes[-1] == label and all(d != label for d in dishes[:-1])  # the labelled dish is drawn last
            others += len(dishes) - 1
            ordinary.append(synthetic.render(label, np.random.default_rng([0, 1, label, n]))[1])
    hard, ordinary = np.stack(hard), np.stack(ordinary)
    assert hard.any(axis=(1, 2)).all()
    assert not hard[:, 56:72, 56:72].any()  # no food in the middle 16 x 16 pixels of any difficult image
    assert ordinary[:, 56:72, 56:72].any(axis=(1, 2)).mean() > 0.9  # where the ordinary images have it
    assert hard.mean() < 0.5 * ordinary.mean()  # and the food is small
    assert 0.4 < others / len(hard) < 0.8  # another dish on the table in most images (OTHER_DISH = 0.6)
    assert list(synthetic.SPLITS)[:4] == ["training", "validation", "evaluation", "heldout_style"]
