"""The GraphQL schema: strawberry types, queries and mutations, one module per area.

Imports authz, casework and records.
"""
