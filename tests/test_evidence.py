"""The evidence measurements, on hand-made maps whose answers are known by construction."""

from __future__ import annotations

import math

import pytest
import torch

from helpers import evidence as ev


def square(size: int = 32, top: int = 8, left: int = 8, side: int = 8) -> torch.Tensor:
    mask = torch.zeros(size, size, dtype=torch.bool)
    mask[top : top + side, left : left + side] = True
    return mask


def test_where_counts_mass_and_area() -> None:
    food = square()
    m = torch.zeros(32, 32)
    m[food] = 3.0
    m[0, 0] = 1.0  # a little mass outside
    w = ev.where(m, {"food": food, "background": ~food})
    total = 64 * 3.0 + 1.0
    assert w["food"].mass == pytest.approx(192 / total)
    assert w["food"].area == pytest.approx(64 / 1024)
    assert w["food"].lift == pytest.approx((192 / total) / (64 / 1024) / ((1 / total) / (960 / 1024)))
    assert ev.where(torch.ones(32, 32), {"food": food})["food"].lift == pytest.approx(1.0)
    assert math.isinf(ev.where(food.double(), {"food": food})["food"].lift)
    assert w["background"].mass == pytest.approx(1 / total)
    text = str(w)
    assert "food" in text and "background" in text and "%" in text


def test_where_rejects_signed_maps_and_wrong_masks() -> None:
    with pytest.raises(ValueError, match="negative values"):
        ev.where(torch.randn(8, 8))
    with pytest.raises(ValueError, match="boolean"):
        ev.where(torch.rand(8, 8), {"food": torch.ones(8, 8)})
    with pytest.raises(ValueError, match="upsample"):
        ev.where(torch.rand(8, 8), {"food": torch.ones(4, 4, dtype=torch.bool)})
    with pytest.raises(ValueError, match="one H x W map"):
        ev.where(torch.rand(2, 8, 8))


def test_where_does_not_mutate_its_input() -> None:
    m = torch.rand(16, 16)
    before = m.clone()
    ev.where(m, {"border": ev.frame((16, 16), 2)})
    assert torch.equal(m, before)


def test_where_locates_regions_and_tolerates_missing_ones() -> None:
    right = torch.zeros(30, 30, dtype=torch.bool)
    right[10:20, 25:30] = True
    w = ev.where(torch.rand(30, 30), {"handle": right}, locate=("handle", "steak"))
    row, col = w["handle"].centre
    assert col > 2 / 3 and 1 / 3 < row < 2 / 3
    assert "middle third, right third" in str(w)
    assert "no mask for: steak" in str(w)


def test_centroid_and_thirds() -> None:
    m = torch.zeros(30, 30)
    m[2, 27] = 1.0
    row, col = ev.centroid(m)
    assert row < 1 / 3 and col > 2 / 3
    assert ev.thirds(row, col) == "top third, right third"
    assert math.isnan(ev.centroid(torch.zeros(4, 4))[0])


def test_concentration_even_versus_peaked() -> None:
    assert ev.concentration(torch.ones(20, 20)) == pytest.approx(0.10)
    peaked = torch.zeros(20, 20)
    peaked[3, 4] = 5.0
    assert ev.concentration(peaked) == pytest.approx(1.0)


def test_frame_outline_inside() -> None:
    f = ev.frame((20, 20), 2)
    assert f[0, 0] and f[1, 10] and not f[2, 2] and not f[10, 10]
    assert f.sum() == 400 - 16 * 16
    food = square(32, 8, 8, 12)
    band = ev.outline(food, 2)
    inner = ev.erode(food, 2)
    assert band[8, 14] and band[6, 14] and not band[14, 14] and not band[2, 2]
    assert inner[14, 14] and not inner[8, 14]
    assert not (band & inner).any()
    with pytest.raises(ValueError, match="does not fit"):
        ev.frame((10, 10), 5)


def test_rank_correlation() -> None:
    a = torch.rand(16, 16)
    assert ev.rank_correlation(a, a * 3 + 1) == pytest.approx(1.0)
    assert ev.rank_correlation(a, -a) == pytest.approx(-1.0)
    assert abs(ev.rank_correlation(a, torch.rand(16, 16, generator=torch.Generator().manual_seed(1)))) < 0.3
    assert math.isnan(ev.rank_correlation(a, torch.ones(16, 16)))
    with pytest.raises(ValueError, match="differ in shape"):
        ev.rank_correlation(a, torch.rand(8, 8))


