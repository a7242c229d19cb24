"""Where records live and how they get there: the database or the shared cache
(``records``), encryption at rest (``crypto``), and fewer database round trips
(``round_trips``). Imports nothing of the plugin but its configuration."""
