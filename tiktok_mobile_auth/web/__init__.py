"""Browser-facing views: the server-started OAuth flow (``oauth``: authorize and callback),
the Wagtail admin's TikTok sign-in (``admin_sign_in``), the redirects to the app
(``app_redirects``) and the cookie that binds a sign-in to its browser
(``browser_binding``)."""
