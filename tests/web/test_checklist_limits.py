"""Limits on checklists through the owners' upload page: a huge file answers with its
mistakes in a page of ordinary size, never a page of megabytes or a 500."""

import re

from audit.domain import checklist
from audit.storage import models
from tests import actors
from tests.domain.test_checklist import at_the_limits, toml_of


def huge(items: int) -> str:
    """A file of `items` items in one section, written as tightly as TOML allows (under 1 MB)."""
    lines = ['key = "huge"', 'title = "Huge"', "[[sections]]", 'key = "all"', 'title = "All"', "items = ["]
    lines.append('{key="scored",question="Q",guidance="g",type="yesno",points=1},')
    lines += [f'{{key="p{n}",question="Q",guidance="g",type="photo"}},' for n in range(1, items)]
    lines.append("]")
    return "\n".join(lines) + "\n"


def test_a_file_of_sixteen_thousand_items_answers_with_its_mistakes(client, org):
    source = huge(16_000).encode()
    assert len(source) < 1_000_000  # within the upload limit: the checklist's limits are what refuse it
    before = actors.count(client.app.state.db, models.ChecklistVersion)
    response = client.post("/admin/checklists/preview", files={"file": ("huge.toml", source, "text/plain")})
    assert response.status_code == 422
    assert len(response.content) < 100_000
    assert "<strong>checklist</strong>: has 16000 items; the limit is 300 items in a checklist" in response.text
    assert (
        "<strong>section &#39;all&#39;</strong>: has 16000 items; the limit is 100 items in a section" in response.text
    )
    assert "Q" * 2 not in response.text and "p15999" not in response.text
    published = client.post("/admin/checklists/publish", files={"source": (None, source), "filename": (None, "h")})
    assert published.status_code == 422 and "the limit is 300 items" in published.text
    assert actors.count(client.app.state.db, models.ChecklistVersion) == before


def test_a_file_whose_every_item_is_wrong_lists_a_hundred_mistakes_and_counts_the_rest(client, org):
    source = huge(5_000).replace('guidance="g",', "").encode()
    response = client.post("/admin/checklists/preview", files={"file": ("huge.toml", source, "text/plain")})
    assert response.status_code == 422
    assert len(response.content) < 100_000
    assert len(re.findall(r"guidance is missing or empty", response.text)) == checklist.MAX_PROBLEMS - 2
    assert "and 4902 more problem(s) not listed" in response.text


def test_a_checklist_at_every_limit_previews_whole_in_a_page_of_bounded_size(client, org):
    data = at_the_limits()
    for section in data["sections"]:
        for item in section["items"]:
            item["question"] = "Q" * checklist.MAX_QUESTION
            item["guidance"] = "G" * checklist.MAX_GUIDANCE
    source = toml_of(data).encode()
    response = client.post("/admin/checklists/preview", files={"file": ("big.toml", source, "text/plain")})
    assert response.status_code == 200, response.text[:2000]
    # every item shown twice: in the table of points and rules, and in the shopper's form
    assert response.text.count(">" + "Q" * checklist.MAX_QUESTION) == 2 * checklist.MAX_ITEMS
    assert len(response.content) < 2_000_000  # about 1.2 MB: each of the 300 items, the source beside them
