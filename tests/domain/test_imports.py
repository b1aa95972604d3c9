from datetime import date

from audit.domain import imports


def test_a_store_file_from_a_spreadsheet_reads_with_its_bom_semicolons_and_blank_lines():
    text = "\ufeffStore code;Name;Region code;Address;Time zone\r\nnth-010;Harrogate;nth;1 Parade;Europe/London\r\n\r\n"
    rows, problems = imports.store_rows(text)
    assert problems == []
    assert rows == [imports.StoreRow(2, "NTH-010", "Harrogate", "NTH", "1 Parade", "Europe/London")]


def test_every_bad_store_line_is_named_with_its_number_and_reason():
    text = "code,name,region,address,timezone\nA-1,Leeds,NTH,,\nbad code,,NTH,,Mars/Base\nA-1,York,NTH,,\n"
    _, problems = imports.store_rows(text)
    assert [(p.line, p.message) for p in problems] == [
        (3, "store code 'BAD CODE' must be 1 to 32 capital letters, digits and hyphens"),
        (3, "the name is empty"),
        (3, "time zone 'Mars/Base' is not known (write it like Europe/London)"),
        (4, "store A-1 is already on line 2"),
    ]


def test_a_file_without_the_needed_columns_says_which_are_missing():
    _, problems = imports.store_rows("code,title\nA,B\n")
    assert problems[0].line == 1 and "missing name, region" in problems[0].message


def test_an_empty_file_is_refused():
    assert imports.store_rows("")[1][0].message.startswith("the file is empty")
    assert imports.store_rows("code,name,region\n")[1][0].message == "the file has a header but no rows"


def test_visit_rows_are_typed_and_bad_dates_named():
    text = (
        "shopper,store,checklist,from,to\nA@B.CO,nth-1,customer-service,2026-12-01,2026-12-03\nx,N,c,1/12,2026-12-01\n"
    )
    rows, problems = imports.visit_rows(text)
    assert rows == [imports.VisitRow(2, "a@b.co", "NTH-1", "customer-service", date(2026, 12, 1), date(2026, 12, 3))]
    assert [p.line for p in problems] == [3, 3] and "not a date" in problems[1].message
