# Sourced by scripts/sanitize and scripts/fuzz: both use one sanitized build, build-asan
# (clang-14, ASan+UBSan, -O1 with line tables, plus the libFuzzer targets), so the libraries
# are compiled once for the sanitized tests and the fuzzers.

configure_asan_build() {
  # A folder configured with another compiler (an older layout) cannot be reconfigured.
  if [[ -f build-asan/CMakeCache.txt ]] &&
      ! grep -q '^CMAKE_CXX_COMPILER:.*clang++-14' build-asan/CMakeCache.txt; then
    rm -rf build-asan
  fi
  CC=clang-14 CXX=clang++-14 cmake -S . -B build-asan -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DCHAT_SANITIZE=address,undefined -DCHAT_FUZZ=ON >/dev/null
}
