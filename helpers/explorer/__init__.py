"""Explore it yourself: live explorers of the lessons' methods (ipywidgets panels), with their logic
in modules of their own so it can be tested without a browser.

- :func:`explore`: a CNN explanation method on an observed image, a validation image or your photo;
- :func:`explore_question` / :func:`explore_senses`: the BERT lessons' text counterparts (imported on first
  use, so the CNN lessons do not load the BERT helpers).
"""

from helpers.explorer.panel import explore

__all__ = ["explore", "explore_question", "explore_senses"]


def __getattr__(name: str) -> object:
    if name in ("explore_question", "explore_senses"):
        from helpers.explorer import text

        return getattr(text, name)
    raise AttributeError(f"module 'helpers.explorer' has no attribute {name!r}")
