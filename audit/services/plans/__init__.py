"""Action plans (issue 16): what a weak audit leaves a store to do, and the next visit's check.

- `lifecycle`: a counted audit (called inside the transaction that makes it count: the
  group writer for new audits, `audits.review.approve` for reviewed ones) opens the
  store's plan or adds its failures to it, and verifies the planned behaviours; and the
  steps people take: write what will change, submit, accept, return with a note. Every
  step goes into the plan's history and the owners' activity trail.
- `views`: a plan as the page and the API read it, and the figures of the store page and
  the region comparison (open and overdue plans, verified behaviours, repeat failures).

The rules themselves are pure, in `audit.domain.plans`. Excluding an audit later does not
undo what it opened or verified (the plan keeps its history; a manager can return it).
"""

from audit.services.plans.lifecycle import Counted, accept, counted, give_back, submit, write
from audit.services.plans.views import ItemView, PlanView, StorePlans, plan_page, plans_of

__all__ = [
    "Counted",
    "ItemView",
    "PlanView",
    "StorePlans",
    "accept",
    "counted",
    "give_back",
    "plan_page",
    "plans_of",
    "submit",
    "write",
]
