#!/usr/bin/env bash
# test/t/tree_levels.sh — the diff/merge model over trees many levels deep, in
# both metarange formats.
#
# Runs test/t/diff_merge_model.py with ranges of about 8 entries
# (pg_lakefs.range_size_bits = 3) and index nodes of about 2 children
# (pg_lakefs.index_node_size_bits = 1): the model's 6,000-path trees have
# hundreds of ranges under index nodes some eight levels deep, so every diff,
# merge, revert and cherry-pick crosses node boundaries at every level, skips
# equal nodes and rewrites the nodes on changed paths. Each commit and merge
# is written in metarange format 1 or 2 at random (LAKEFS_MODEL_FORMATS=1,2):
# format 1 trees (one flat list, as 0.1.0 wrote them) are diffed and merged
# with format 2 trees and checked against the same model. TAP output (the
# model's). LAKEFS_MODEL_STEPS (default 150 here: fewer may draw no
# conflicting merge) and LAKEFS_MODEL_SEED as for the model.
set -u
cd "$(dirname "$0")/../.."
export LAKEFS_MODEL_RANGE_BITS=3 LAKEFS_MODEL_NODE_BITS=1 LAKEFS_MODEL_FORMATS=1,2
export LAKEFS_MODEL_STEPS=${LAKEFS_MODEL_STEPS:-150}
exec /usr/bin/python3 test/t/diff_merge_model.py
