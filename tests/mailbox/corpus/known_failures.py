"""Corpus checks the current code fails: strict xfails, so the fix flips them (and must remove them).

Keyed by (message id, aspect). A reason names the item of issue 14 that covers it; "beyond issue 14"
marks a real defect that none of its items names (reported, not hidden).
"""

from __future__ import annotations

_BOUNCE = "issue 14 item 5: a bounce without a standard DSN (or with extra signals) is not read as a bounce"

KNOWN_FAILURES: dict[tuple[str, str], str] = {
    # item 5: bounces
    ("flufl.bounce/tests/data/bounce_02.txt", "kind"): _BOUNCE
    + ": 'Returned Mail' from E500_SMTP_Mail_Service",
    ("flufl.bounce/tests/data/microsoft_03.txt", "kind"): _BOUNCE
    + ": a Non-Delivery report with list headers reads as bulk",
    ("flufl.bounce/tests/data/simple_15.txt", "kind"): _BOUNCE + ": InterScan 'Mail could not be delivered'",
    ("flufl.bounce/tests/data/simple_20.txt", "kind"): _BOUNCE + ": '(delivery failed)' in a folded subject",
    ("flufl.bounce/tests/data/simple_22.txt", "kind"): _BOUNCE
    + ": an antivirus gateway's 'Delivery failure notification'",
    ("flufl.bounce/tests/data/simple_30.txt", "kind"): _BOUNCE + ": multipart/report without report-type",
    ("flufl.bounce/tests/data/simple_32.txt", "kind"): _BOUNCE + ": multipart/report without report-type",
    ("flufl.bounce/tests/data/simple_33.txt", "kind"): _BOUNCE + ": multipart/report without report-type",
    ("flufl.bounce/tests/data/simple_35.txt", "kind"): _BOUNCE
    + ": 'Mail Delivery Warning' from a mangled postmaster address",
    ("flufl.bounce/tests/data/simple_36.txt", "kind"): _BOUNCE
    + ": 'Delivery Failure' from \"System Administrator\"@",
    ("flufl.bounce/tests/data/simple_41.txt", "kind"): _BOUNCE
    + ": MailEnable's 'Message Delivery Failure' with Auto-Submitted reads as an auto-reply",
    ("flufl.bounce/tests/data/simple_43.txt", "kind"): _BOUNCE + ": 'Mail delivery failed' from ndr@",
    # beyond issue 14
    ("pymilter/test/virus5.out", "attachments"): (
        "beyond issue 14: a Content-Type folded over other headers hides the boundary from compat32's "
        "parameter parser; the whole MIME source is shown as the body and the attachment is lost"
    ),
    ("bounced/src/bounced/tests/bounce_email/bounces/bounce-auto-respond.eml", "kind"): (
        "beyond issue 14: an abuse feedback report (multipart/report; report-type=feedback-report) reads as a person"
    ),
    ("bounced/src/bounced/tests/bounce_email/non_bounces/tt_1234210666.eml", "kind"): (
        "beyond issue 14: an auto-reply known only by its (Latvian) subject reads as a person"
    ),
}
