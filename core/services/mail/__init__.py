"""Mail in core: incoming mail into tickets, exactly once, and the outbox's delivery bookkeeping.

The mailbox face (``hotline.mailbox``) speaks IMAP and SMTP and converts raw bytes; every decision and
every write is here, one module each:

- ``incoming``: what the intake takes (``IncomingMail``, ``MailboxRef``, ``BounceOf``), plain data, no
  database.
- ``intake``: ``take_in``, one message in its own savepoint; the outcomes (``IntakeOutcome``).
- ``duplicates``: whether a message was taken in before (UID, or Message-ID with the same content
  digest), and the processed record.
- ``threads``: which ticket a message answers (Message-IDs of our events and outbox, the ``[#N]`` tag).
- ``senders``: the sender's address, the client it belongs to, a new client for a person.
- ``acknowledgement``: whether a new ticket is acknowledged (``decide_acknowledgement``), and the mail.
- ``message_event``: the message as a line of the ticket's chronology, with its attachments.
- ``failed``: messages that could not be taken in, kept whole.
- ``account_state``: where each account's poll got to (UIDVALIDITY, last UID).
- ``delivery``: the outbox as the SMTP sender works through it (claim, sent, retry, failed, the files
  that go out with a reply) and bounces of it (``record_bounce``, the row a bounce names).
- ``sending``: which account a reply goes out from (refused when none can send it), the files it
  carries (``OutgoingFile``) and the outgoing size limit (``MailSending``, built from the settings).

Queueing outbound mail is ``hotline.core.services.outbox`` (replies, notices and acknowledgements).
"""
