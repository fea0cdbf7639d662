#!/bin/bash -eu
# OSS-Fuzz build for fedcm-workbench: the same steps as ClusterFuzzLite's,
# from the cloned repository's .clusterfuzzlite/build.sh (one script for
# both: every cargo-fuzz target, its seed corpus zip, the dictionary and the
# .options file into $OUT). fuzz/check-clusterfuzzlite.sh runs this file
# too.
exec bash -eu "$SRC/fedcm-workbench/.clusterfuzzlite/build.sh"
