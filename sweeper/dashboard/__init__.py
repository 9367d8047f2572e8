"""The live web view of every study in a storage: `sweeper dashboard`."""

from sweeper.dashboard.app import create_app

__all__ = ["create_app"]
