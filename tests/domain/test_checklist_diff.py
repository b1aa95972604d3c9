"""What changed between two versions of a checklist: a pure function on two specs."""

from audit.domain.checklist import parse
from audit.domain.checklist_diff import bands_text, changes

OLD = """
key = "visit"
title = "Visit"
[[sections]]
key = "arrival"
title = "Arrival"
[[sections.items]]
key = "greeted"
question = "Were you greeted?"
guidance = "Spoken words."
type = "yesno"
points = 2
[[sections.items]]
key = "wait"
question = "Seconds before anyone noticed you?"
guidance = "Count."
type = "number"
unit = "seconds"
points = 3
bands = [{ upto = 30, points = 3 }, { upto = 60, points = 1.5 }, { points = 0 }]
[[sections.items]]
key = "dropped"
question = "Was the floor clean?"
guidance = "Look."
type = "yesno"
points = 1
[[sections]]
key = "service"
title = "Service"
[[sections.items]]
key = "resolution"
question = "How was your problem dealt with?"
guidance = "N/A without a complaint."
type = "choice"
points = 3
allow_na = true
options = [
  { key = "resolved", label = "Resolved", points = 3 },
  { key = "next", label = "Next step", points = 2 },
  { key = "neither", label = "Neither", points = 0 },
]
[[sections.items]]
key = "tone"
question = "Tone of voice?"
guidance = "The whole visit."
type = "scale"
points = 2
max = 5
[[sections]]
key = "close"
title = "Close"
[[sections.items]]
key = "thanked"
question = "Were you thanked?"
guidance = "Any thanks."
type = "yesno"
points = 1
"""


def edited(text: str, *pairs: tuple[str, str]) -> str:
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def test_the_same_content_has_no_changes():
    spec = parse(OLD)
    found = changes(spec, parse(OLD.replace("Spoken words.", "Spoken words.  ")))
    assert found.none and found.summary() == ""


def test_each_kind_of_change_is_named():
    new = edited(
        OLD,
        ('question = "Were you greeted?"', 'question = "Were you greeted warmly?"'),  # reworded
        ('guidance = "Count."', 'guidance = "Count from the door."'),  # reworded (guidance)
        ("{ upto = 60, points = 1.5 }", "{ upto = 90, points = 1.5 }"),  # re-weighted (bands)
        ("points = 3\nallow_na = true\noptions = [", "points = 3\ncritical = true\noptions = ["),  # n/a off, critical
        (
            '[[sections.items]]\nkey = "dropped"\nquestion = "Was the floor clean?"\n'
            'guidance = "Look."\ntype = "yesno"\npoints = 1\n',
            "",
        ),
        (
            '{ key = "next", label = "Next step", points = 2 }',
            '{ key = "next", label = "A clear next step", points = 1 }',
        ),
        ('type = "scale"\npoints = 2\nmax = 5', 'type = "scale"\npoints = 4\nmin = 0\nmax = 5'),
        ('title = "Service"', 'title = "Service and help"'),
        ('[[sections]]\nkey = "close"\ntitle = "Close"', '[[sections]]\nkey = "goodbye"\ntitle = "Goodbye"'),
        ('key = "thanked"', 'key = "thanked_by_name"'),
    )
    new += """
[[sections.items]]
key = "eye_contact"
question = "Did staff make eye contact?"
guidance = "At least once."
type = "yesno"
points = 2
critical = true
"""
    found = changes(parse(OLD), parse(new))
    assert [(c.key, c.details) for c in found.items_added] == [
        ("thanked_by_name", ("1 point",)),
        ("eye_contact", ("2 points", "critical")),
    ]
    assert [(c.key, c.section) for c in found.items_removed] == [("dropped", "Arrival"), ("thanked", "Close")]
    assert [(c.key, c.question, c.details) for c in found.items_reworded] == [
        ("greeted", "Were you greeted warmly?", ("question was: Were you greeted?",)),
        ("wait", "Seconds before anyone noticed you?", ("guidance was: Count.",)),
        ("resolution", "How was your problem dealt with?", ("option A clear next step was Next step",)),
    ]
    assert {c.key: c.details for c in found.items_reweighted} == {
        "wait": (
            "bands were up to 30 seconds: 3, up to 60: 1.5, above 60: 0; "
            "now up to 30 seconds: 3, up to 90: 1.5, above 90: 0",
        ),
        "resolution": ("now critical", "N/A no longer allowed", "option A clear next step 2 → 1"),
        "tone": ("points 2 → 4", "scale 1–5 → 0–5"),
    }
    assert [c.section for c in found.items_reweighted] == ["Arrival", "Service and help", "Service and help"]
    assert [(s.key, s.title) for s in found.sections_added] == [("goodbye", "Goodbye")]
    assert [(s.key, s.title) for s in found.sections_removed] == [("close", "Close")]
    assert [(s.title, s.old_title) for s in found.sections_renamed] == [("Service and help", "Service")]
    assert found.items_moved == () and found.checklist == ()
    assert (
        found.summary()
        == "2 items added, 2 removed, 3 reworded, 3 re-weighted, 1 section added, 1 section removed, 1 section renamed"
    )


