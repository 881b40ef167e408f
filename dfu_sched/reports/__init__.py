"""Outputs people and machines read: run folders (JSON/CSV), tables, HTML, spreadsheets."""
