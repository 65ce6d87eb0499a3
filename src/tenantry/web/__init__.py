"""Server-rendered web pages (Jinja2) and the assets they ship with."""
