"""CrowdPulse core: storage, imports, metrics and reports, with no Streamlit imports."""
