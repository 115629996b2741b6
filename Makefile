# hw9-xai: the documented commands. `make run` and `make test` work on a fresh machine with Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
TORCH  := 2.13.0# the CPU build that lies on this machine's disk (pip finds it through PIP_FIND_LINKS)

.PHONY: help venv lock run test test-fast test-gpu test-setup lab data train evaluate bench grade release lint clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

# The locked set: exact versions, each file checked against its hash; the bundle itself from the checkout.
$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

venv: $(STAMP)  ## create .venv and install the locked set (requirements.txt) and the bundle

lock: venv  ## refresh requirements.txt, the locked set, from pyproject.toml's ranges (uv, newest versions, hashes)
	echo "torch==$(TORCH)" | $(PY) -m uv pip compile pyproject.toml - --extra dev --upgrade --generate-hashes \
	  --python-version 3.11 $(addprefix --find-links ,$(PIP_FIND_LINKS)) --custom-compile-command "make lock" \
	  --quiet -o requirements.txt

run: venv  ## execute every notebook headless on the embedded default into build/
	$(PY) -m helpers run

test-setup: venv  ## install what the tests need (Debian chromium, a font with Chinese glyphs, bubblewrap)
	@{ command -v chromium >/dev/null && command -v bwrap >/dev/null && fc-list :lang=zh | grep -q .; } || \
	  { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium fonts-droid-fallback bubblewrap; }

test: test-setup lint  ## run the whole test suite (after the lint and format check)
	$(PY) -m pytest

test-fast: venv  ## unit tests only, while developing (no notebook runs, browser or trained-model checks)
	$(PY) -m pytest -q -m "not slow and not browser" --durations=10

test-gpu: venv  ## on a CUDA machine: every lesson on GPU and CPU (papermill, nbval), evidence and key compared, times
	$(PY) tests/gpu_check.py $(ARGS)

lab: venv  ## open JupyterLab on the notebooks at 00_observe (no news pop-up, no update check, figures inline)
	MPLBACKEND=module://matplotlib_inline.backend_inline $(VENV)/bin/jupyter lab --LabApp.app_settings_dir="$(CURDIR)/helpers/bundle/lab_settings" --LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate notebooks/00_observe.ipynb

data: venv  ## get Food-11: make data FROM=path/or/url/to/food-11.zip
	$(PY) -m helpers fetch food11 --from "$(FROM)"

train: venv  ## retrain the embedded default checkpoint (or pass ARGS="--data data/food-11 ...")
	$(PY) -m helpers train $(ARGS)

evaluate: venv  ## accuracy of the checkpoint on the validation split
	$(PY) -m helpers evaluate $(ARGS)

bench: venv  ## benchmark the explanation methods
	$(PY) -m helpers bench $(ARGS)

grade: venv  ## grade answered notebooks: make grade SUBMISSIONS=folder KEY=course|embedded
	$(PY) -m helpers grade "$(SUBMISSIONS)" --key "$(or $(KEY),course)" --out "$(or $(OUT),grades)" $(ARGS)

release: venv  ## build the student version of the bundle into dist/student (and its wheel into dist/student/wheel)
	$(PY) -m helpers release "$(or $(OUT),dist/student)" $(ARGS)

lint: venv  ## ruff: lint rules and the one formatter (`ruff format .` fixes what the check reports)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

clean:  ## remove build outputs and caches (keeps .venv)
	rm -rf build .pytest_cache .ruff_cache
