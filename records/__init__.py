"""What a case record is: models, sessions, migrations, envelope encryption, blind indexes and the key store. Imports nothing of the project."""
