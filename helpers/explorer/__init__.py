"""Explore it yourself: live explorers of the lessons' methods (ipywidgets panels), with their logic
in modules of their own so it can be tested without a browser.

- :func:`explore`: a CNN explanation method on an observed image, a validation image or your photo;
- :func:`explore_question` / :func:`explore_senses`: the BERT lessons' text counterparts.
"""

from helpers.explorer.panel import explore

__all__ = ["explore"]
