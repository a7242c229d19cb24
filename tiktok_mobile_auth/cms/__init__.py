"""The Wagtail admin: the settings panel as a configuration source (``panel``) and its form
(``forms``), the "TikTok users" listing and account page (``views``), and the audit-logged
actions (``actions``)."""
