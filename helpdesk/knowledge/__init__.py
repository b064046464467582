"""The help center: guideline articles, their search, the help assistant, and what they count."""
