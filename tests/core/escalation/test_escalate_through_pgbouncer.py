"""Escalation through a real PgBouncer in transaction mode (see ``tests.core.through_pgbouncer``):
concurrent runs still apply each step once (their row claims are transaction-scoped)."""

from tests.core.escalation.test_escalate import (  # noqa: F401 - run through PgBouncer
    test_a_run_overlapping_an_uncommitted_one_waits_and_applies_nothing_twice,
    test_concurrent_runs_apply_each_step_once,
    test_first_response_overdue_applies_all_actions_once,
    test_levels_warn_escalate_again,
    world,
)
from tests.core.through_pgbouncer import backend, bouncer, database_url, engine  # noqa: F401
