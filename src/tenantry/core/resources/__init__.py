"""The resource floor both API faces stand on: running statements, parameters, tenant-scoped
selects, paging and side-loading. Vendor-neutral: each face keeps only its dialect."""
