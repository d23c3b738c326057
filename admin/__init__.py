"""The sqladmin panel (a later issue).

Imports authz, casework and records.
"""
