"""Products and categories given to a segment's members: the segment's item assignments."""
