"""The lookup, keystroke by keystroke, through a real PgBouncer in transaction mode (see
``tests.core.through_pgbouncer``): the same answers as straight to the server."""

from tests.core.search.test_lookup_engine import (  # noqa: F401 - run through PgBouncer
    people,
    test_email_fragments,
    test_exact_phone_ranks_first_then_suffix_then_contains,
    test_names_any_order_and_case_with_folding,
    test_one_typo_in_a_long_word,
    test_phone_typed_any_way,
    test_rename_delete_and_new_phone_are_seen_at_once,
    test_ticket_number,
    test_transliteration_both_ways,
)
from tests.core.through_pgbouncer import backend, bouncer, database_url, engine  # noqa: F401
