"""The phone system's words, without the network: CDR files, AMI messages and events, webhook payloads.

The adapters that hold sockets live in the ``pbx`` face; what they read is turned into ``CallFacts``
here, so it is tested without a PBX.
"""
