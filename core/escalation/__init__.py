"""Escalation: rules whose conditions select tickets in SQL, actions applied set-wise, each step once."""
