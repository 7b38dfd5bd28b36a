"""The segments app's documents as the API speaks them: query fields, validation of write
documents and rendering, per resource: `segments`, `items` (item assignments), `members`
(customer assignments) and `directory` (customers and legal entities)."""
