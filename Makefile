# make demo   install into ./.venv if needed, then run the stages on the embedded demo data
# make test   install into ./.venv if needed, then run the test suite
# make install / make lint / make clean
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install demo test lint clean

install:
	bash tools/install.sh $(VENV)

demo: install
	$(PY) tools/demo.py

test: install
	$(PY) -m pytest tests -q

lint: install
	$(VENV)/bin/ruff check projects tools configs tests
	$(VENV)/bin/ruff format --check projects tools configs tests

clean:
	rm -rf work_dirs/demo
