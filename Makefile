# Magpie: the two commands are `make run` and `make test`.
# Contracts: `make build` produces build/magpie-server; targets build run test bench examples.
SHELL := /bin/bash
PY := /usr/bin/python3
JOBS ?= $(shell nproc)
ARGS ?=

.PHONY: deps build build-asan build-fuzz run test unit-test integration-test fuzz bench examples lint clean

deps:
	@bash scripts/bootstrap.sh

build: deps
	@cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@ninja -C build -j $(JOBS)

build-asan: deps
	@cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMAGPIE_SANITIZE=ON >/dev/null
	@ninja -C build-asan -j $(JOBS)

build-fuzz: deps
	@CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMAGPIE_FUZZ=ON >/dev/null
	@ninja -C build-fuzz -j $(JOBS) resp_parser_fuzz memcache_fuzz rdb_value_fuzz

run: build
	./build/magpie-server $(ARGS)

unit-test: build build-asan
	ctest --test-dir build --output-on-failure
	ctest --test-dir build-asan --output-on-failure

integration-test: build build-asan
	MAGPIE_BIN=$(CURDIR)/build/magpie-server $(PY) -m pytest -q -p no:cacheprovider tests/integration
	MAGPIE_BIN=$(CURDIR)/build-asan/magpie-server MAGPIE_SANITIZED=1 $(PY) -m pytest -q -p no:cacheprovider tests/integration

fuzz: build-fuzz
	@mkdir -p build-fuzz/corpus-resp build-fuzz/corpus-memcache build-fuzz/corpus-rdb_value
	@for t in resp_parser:resp memcache:memcache rdb_value:rdb_value; do \
		name=$${t%%:*}; corpus=$${t##*:}; \
		echo "fuzzing $$name for $${FUZZ_SECONDS:-45}s (log: build-fuzz/$$name.log)"; \
		./build-fuzz/$${name}_fuzz -max_total_time=$${FUZZ_SECONDS:-45} -max_len=4096 \
			build-fuzz/corpus-$$corpus tests/fuzz/corpus/$$corpus > build-fuzz/$$name.log 2>&1 \
			|| { tail -n 60 build-fuzz/$$name.log; exit 1; }; \
		tail -n 1 build-fuzz/$$name.log; \
	done

test: unit-test integration-test fuzz

bench: build
	$(PY) bench/bench.py $(ARGS)

examples: build
	$(PY) examples/run_all.py $(ARGS)

lint:
	clang-format --dry-run -Werror $$(git ls-files 'src/*.cc' 'src/*.h')

clean:
	rm -rf build build-asan build-fuzz
