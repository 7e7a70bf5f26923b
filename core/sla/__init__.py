"""Service levels: business calendars, business-time arithmetic, SLA policies and their configuration."""
