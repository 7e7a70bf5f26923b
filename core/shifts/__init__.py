"""Who works when: whether an operator is on shift (``schedule``: weekly patterns, overnight shifts,
exceptions) and routing among a queue's members on shift now (``routing``). The roster's operations
are ``hotline.core.services.shifts``."""
