"""Imports through a real PgBouncer in transaction mode (see ``tests.core.through_pgbouncer``)."""

from tests.core.importing.test_service import (  # noqa: F401 - run through PgBouncer
    test_duplicates_against_the_database,
    test_import_creates_clients_contacts_groups_and_organisations,
    test_one_invalid_row_means_nothing_is_written_and_every_error_is_listed,
    test_several_batches_and_the_progress_callback,
    test_the_lookup_index_knows_the_imported_clients,
)
from tests.core.through_pgbouncer import backend, bouncer, database_url, engine  # noqa: F401
