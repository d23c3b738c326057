"""Who may do what: the Casbin model, need-to-know relations, the one choke point and the access log it writes. Imports casework and records."""
