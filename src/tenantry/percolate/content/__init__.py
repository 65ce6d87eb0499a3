"""Percolate content rules that need no HTTP and no database: schema compilation and the post
status life cycle. The v5 endpoints (posts, schemas, metadata) build on these modules."""
