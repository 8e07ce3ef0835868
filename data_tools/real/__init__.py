"""The real annotated corpus's sources: pinned npm template pages and the CSS selectors of their sections.

sources.py loads and checks the list (sections.json, split by package); package.json / package-lock.json pin the pages.
"""
