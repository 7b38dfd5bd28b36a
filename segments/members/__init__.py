"""A segment's members: customers (B2C) and customers acting for a legal entity (B2B)."""
