"""CQL: parser, date functions and evaluation (no server)."""

from __future__ import annotations

import datetime as dt

import pytest

from fixtures.confluence.cql_dates import evaluate_function, parse_literal
from fixtures.confluence.cql_eval import CqlContext, CqlRecord, search
from fixtures.confluence.cql_lexer import CqlError
from fixtures.confluence.cql_parser import And, Clause, Function, Literal, Not, Or, SortKey, parse

UTC = dt.UTC
NOW = dt.datetime(2024, 5, 15, 12, 30, tzinfo=UTC)  # a Wednesday


def rec(id, type="page", title="T", created=None, modified=None, text=None, **kw) -> CqlRecord:
    created = created or dt.datetime(2024, 1, 1, tzinfo=UTC)
    if text is not None:
        kw["text_source"] = lambda: text
    return CqlRecord(id=id, type=type, title=title, created=created, lastmodified=modified or created, **kw)


RECORDS = [
    rec(
        "1",
        title="Engineering Home",
        space_key="ENG",
        text="Engineering Home welcome runbook",
        labels=frozenset({"home"}),
        creator=frozenset({"acc-admin"}),
        created=dt.datetime(2024, 1, 31, 9, 15, tzinfo=UTC),
        modified=dt.datetime(2024, 5, 15, 8, 0, tzinfo=UTC),
    ),
    rec(
        "2",
        title="Deploy Runbook",
        space_key="ENG",
        text="Deploy Runbook kubernetes rollout",
        labels=frozenset({"ops", "secret"}),
        ancestors=("1",),
        parent="1",
        creator=frozenset({"acc-alice"}),
        contributors=frozenset({"acc-bob"}),
        created=dt.datetime(2024, 2, 1, tzinfo=UTC),
        modified=dt.datetime(2024, 5, 14, 11, 0, tzinfo=UTC),
    ),
    rec(
        "3",
        title="Rollout notes",
        space_key="ENG",
        ancestors=("1", "2"),
        parent="2",
        text="Rollout notes",
        created=dt.datetime(2024, 3, 1, tzinfo=UTC),
    ),
    rec(
        "10",
        type="blogpost",
        title="Quarterly update",
        space_key="OPS",
        text="Quarterly update revenue",
        created=dt.datetime(2023, 12, 24, tzinfo=UTC),
    ),
    rec(
        "11",
        type="attachment",
        title="diagram.png",
        space_key="ENG",
        container="2",
        ancestors=("1", "2"),
        text="diagram.png architecture",
    ),
    rec("12", type="comment", title="Re: Deploy Runbook", space_key="ENG", container="2", text="looks good"),
]


def ids(query: str, user: frozenset[str] = frozenset({"acc-admin"})) -> list[str]:
    return [r.id for r in search(parse(query), RECORDS, CqlContext(now=NOW, current_user=user))]


# -- parser ---------------------------------------------------------------------------------


def test_parse_builds_a_tree_with_precedence():
    q = parse("type = page AND space = 'ENG' OR NOT label IN (a, \"b c\") ORDER BY lastmodified desc, title")
    assert isinstance(q.where, Or)
    left, right = q.where.items
    assert isinstance(left, And)
    assert left.items[0] == Clause("type", "=", (Literal("page"),))
    assert left.items[1] == Clause("space", "=", (Literal("ENG", quoted=True),))
    assert isinstance(right, Not)
    assert right.item == Clause("label", "in", (Literal("a"), Literal("b c", quoted=True)))
    assert q.order == (SortKey("lastmodified", True), SortKey("title", False))


def test_parse_aliases_functions_and_case_insensitive_keywords():
    q = parse('content = 5 and space.key in (ENG) and created >= now("-1d") order by ID')
    assert q.where.items[0].field == "id"
    assert q.where.items[1].field == "space"
    assert q.where.items[2].values == (Function("now", ("-1d",)),)
    assert q.order == (SortKey("id", False),)
    assert parse("creator = currentUser()").where.values == (Function("currentuser"),)
    assert parse("order by created").where is None


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("", "empty"),
        ("foo = 1", "unknown field 'foo'"),
        ("text = deploy", "operator '=' is not supported by field 'text'"),
        ("created ~ 2024", "operator '~' is not supported by field 'created'"),
        ("type =", "expected a value"),
        ("type = page and", "expected a field name"),
        ("(type = page", "expected ')'"),
        ("type in (page, blogpost", "closing the IN list"),
        ("type not page", "expected IN after NOT"),
        ('title ~ "unterminated', "unterminated quoted string"),
        ("type = page order title", "expected BY after ORDER"),
        ("type = page order by text", "cannot order by 'text'"),
        ("type = page type = blogpost", "unexpected 'type'"),
        ("created > later()", "unknown function 'later()'"),
        ("label = currentUser()", "cannot be used with field 'label'"),
        ("type = page ; drop", "unexpected character ';'"),
    ],
)
def test_invalid_queries_name_the_problem(query, problem):
    with pytest.raises(CqlError) as err:
        parse(query)
    assert problem in str(err.value)


