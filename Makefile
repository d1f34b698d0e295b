# zerial: the two commands are `make run` and `make test`; both install what is missing first.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
B := build
CMAKE_COMMON := -DCMAKE_BUILD_TYPE=RelWithDebInfo
CTEST_EXCLUDE := -LE "soak|large"

.PHONY: all deps build run test test-tsan test-valgrind fuzz fuzz-long bench install lint format coverage docs clean

all: build

deps:
	@./scripts/install-deps.sh

# Release build for the main job, benchmarks and install
$(B)/release/Makefile: CMakeLists.txt
	cmake -S . -B $(B)/release -DCMAKE_BUILD_TYPE=Release -DZR_BENCH=ON

build: deps $(B)/release/Makefile
	cmake --build $(B)/release -j$(JOBS)

run: build
	./scripts/run-main.sh $(B)/release

# ASan + UBSan build, every suite
test: deps
	cmake -S . -B $(B)/asan $(CMAKE_COMMON) -DZR_SANITIZE=ON
	cmake --build $(B)/asan -j$(JOBS)
	cd $(B)/asan && ctest --output-on-failure -j$(JOBS) $(CTEST_EXCLUDE)

test-tsan: deps
	cmake -S . -B $(B)/tsan $(CMAKE_COMMON) -DZR_TSAN=ON
	cmake --build $(B)/tsan -j$(JOBS)
	cd $(B)/tsan && ctest --output-on-failure -j$(JOBS) -L "unit|thread" -LE "soak|large|interop"

# The whole default suite (as `make test`: soak and large stay out) with every program of ours
# under valgrind memcheck: ZR_VALGRIND=ON wraps each test in scripts/valgrind/vg-test, C programs,
# the CLI ($ZR_CLI) and Python in vg-run (see docs/coverage.md, "Valgrind"). Takes ~1 h on 2 cores.
# VALGRIND_TESTS="-R core" narrows the run.
test-valgrind: deps
	cmake -S . -B $(B)/valgrind $(CMAKE_COMMON) -DZR_VALGRIND=ON
	cmake --build $(B)/valgrind -j$(JOBS)
	cd $(B)/valgrind && ctest --output-on-failure -j$(JOBS) $(CTEST_EXCLUDE) $(VALGRIND_TESTS)

test-large: deps
	cmake -S . -B $(B)/asan $(CMAKE_COMMON) -DZR_SANITIZE=ON
	cmake --build $(B)/asan -j$(JOBS)
	cd $(B)/asan && ctest --output-on-failure -L "large"

test-soak: deps
	cmake -S . -B $(B)/release -DCMAKE_BUILD_TYPE=Release
	cmake --build $(B)/release -j$(JOBS)
	cd $(B)/release && ctest --output-on-failure -L "soak"

# libFuzzer targets (clang); FUZZ_SECONDS per target
FUZZ_SECONDS ?= 30
fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B $(B)/fuzz $(CMAKE_COMMON) -DZR_FUZZ=ON -DZR_WERROR=OFF
	cmake --build $(B)/fuzz -j$(JOBS)
	./scripts/run-fuzz.sh $(B)/fuzz $(FUZZ_SECONDS)

fuzz-long:
	$(MAKE) fuzz FUZZ_SECONDS=600

bench: build
	./scripts/run-bench.sh $(B)/release

install: build
	cmake --install $(B)/release $(if $(PREFIX),--prefix $(PREFIX),)

coverage: deps
	cmake -S . -B $(B)/coverage -DCMAKE_BUILD_TYPE=Debug -DZR_COVERAGE=ON -DZR_WERROR=OFF
	cmake --build $(B)/coverage -j$(JOBS)
	find $(B)/coverage -name '*.gcda' -delete
	cd $(B)/coverage && ctest -j$(JOBS) $(CTEST_EXCLUDE) || true
	gcovr -r . --filter src/ $(B)/coverage --print-summary --html-details -o $(B)/coverage/index.html

lint: deps
	cmake -S . -B $(B)/release -DCMAKE_BUILD_TYPE=Release -DZR_BENCH=ON
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --inline-suppr \
	  --suppress=missingIncludeSystem -I include -I src src tools
	clang-tidy -p $(B)/release --quiet $$(find src -name '*.c') 2>/dev/null

format:
	clang-format -i $$(find src include tools tests bench fuzz examples -name '*.[ch]')

docs:
	doxygen docs/Doxyfile

clean:
	rm -rf $(B)
