"""The dj-rest-auth + django-allauth peer: the same returning-user sign-in, the way a Django
engineer would build it without this plugin (``make bench-sqlite`` compares the two)."""
