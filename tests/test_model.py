"""The course classifier's layer list, checkpoint loading and its error messages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from helpers.model import CheckpointError, Classifier, load_model, pick_device, save_checkpoint

CONV = [0, 3, 6, 10, 13, 16, 20, 23, 26, 30, 34]
BN = [1, 4, 7, 11, 14, 17, 21, 24, 27, 31, 35]
RELU = [2, 5, 8, 12, 15, 18, 22, 25, 28, 32, 36]
POOL = [9, 19, 29, 33, 37]


@pytest.mark.parametrize("widths,hidden", [((128, 128, 256, 512, 512), 1024), ((16, 16, 32, 64, 64), 128)])
def test_layer_indices_match_the_course(widths: tuple[int, ...], hidden: int) -> None:
    model = Classifier(widths, hidden)
    assert len(model.cnn) == 38
    kinds = {nn.Conv2d: CONV, nn.BatchNorm2d: BN, nn.ReLU: RELU, nn.MaxPool2d: POOL}
    for kind, indices in kinds.items():
        assert [i for i, layer in enumerate(model.cnn) if isinstance(layer, kind)] == indices
    assert [type(m) for m in model.fc] == [nn.Linear, nn.ReLU, nn.Dropout, nn.Linear]
    assert model.fc[2].p == 0.3


def test_course_size_has_the_course_parameter_count() -> None:
    assert sum(p.numel() for p in Classifier().parameters()) == 14_162_827


def test_forward_shape(tiny_model: Classifier) -> None:
    assert tiny_model(torch.rand(2, 3, 128, 128)).shape == (2, 11)
    assert tiny_model.cnn(torch.rand(1, 3, 128, 128)).shape == (1, 8, 4, 4)


def test_course_format_round_trip_infers_widths(tmp_path: Path, tiny_model: Classifier) -> None:
    path = tmp_path / "ckpt.pth"
    opt = torch.optim.Adam(tiny_model.parameters())
    save_checkpoint(path, tiny_model, epoch=3, optimizer_state_dict=opt.state_dict())
    loaded = load_model(path, "cpu")
    assert loaded.widths == (4, 4, 8, 8, 8) and loaded.hidden == 16
    assert not loaded.training
    x = torch.rand(2, 3, 128, 128)
    assert torch.equal(loaded(x), tiny_model(x))


def test_bare_state_dict_and_dataparallel_prefix(tmp_path: Path, tiny_model: Classifier) -> None:
    torch.save(tiny_model.state_dict(), tmp_path / "bare.pt")
    torch.save({f"module.{k}": v for k, v in tiny_model.state_dict().items()}, tmp_path / "dp.pt")
    for name in ("bare.pt", "dp.pt"):
        assert load_model(tmp_path / name, "cpu").widths == (4, 4, 8, 8, 8)


def test_wrong_shape_names_the_keys(tmp_path: Path, tiny_model: Classifier) -> None:
    state = tiny_model.state_dict()
    state["fc.3.weight"] = torch.zeros(10, 16)  # a 10-class head
    state["fc.3.bias"] = torch.zeros(10)
    torch.save(state, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match=r"fc\.3\.weight: checkpoint \(10, 16\) vs model \(11, 16\)"):
        load_model(tmp_path / "bad.pt", "cpu")


def test_missing_keys_are_listed(tmp_path: Path, tiny_model: Classifier) -> None:
    state = tiny_model.state_dict()
    del state["cnn.4.running_mean"]
    torch.save(state, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match=r"missing keys: cnn\.4\.running_mean"):
        load_model(tmp_path / "bad.pt", "cpu")


def test_not_a_checkpoint(tmp_path: Path) -> None:
    (tmp_path / "x.pt").write_text("not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot read checkpoint .* it is a text file"):
        load_model(tmp_path / "x.pt", "cpu")
    torch.save({"weights": [1, 2]}, tmp_path / "y.pt")
    with pytest.raises(CheckpointError, match="neither a state dict"):
        load_model(tmp_path / "y.pt", "cpu")
    torch.save({"foo.weight": torch.zeros(2)}, tmp_path / "z.pt")
    with pytest.raises(CheckpointError, match="not a state dict of the course classifier"):
        load_model(tmp_path / "z.pt", "cpu")


def read_error(path: Path) -> str:
    """The message load_model gives for ``path``, with every exception chained to it."""
    with pytest.raises(CheckpointError) as caught:
        load_model(path, "cpu")
    chain, error = [], caught.value
    while error is not None:
        chain.append(str(error))
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    return "\n".join(chain)


def test_files_that_are_not_checkpoints_get_our_message_without_unsafe_advice(
    tmp_path: Path, tiny_model: Classifier
) -> None:
    Image.new("RGB", (8, 8)).save(tmp_path / "photo.pt", format="PNG")
    Image.new("RGB", (8, 8)).save(tmp_path / "photo.pth", format="JPEG")
    (tmp_path / "empty.pt").write_bytes(b"")
    torch.save({"model_state_dict": tiny_model.state_dict(), "best": np.float64(0.5)}, tmp_path / "numpy.pt")
    torch.save(tiny_model.state_dict(), tmp_path / "whole.pt")
    (tmp_path / "cut.pt").write_bytes((tmp_path / "whole.pt").read_bytes()[:2000])
    expected = {
        "photo.pt": "it is a PNG image",
        "photo.pth": "it is a JPEG image",
        "empty.pt": "an empty file",
        "numpy.pt": "it stores a Python object of type numpy",
        "cut.pt": "damaged",
    }
    for name, phrase in expected.items():
        message = read_error(tmp_path / name)
        assert message.startswith(f"cannot read checkpoint {tmp_path / name}: ") and phrase in message, message
        assert "weights_only" not in message and len(message) < 400, message


def test_missing_file_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="helpers train"):
        load_model(tmp_path / "none.pt")


def test_pick_device() -> None:
    assert pick_device("cpu").type == "cpu"
    assert pick_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="no CUDA GPU"):
            pick_device("cuda")


def test_bad_widths() -> None:
    with pytest.raises(ValueError, match="five positive"):
        Classifier((8, 8, 8))
