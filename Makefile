# zoneweaver.illumos: the two commands a newcomer needs are `make demo` and `make test`.
# Everything they use is installed here into local venvs from pinned lock files.
SHELL := /bin/bash
ROOT := $(CURDIR)
PY311 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.11*/bin/python3.11) $(shell command -v python3.11))
PY313 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) $(shell command -v python3.13))
VENV311 := $(ROOT)/.venv311
VENV313 := $(ROOT)/.venv313
COLLECTIONS := $(ROOT)/.build/collections
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_CONFIG := $(ROOT)/tests/ansible.cfg
PYTEST_ARGS ?=

.PHONY: demo test venv venv313 sanity units integration simulator-tests test311 test313 lint molecule changelog-lint docs docs-lint bench clean

venv:
	@tools/bootstrap.sh $(VENV311) $(PY311) requirements/py311.lock

venv313:
	@tools/bootstrap.sh $(VENV313) $(PY313) requirements/py313.lock

demo: venv
	@PATH=$(VENV311)/bin:$$PATH $(VENV311)/bin/python playbooks/demo/run_demo.py

sanity: venv
	@tools/sanity.sh $(VENV311) 3.11

changelog-lint: venv
	@cd $(ROOT) && $(VENV311)/bin/antsibull-changelog lint

# Units and integration on Python 3.13 / ansible-core 2.21 against the newest agent generation, then the
# whole pytest suite (both generations, trust, packaging) on Python 3.11 / ansible-core 2.19.
test313: venv313
	@PATH=$(VENV313)/bin:$$PATH ZW_GENERATIONS=0.3.9 $(VENV313)/bin/python -m pytest -p no:cacheprovider -n 2 tests/unit tests/integration $(PYTEST_ARGS)

test311: venv
	@PATH=$(VENV311)/bin:$$PATH $(VENV311)/bin/python -m pytest -p no:cacheprovider -n 2 tests/simulator tests/unit tests/integration tests/packaging tests/trust $(PYTEST_ARGS)

# Static checks first, then the molecule scenarios, then pytest on both Pythons (its summary line ends the run).
test: venv venv313 sanity changelog-lint docs-lint lint molecule test313 test311

# Every scenario under extensions/molecule/ (each starts and stops its own simulator).
molecule: venv
	@cd $(ROOT) && PATH=$(VENV311)/bin:$$PATH ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) $(VENV311)/bin/molecule test --all

# ansible-lint, production profile (.ansible-lint), on the roles and playbooks.
lint: venv
	@cd $(ROOT) && PATH=$(VENV311)/bin:$$PATH $(VENV311)/bin/ansible-lint roles/ playbooks/

# Plugin/role reference into .build/docs (antsibull-docs + Sphinx, offline); docs-lint is its check alone.
docs: venv
	@tools/docs.sh $(VENV311)

docs-lint: venv
	@tools/docs.sh $(VENV311) lint

bench: venv
	@PATH=$(VENV311)/bin:$$PATH $(VENV311)/bin/python bench/run_all.py

clean:
	rm -rf .build tests/output $(VENV311) $(VENV313)
