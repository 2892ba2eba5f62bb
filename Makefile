# Two entry points: `make demo` (the main job on built-in defaults) and `make test`.
# Each creates the virtual environment when it is missing. torch==2.13.0 is installed first:
# it is the CPU build available offline; any other version pulls a multi-GB CUDA build.
VENV ?= .venv
PY := $(VENV)/bin/python
export OMP_NUM_THREADS ?= 1
export NUMBA_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
export SDL_VIDEODRIVER ?= dummy

.PHONY: demo test bench system-deps clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[test,crowd,ray]"
	touch $@

# CP2K (reference data for the water model) comes from Debian.
system-deps:
	@command -v cp2k.psmp >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq cp2k; \
	  else echo "CP2K missing: sudo apt-get install -y cp2k (its tests are skipped)"; fi; }

demo: $(VENV)/.installed
	$(VENV)/bin/autoparticles demo

test: $(VENV)/.installed system-deps
	$(PY) -m pytest -q

bench: $(VENV)/.installed
	$(PY) benchmarks/bench_invariants.py

clean:
	rm -rf $(VENV) build *.egg-info
