"""The resource engine: declarations in, Orion's whole route set out (see ``declaration``)."""
