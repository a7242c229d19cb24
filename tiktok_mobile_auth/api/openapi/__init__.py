"""The plugin's OpenAPI 3 document: the view that serves it (``view``), its parts
(``components``), each endpoint's operation (``operations``) and drf-spectacular's
settings (``settings``)."""
