"""Demo data for the quick start (``make run`` → ``manage.py seed_demo``): accounts, then a
world of programmes and dossiers in every state, through the services and the builders the
test suite uses too."""

from .accounts import DEMO_PROVINCES, DemoAccount, seed_accounts
from .world import seed_data

__all__ = ["DEMO_PROVINCES", "DemoAccount", "seed_accounts", "seed_data"]
