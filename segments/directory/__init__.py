"""The customer directory: customers, the legal entities they act for, and their links."""
