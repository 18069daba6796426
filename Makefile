# Two commands do all the set-up on a fresh machine with only Python:
#   make demo   install into .venv and draft the bundled example agreements
#   make test   install into .venv and run the whole test suite (ruff, mypy, pytest)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUT ?= out

OOXML_VALIDATE := tools/ooxml-validate
OOXML_STAMP := $(OOXML_VALIDATE)/node_modules/.installed-stamp

.PHONY: demo test lint system-packages validators bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP) system-packages
	mkdir -p $(OUT)
	$(BIN)/procuregen draft examples/*.yaml -o $(OUT) --force --manifest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts templates
	$(BIN)/ruff format --check src tests benchmarks scripts templates
	$(BIN)/mypy src

test: $(STAMP) system-packages validators lint
	$(BIN)/pytest

system-packages:
	bash scripts/install-system-packages.sh

# The Open XML SDK validator the conformance tests run, from its lock file.
$(OOXML_STAMP): $(OOXML_VALIDATE)/package-lock.json | system-packages
	npm ci --prefix $(OOXML_VALIDATE) --no-audit --no-fund --loglevel=error
	touch $@

validators: $(OOXML_STAMP)

# Bytecode for src/ first, as pip writes it when it installs the wheel: the editable
# install writes none, and where PYTHONDONTWRITEBYTECODE is set every run would compile
# procuregen's modules again (about 60 ms a process) and measure that instead.
bench: $(STAMP)
	bash scripts/install-system-packages.sh --bench
	$(BIN)/python -m compileall -q src
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache .ruff_cache