def test_error_positions_point_at_the_offending_token():
    with pytest.raises(CqlError) as err:
        parse("type = page and bogus = 1")
    assert err.value.position == 16


# -- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "precision"),
    [
        ("2024-01-31", dt.datetime(2024, 1, 31, tzinfo=UTC), "day"),
        ("2024/01/31", dt.datetime(2024, 1, 31, tzinfo=UTC), "day"),
        ("2024-01-31 10:05", dt.datetime(2024, 1, 31, 10, 5, tzinfo=UTC), "minute"),
        ("2024/01/31 10:05", dt.datetime(2024, 1, 31, 10, 5, tzinfo=UTC), "minute"),
    ],
)
def test_date_literals(text, expected, precision):
    assert parse_literal(text) == (expected, precision)


def test_bad_date_literal_is_rejected_with_the_accepted_forms():
    with pytest.raises(CqlError, match="not a valid date"):
        parse_literal("31/01/2024")


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("now", (), NOW),
        ("now", ("-1d",), NOW - dt.timedelta(days=1)),
        ("now", ("2h",), NOW + dt.timedelta(hours=2)),
        ("now", ("-1w 2d",), NOW - dt.timedelta(weeks=1) + dt.timedelta(days=2)),
        ("startofday", (), dt.datetime(2024, 5, 15, tzinfo=UTC)),
        ("startofday", ("-1d",), dt.datetime(2024, 5, 14, tzinfo=UTC)),
        ("startofweek", (), dt.datetime(2024, 5, 13, tzinfo=UTC)),
        ("startofmonth", ("-1M",), dt.datetime(2024, 4, 1, tzinfo=UTC)),
        ("startofyear", (), dt.datetime(2024, 1, 1, tzinfo=UTC)),
        ("endofmonth", (), dt.datetime(2024, 6, 1, tzinfo=UTC) - dt.timedelta(microseconds=1)),
        ("endofyear", (), dt.datetime(2025, 1, 1, tzinfo=UTC) - dt.timedelta(microseconds=1)),
    ],
)
def test_date_functions(name, args, expected):
    assert evaluate_function(name, args, NOW) == expected


def test_bad_increment_is_rejected():
    with pytest.raises(CqlError, match="not a valid increment"):
        evaluate_function("now", ("yesterday",), NOW)


# -- evaluation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("type = page", ["1", "2", "3"]),
        ("type != page", ["10", "11", "12"]),
        ("type in (blogpost, attachment)", ["10", "11"]),
        ("type not in (page, comment, attachment)", ["10"]),
        ("space = eng and type = page", ["1", "2", "3"]),
        ("space.key = OPS", ["10"]),
        ("id = 2 or content = 10", ["2", "10"]),
        ("title = 'deploy runbook'", ["2"]),
        ("title ~ roll*", ["3"]),
        ("title !~ runbook and type = page", ["1", "3"]),
        ("text ~ 'kubernetes rollout'", ["2"]),
        ("text ~ 'kubernetes missing'", []),
        ("text ~ archi?ecture", ["11"]),
        ("label = secret", ["2"]),
        ("label not in (secret)", ["1", "3", "10", "11", "12"]),
        ("ancestor = 1", ["2", "3", "11"]),
        ("parent = 2", ["3"]),
        ("container = 2", ["11", "12"]),
        ("creator = currentUser()", ["1"]),
        ("creator = 'acc-alice'", ["2"]),
        ("contributor = acc-bob", ["2"]),
        ("created = 2024-01-31", ["1"]),
        ("created < '2024-01-01'", ["10"]),
        ("created >= '2024/03/01' and type = page", ["3"]),
        ("lastmodified >= '2024-05-15 08:00'", ["1"]),
        ("lastmodified > now('-2d')", ["1", "2"]),
        ("lastmodified > now('-1d')", ["1"]),
        ("lastmodified >= startOfDay()", ["1"]),
        ("not (type = page or type = comment)", ["10", "11"]),
    ],
)
def test_evaluation(query, expected):
    assert ids(query) == expected


def test_order_by():
    assert ids("type = page order by title") == ["2", "1", "3"]
    assert ids("type = page order by title desc") == ["3", "1", "2"]
    assert ids("space = ENG and type = page order by lastmodified desc") == ["1", "2", "3"]
    assert ids("type in (page, blogpost) order by created asc") == ["10", "1", "2", "3"]


def test_current_user_for_anonymous_matches_nothing():
    assert ids("creator = currentUser()", user=frozenset()) == []


def test_bad_date_in_a_clause_is_reported_when_compiled():
    with pytest.raises(CqlError, match="not a valid date"):
        ids("created > 'tomorrow'")
