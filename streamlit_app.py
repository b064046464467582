"""Customer Care Registry: `streamlit run streamlit_app.py`.

Streamlit reads this file twice over. `streamlit run` finds the `app` below (st.App) and serves
it with uvicorn: this script, with the routes that set and clear the sign-in cookie
(helpdesk/ui/session_routes.py) and the headers every response carries (helpdesk/ui/http_headers.py).
Each click then runs this file as the script (`__main__`): sign-in and role-based navigation
(helpdesk/ui/navigation.py). Nothing else lives here."""
import streamlit as st

if __name__ == "__main__":
    from helpdesk.ui.navigation import navigate

    navigate()
else:
    from starlette.middleware import Middleware

    from helpdesk.ui.http_headers import SecurityHeaders
    from helpdesk.ui.session_routes import ROUTES

    app = st.App(__file__, routes=ROUTES, middleware=[Middleware(SecurityHeaders)])
