"""Who may do what: Casbin model, need-to-know, the one choke point, the access log.

Imports casework and records.
"""
