"""The address /admin_received_mail on a freshly started server (see helpdesk/ui/__init__.py); the screen is
in a folder beside this file, registered in helpdesk/ui/navigation.py."""
import helpdesk.ui  # noqa: F401  (switches Streamlit's pages/ folder mode off and starts over)
