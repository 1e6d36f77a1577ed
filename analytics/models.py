# Snapshot tables written by the nightly rollup arrive with the analytics issue.
