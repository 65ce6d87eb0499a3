"""Tenantry: one multi-tenant server for the PERSCOM.io v1 and Percolate v5 APIs."""

__version__ = "0.1.0"
