"""An audit's life: submitted once (checked, scored, stored), read, reviewed, excluded,
with its photos and the saved files of phones that could not upload.

- `submission`: the one use case that stores an audit, with every rule inside it
  (`submit_waiting` on an event loop, `submit` for callers that may block).
- `reading`: the stored audit as the API, the page and the PDF read it; a shopper's list.
- `review`: approve, send back, resubmit; the audit's history.
- `exclusion`: out of every total (or back in), with who and why.
- `photos`: uploads checked, re-encoded and stored ahead of their audit.
- `saved_files`: audits a phone saved to a file, brought in by an owner.
"""

from audit.services.audits.exclusion import set_excluded
from audit.services.audits.reading import (
    AnswerOut,
    AuditLine,
    AuditOut,
    AuditView,
    PhotoFile,
    SectionOut,
    for_shopper,
    get,
    get_with_store_name,
    photo,
    photo_ids,
    view,
)
from audit.services.audits.submission import (
    AnswerIn,
    Outcome,
    Prepared,
    Submission,
    Submitter,
    complete,
    prepare,
    raise_for,
    reads_back,
    submit,
    submit_waiting,
)

__all__ = [
    "AnswerIn",
    "AnswerOut",
    "AuditLine",
    "AuditOut",
    "AuditView",
    "Outcome",
    "PhotoFile",
    "Prepared",
    "SectionOut",
    "Submission",
    "Submitter",
    "complete",
    "for_shopper",
    "get",
    "get_with_store_name",
    "photo",
    "photo_ids",
    "prepare",
    "raise_for",
    "reads_back",
    "set_excluded",
    "submit",
    "submit_waiting",
    "view",
]
