"""Headers every HTTP response of the app carries, added by the web server (streamlit_app.py).

`X-Content-Type-Options: nosniff`: a browser takes the content type it is given and never
guesses another. An attachment uploaded as text/plain but full of HTML then stays text, in
the helpdesk's own origin, whatever a customer put in it (Streamlit's media route sets a type
but not this header).

`Referrer-Policy: same-origin`: a page opened from a mailed one-time link (/reset_password?token=,
/rate?token=) never hands that address to another site whose link is followed from it."""
from __future__ import annotations

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = ((b"x-content-type-options", b"nosniff"),
                                                     (b"referrer-policy", b"same-origin"))


class SecurityHeaders:
    """Plain ASGI middleware (not BaseHTTPMiddleware, which buffers streamed and ranged
    responses): adds SECURITY_HEADERS to the start of each HTTP response, leaving websockets
    alone."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _value in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *((name, value) for name, value in SECURITY_HEADERS if name not in present)]
            await send(message)

        await self.app(scope, receive, send_with_headers)
