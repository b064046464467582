"""Small Streamlit helpers shared by the pages (the only Streamlit code inside helpdesk/)."""
