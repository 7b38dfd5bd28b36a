"""Tests of segments/services/."""
