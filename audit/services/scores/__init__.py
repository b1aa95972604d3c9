"""Scores, aggregated by the database over the scores stored with each audit, and the
views that pages, JSON, CSV and PDFs all read: regions and the company (`totals`), a
region's branches and its behaviours heatmap (`comparison`), one store over a period
(`stores`), what a store should work on, with the checklist's guidance (`coaching`),
rows for spreadsheets (`exports`)."""
