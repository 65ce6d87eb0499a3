"""Moving one tenant between installations: ``tenantry tenant export`` and ``tenant import``.

An archive holds every row of every tenant table (found from the models' metadata), the
stored files those rows name, and a manifest with the schema revision, counts and checksums.
"""
