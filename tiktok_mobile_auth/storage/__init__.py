"""Where records live and how they get there: the database or the shared cache
(``records``), encryption at rest (``crypto``), no pooled connection held while waiting on
TikTok (``round_trips``), and every use of a library's private API (``internals``). Imports
nothing of the plugin but its configuration."""
