"""Visits: which shopper goes to which store, with which checklist, when (`assignments`:
planning, the rotation rule, cancelling, and the one audit a planned visit takes)."""
