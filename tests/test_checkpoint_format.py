"""The course's own checkpoint file: a dict saved on a GPU, loaded here on whatever device there is.

The course saved ``{"epoch", "model_state_dict", "optimizer_state_dict"}`` with ``torch.save`` from a
CUDA model, so every storage in the file is tagged ``cuda:0`` and a plain ``torch.load`` fails on a
machine without a GPU. Such a file is built here without a GPU by making ``torch.save`` tag the CPU
storages ``cuda:0`` (the tag is only a string in the zip's ``data.pkl``).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import torch

from helpers.model import COURSE_HIDDEN, COURSE_WIDTHS, Classifier, load_model


def save_as_if_on_gpu(obj: object, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``torch.save(obj, path)`` with every storage recorded as living on ``cuda:0``."""
    with monkeypatch.context() as patch:
        patch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")
        torch.save(obj, path)
    with zipfile.ZipFile(path) as zf:  # the fake worked: the pickle names the GPU, not the CPU
        pickled = zf.read(next(n for n in zf.namelist() if n.endswith("data.pkl")))
    assert b"cuda:0" in pickled and b"cpu" not in pickled


def course_checkpoint(model: Classifier, prefix: str = "") -> dict:
    """The course's format: epoch, weights and Adam's state (two moments per parameter)."""
    params = list(model.parameters())
    optimizer_state = {
        "state": {
            i: {"step": torch.tensor(12.0), "exp_avg": torch.zeros_like(p), "exp_avg_sq": torch.zeros_like(p)}
            for i, p in enumerate(params)
        },
        "param_groups": [
            {
                "lr": 3e-4,
                "betas": (0.9, 0.999),
                "eps": 1e-8,
                "weight_decay": 1e-5,
                "amsgrad": False,
                "maximize": False,
                "foreach": None,
                "capturable": False,
                "differentiable": False,
                "fused": None,
                "params": list(range(len(params))),
            }
        ],
    }
    weights = {prefix + k: v for k, v in model.state_dict().items()}
    return {"epoch": 12, "model_state_dict": weights, "optimizer_state_dict": optimizer_state}


@pytest.mark.parametrize("size, prefix", [("course", ""), ("narrow", "module.")])
def test_gpu_saved_course_checkpoint_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: str, prefix: str
) -> None:
    torch.manual_seed(0)
    if size == "course":  # the real file's shapes (14.16M parameters, about 170 MB with Adam's state)
        model = Classifier(COURSE_WIDTHS, COURSE_HIDDEN).eval()
    else:  # a narrow model saved from nn.DataParallel ("module." before every key)
        model = Classifier((4, 4, 8, 8, 8), 16).eval()
    with torch.no_grad():  # make the batch-norm statistics differ from their defaults
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.1, 0.1)
                module.running_var.uniform_(0.9, 1.1)
    path = tmp_path / "model.ckpt"
    save_as_if_on_gpu(course_checkpoint(model, prefix), path, monkeypatch)

    if torch.cuda.is_available():
        assert torch.load(path)["model_state_dict"][prefix + "fc.3.bias"].device.type == "cuda"
    else:  # what a student on a laptop meets with the course's own loading line
        with pytest.raises(RuntimeError, match="CUDA"):
            torch.load(path)

    loaded = load_model(path, "cpu")
    assert loaded.widths == model.widths and loaded.hidden == model.hidden
    assert next(loaded.parameters()).device.type == "cpu"
    assert not loaded.training
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    x = torch.rand(2, 3, 128, 128)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))
