"""Workflow mutations, one module per mutation (Saleor style): each names its operation, asks
the gate, validates its input and calls one step function in casework."""
