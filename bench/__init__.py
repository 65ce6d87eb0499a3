"""Load benchmarks: Tenantry against a bare floor app, on loopback, with wrk (DESIGN.md §10).

``python -m bench.run`` (``make bench``) builds the data set, starts both servers, drives them
with wrk and rewrites ``bench/RESULTS.md``. See ``bench/README.md`` for how to add scenarios and
data generator steps.
"""