def test_points_and_rules_of_a_kept_item():
    new = edited(
        OLD,
        (
            'key = "greeted"\nquestion = "Were you greeted?"\nguidance = "Spoken words."\ntype = "yesno"\npoints = 2',
            'key = "greeted"\nquestion = "Were you greeted?"\nguidance = "Spoken words."\ntype = "yesno"\npoints = 1\n'
            "allow_na = true\nrequired = false",
        ),
    )
    (change,) = changes(parse(OLD), parse(new)).items_reweighted
    assert change.details == ("points 2 → 1", "N/A now allowed", "now optional")
    back = changes(parse(new), parse(OLD)).items_reweighted[0]
    assert back.details == ("points 1 → 2", "N/A no longer allowed", "now required")


THANKED = 'key = "thanked"\nquestion = "Were you thanked?"\nguidance = "Any thanks."\ntype = "yesno"\npoints = 1\n'


def test_options_added_and_removed_and_a_moved_item_and_the_checklist_itself():
    new = edited(
        OLD,
        ('title = "Visit"', 'title = "Store visit"\nplan_threshold = 60'),
        ('{ key = "neither", label = "Neither", points = 0 },', '{ key = "refused", label = "Refused", points = 0 },'),
        ('[[sections]]\nkey = "close"\ntitle = "Close"\n[[sections.items]]\n' + THANKED, ""),
        ('[[sections]]\nkey = "service"', "[[sections.items]]\n" + THANKED + '[[sections]]\nkey = "service"'),
    )
    found = changes(parse(OLD), parse(new))
    assert found.items_reweighted[0].details == ("option Refused added (0 points)", "option Neither removed")
    assert [(c.key, c.details) for c in found.items_moved] == [("thanked", ("moved from Close to Arrival",))]
    assert found.checklist == ("title was “Visit”", "action plans below 70 % → below 60 %")
    assert [s.key for s in found.sections_removed] == ["close"]
    assert found.summary() == "1 item re-weighted, 1 moved, 1 section removed"


def test_order_and_descriptions():
    swapped = edited(
        OLD,
        (
            '[[sections]]\nkey = "arrival"\ntitle = "Arrival"',
            '[[sections]]\nkey = "arrival"\ntitle = "Arrival"\ndescription = "From the door."',
        ),
    )
    found = changes(parse(OLD), parse(swapped))
    assert found.checklist == ("section Arrival: description changed",)
    assert found.summary() == "section Arrival: description changed"


def test_bands_read_as_an_owner_says_them():
    spec = parse(OLD)
    assert bands_text(spec.item("wait")) == "up to 30 seconds: 3, up to 60: 1.5, above 60: 0"
