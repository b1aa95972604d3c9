"""Telling people (issue 16): an in-app list of notifications and mail, with retries.

- `inbox`: a notification told inside the caller's transaction, each event once per person
  (a unique key per event and person); the in-app list, the unread count, mark all read.
- `plan_news`: who is told what of an action plan (called by `plans.lifecycle` in the step's
  own transaction); `overdue`: the plans that have become overdue (found by the clock).
- `delivery`: the mail of pending notifications through the AUDIT_SMTP_* settings: claimed
  first, retried with growing waits, never lost (at least once).
- `digest`: the weekly digest per manager (`audit digest send`), once per manager and week.
- `clock`: the one long-lived process that runs all of it on time (`audit clock`).

Only `inbox` is imported here: `plans.lifecycle` imports this package, and the digest
reads the plans' figures, so the heavier modules are imported by their full name.
"""

from audit.services.notifications.inbox import Inbox, News, Notice, inbox, mark_all_read, tell, unread

__all__ = ["Inbox", "News", "Notice", "inbox", "mark_all_read", "tell", "unread"]
