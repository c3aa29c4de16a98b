"""Citizen accounts: passwords, second factors and signing in."""