def test_blurriness_orders_smooth_above_noisy() -> None:
    noise = torch.rand(64, 64, generator=torch.Generator().manual_seed(0))
    smooth = ev.upsample(noise[:8, :8], (64, 64))[0]
    assert ev.blurriness(smooth) > 0.9
    assert abs(ev.blurriness(noise)) < 0.1


def test_upsample_shapes() -> None:
    assert ev.upsample(torch.rand(3, 8, 8), (32, 32)).shape == (3, 32, 32)
    assert ev.upsample(torch.rand(8, 8), (16, 16)).shape == (1, 16, 16)


def test_food_shares_and_no_masks() -> None:
    masks = torch.stack([square(), square(32, 0, 0, 16)])
    near = torch.zeros(2, 32, 32)
    near[masks] = 1.0
    far = torch.ones(2, 32, 32)
    shares = ev.food_shares({"saliency": far, "SmoothGrad": near}, masks)
    assert shares.mean("SmoothGrad") == pytest.approx(1.0)
    assert shares.mean("saliency") == pytest.approx((64 / 1024 + 256 / 1024) / 2)
    assert "mean" in str(shares)
    assert "no food masks" in ev.food_shares({"x": far}, None)


def test_compare_layers() -> None:
    gen = torch.Generator().manual_seed(0)
    places = ev.upsample(torch.rand(3, 8, 8, generator=gen), (64, 64)).float()
    shallow = places + 0.3 * torch.rand(3, 64, 64, generator=gen)  # the same places, plus fine detail
    deep = torch.nn.functional.avg_pool2d(shallow[:, None], 4)[:, 0]  # coarser: blurrier once upsampled
    result = ev.compare_layers(shallow, deep, ("cnn[6]", "cnn[23]"), size=(64, 64))
    assert result.mean_blur(1) > result.mean_blur(0)
    assert result.mean_correlation > 0.3
    assert "cnn[23]" in str(result)


def test_compare_settings() -> None:
    gen = torch.Generator().manual_seed(0)
    base = torch.rand(2, 16, 16, generator=gen)
    result = ev.compare_settings({"10 steps": base, "50 steps": base * 1.01, "noise": torch.rand(2, 16, 16)})
    assert min(result.correlation["50 steps"]) == pytest.approx(1.0)
    assert max(result.correlation["noise"]) < 0.5
    assert result.change["50 steps"][0] == pytest.approx(0.01)
    assert "50 steps" in str(result)
    with pytest.raises(ValueError, match="reference"):
        ev.compare_settings({"a": base}, reference="b")


def test_scale() -> None:
    s = ev.scale(torch.full((2, 4, 4), 0.001))
    assert s.largest == [pytest.approx(0.001)] * 2
    assert "0.001" in str(s)


def test_regions_of_without_masks_gives_only_the_frame() -> None:
    class Obs:  # what regions_of reads from an Observation
        images = torch.zeros(2, 3, 32, 32)
        masks = None

    assert list(ev.regions_of(Obs(), 0)) == ["border"]


def test_regions_of_reads_the_parts_of_the_observed_image_not_of_its_position(tmp_path) -> None:
    from PIL import Image

    (tmp_path / "parts").mkdir()
    Image.new("L", (32, 32), 255).save(tmp_path / "parts" / "5_5_handle.png")

    class Obs:  # observed images #0, #1 are the folder's images 2 and 5 (e.g. an unreadable one skipped)
        images = torch.zeros(2, 3, 32, 32)
        masks = torch.zeros(2, 32, 32, dtype=torch.bool)
        indices = (2, 5)

        class dataset:  # noqa: N801 - stands in for FoodDataset
            paths = [tmp_path / f"{k}_{k}.jpg" for k in range(6)]

    assert "handle" in ev.regions_of(Obs(), 1)
    assert "handle" not in ev.regions_of(Obs(), 0)


def test_part_masks_read_from_parts_folder(tmp_path) -> None:
    import numpy as np
    from PIL import Image

    (tmp_path / "parts").mkdir()
    pixels = np.zeros((128, 128), np.uint8)
    pixels[:, 100:] = 255
    Image.fromarray(pixels).save(tmp_path / "parts" / "1_1_handle.png")
    Image.fromarray(pixels).save(tmp_path / "parts" / "1_10_other.png")
    parts = ev.part_masks(tmp_path / "1_1.jpg")
    assert list(parts) == ["handle"]
    assert parts["handle"][5, 120] and not parts["handle"][5, 5]
