# Two commands: `make setup` (every distribution editable + dev tools, in .venv) and `make test`.
# `make dist`: every distribution's wheel and sdist into dist/ (offline, scripts/build_dist.py), each
# wheel checked to hold every file of its source packages; users install from there (README).
# `make test` runs setup first when .venv is missing or a pyproject changed, so a fresh clone
# needs only `make test`; .ci/run installs chromium if missing, then runs `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
DISTS  := $(sort $(patsubst %/pyproject.toml,%,$(shell find core services frontends_* mappers_* plugins -name pyproject.toml -not -path '*/template*' -not -path '*/.venv/*' 2>/dev/null)))
STAMP  := $(VENV)/.graphs-installed

.PHONY: setup test test-slow bench measure-host accuracy dist clean
setup: $(STAMP)

$(STAMP): constraints-dev.txt pyproject.toml $(addsuffix /pyproject.toml,$(DISTS))
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints-dev.txt torch==2.13.0
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints-dev.txt \
	    $(addprefix -e ./,$(DISTS)) -e '.[dev]'
	touch $@

test: $(STAMP)
	$(PY) -m pytest -q

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

bench: $(STAMP)
	$(PY) benchmarks/analysis_speed.py

# the host CPU loop: benchmark full + models, calibrate (held-out models), validate; rewrites the
# committed data in mappers_cpu/src/graphs_mappers_cpu/data/{measurements,calibration}.
# On a quiet machine: make measure-host; on a shared one: make measure-host MEASURE_ARGS="--threads 1 --statistic min"
measure-host: $(STAMP)
	$(PY) benchmarks/measure_host.py $(MEASURE_ARGS)

accuracy: $(STAMP)
	$(PY) benchmarks/accuracy.py

dist: $(STAMP)
	rm -rf dist
	$(PY) scripts/build_dist.py --check --out dist

clean:
	rm -rf $(VENV)
