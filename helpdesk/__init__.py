"""Customer Care Registry: an open-source helpdesk.

Importable without Streamlit (except ``helpdesk.ui``): the CLI, the mail worker,
the tests and the benchmarks use the same services as the pages.
"""
