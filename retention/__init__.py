"""The retention job (a later issue): schedule, holds, archive, destroy, certificates.

Imports authz, casework and records.
"""
