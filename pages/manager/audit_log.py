"""Managers and administrators: every administrator action, who did it and when."""
import streamlit as st

st.title("Audit log")
