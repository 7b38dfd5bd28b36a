"""Tests of segments/selectors/."""
