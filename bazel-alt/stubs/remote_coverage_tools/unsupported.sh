#!/bin/sh
echo "bazel-alt: coverage is not available offline; use the CMake build for coverage" >&2
exit 1
