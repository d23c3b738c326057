"""The policy engine: pure functions over records (arrangements, handling instructions, the label guard). Imports records only."""
