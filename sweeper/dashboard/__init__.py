"""The live web view of every study in a storage: `sweeper dashboard` (app.py serves it)."""
