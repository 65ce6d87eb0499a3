"""The v5 conventions, built once: typed ids, parameters, envelopes, includes, routes."""
