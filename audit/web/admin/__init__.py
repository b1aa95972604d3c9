"""The owners' administration pages: stores, people, checklists, visits and the activity trail.

One module per concept, each thin: parse the form, call one use case, render. The helpers
in `forms` give every form the same behaviour: errors beside the field, what was typed
kept, and a confirmation step before anything destructive.
"""
