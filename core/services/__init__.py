"""Every change of data: one function per operation, keyword-only, taking the unit of work first.

Each validates, writes and records an audit entry; none commits (the caller's unit of work does).
"""
