"""The policy engine: pure functions over records (instructions, status, label guard).

Imports records only.
"""
