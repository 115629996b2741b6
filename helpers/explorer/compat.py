"""ipywidgets 7 and 8: the few places where the explorers' widgets differ, each in one function here.

Google Colab runs ipywidgets 7.7.1 and its front end renders ipywidgets 7 only; JupyterLab 4, Notebook 7
and VS Code run 8. The explorers use the widgets and traits both versions share (checked on 7.7.1 and 8.1)
and come here for the rest:

- display: 8 widgets have ``_repr_mimebundle_``; 7 widgets display themselves through
  ``_ipython_display_`` and have none. :func:`view_bundle` gives the same bundle for both.
- uploads: 8's ``FileUpload.value`` is a tuple of dicts (name, type, size, content as a memoryview,
  last_modified); 7's is a read-only dict name -> {"metadata": {...}, "content": bytes}, rebuilt from the
  synced ``metadata`` and ``data`` lists whenever the front end bumps ``_counter`` (which is also what its
  button counts). :func:`uploaded_files`, :func:`clear_upload` and :func:`receive_upload`.
- tooltips: 8 calls it ``tooltip`` and its front end writes ``title="null"`` on every description label
  when it is None; 7 calls it ``description_tooltip`` and shows the description when it is None.
  :func:`labelled` sets a description with an explicit tooltip (none: "").

Descriptions are plain words in both: 7 renders a description as HTML, 8 as text unless
``description_allow_html`` (8 only), so the explorers write no markup in descriptions.
"""

from __future__ import annotations

import datetime

import ipywidgets as widgets

#: The installed ipywidgets' major version (7 or 8).
MAJOR = int(widgets.__version__.split(".", 1)[0])
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: The trait of a description's tooltip.
TOOLTIP = "tooltip" if MAJOR >= 8 else "description_tooltip"


def view_bundle(widget: widgets.Widget) -> dict:
    """The display bundle of ``widget``: its plain-text repr and the widget view a front end renders."""
    if MAJOR >= 8:
        return dict(widget._repr_mimebundle_() or {})
    # ipywidgets 7 sends exactly this from _ipython_display_ (widget.py), with no method that returns it.
    text = repr(widget)
    return {
        "text/plain": text[:110] + "…" if len(text) > 110 else text,
        WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": widget.model_id},
    }


def labelled(description: str, tooltip: str = "") -> dict:
    """Keyword arguments for a widget's ``description`` and its tooltip ("": none, never "null")."""
    return {"description": description, TOOLTIP: tooltip}


def uploaded_files(upload: widgets.FileUpload) -> list[tuple[str, bytes | memoryview]]:
    """``(name, content)`` of each file the upload button holds, in the order chosen."""
    if MAJOR >= 8:
        return [(file["name"], file["content"]) for file in upload.value]
    return [(name, file["content"]) for name, file in upload.value.items()]


def clear_upload(upload: widgets.FileUpload) -> None:
    """Empty the upload button, so that it counts no file: the panel keeps what it read from it."""
    if MAJOR >= 8:
        upload.value = ()
        return
    upload.metadata, upload.data = [], []
    upload._counter = 0  # what 7's button counts; its observer rebuilds value ({} now)
    upload.set_trait("value", {})  # also when _counter was 0 already (nothing to notify)


def receive_upload(upload: widgets.FileUpload, name: str, content: bytes) -> None:
    """What the front end does when a student chooses the file ``name`` (tests drive the panel with it)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    if MAJOR >= 8:
        upload.value = ({"name": name, "type": "", "size": len(content), "content": memoryview(content),
                         "last_modified": now},)  # fmt: skip
        return
    upload.metadata = [{"name": name, "type": "", "size": len(content), "lastModified": int(now.timestamp() * 1000)}]
    upload.data = [content]
    upload._counter += 1  # 7's front end sets the three together; the counter makes the value
