"""The phone system's adapters: the Asterisk AMI listener and the webhook endpoint (``hotline call listen``).

A long-running face like ``mailbox``: it holds the sockets and hands what the PBX says to core's
services (screen pops, call records). It imports only core.
"""
