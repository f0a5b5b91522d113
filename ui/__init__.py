"""The only Streamlit-aware helpers: cached data access, shared filters and widgets."""
