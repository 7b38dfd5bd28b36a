"""The demo shop of `manage.py load_demo`: what tenant `demo` holds, loaded in small steps.

Each module holds one kind of demo data and the steps that load it through the apps'
services (the same ones the API calls), so a re-run finds everything as it is and writes
nothing: no new versions, no audit entries, no change events.
"""
