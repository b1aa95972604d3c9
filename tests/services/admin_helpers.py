"""What several tests of the owners' use cases share: an audit submitted, the trail's kinds."""

from audit.services import audits
from audit.services.company import activity


def submit(db, body, shopper_id):
    submitter = audits.Submitter(db)
    try:
        return audits.submit(db, submitter, audits.Submission.model_validate(body), shopper_id)
    finally:
        submitter.close()


def kinds(db):
    return [e.kind for e in activity.entries(db, activity.Filters())]
