"""What a case record is: models, sessions, migrations, encryption, blind indexes, keys.

Imports nothing of the project.
"""
