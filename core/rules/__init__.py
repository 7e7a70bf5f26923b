"""Event rules: on ticket.created, ticket.updated, mail.received, call.logged or client.created, when
the conditions hold, do the actions (``config``: the ``[[rules]]`` of the file; ``book``: the rules of a
process; ``engine``: evaluating them inside the event's unit of work; ``actions``; ``explain``)."""
