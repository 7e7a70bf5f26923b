"""The lookup, keystroke by keystroke, through a real PgBouncer in transaction mode (see
``tests.core.through_pgbouncer``): the same answers as straight to the server; and the lookup, the card
and the call log in as few round trips as there (each ``BEGIN`` in the flight of its first statement).
"""

from tests.core.search.test_card_and_call_round_trips import (  # noqa: F401 - run through PgBouncer
    olga,
    organisation,
    test_a_call_log_is_two_statements_and_three_round_trips,
    test_a_card_is_one_statement_and_two_round_trips,
)
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
from tests.core.search.test_lookup_round_trips import (  # noqa: F401 - run through PgBouncer
    test_a_one_word_lookup_is_two_round_trips,
    test_a_two_word_lookup_adds_only_the_full_text_match,
)
from tests.core.through_pgbouncer import backend, bouncer, database_url, engine  # noqa: F401
