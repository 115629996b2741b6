"""hw9-xai: machinery for the explainable-AI course notebooks (data, model, explanation methods, quiz)."""

__version__ = "0.1.0"
