"""Schema definitions, their JSON Schema, and the values they accept (reference §3.12).

Every field type gets its seed example and its edge cases accepted unchanged, and each
malformed shape refused with an error whose key is the path of the offending value.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tenantry.core.errors import FieldError, ValidationFailed
from tenantry.percolate.schema.compile import CompiledSchemaCache, compile_schema
from tenantry.percolate.schema.definition import FIELD_TYPES, SchemaDefinition, parse_definition
from tenantry.percolate.schema.references import (
    Reference,
    collect_references,
    missing_reference_errors,
    references_by_kind,
)
from tenantry.percolate.schema.validate import (
    MAX_VALUE_CHARS,
    MAX_VALUE_DEPTH,
    MAX_VALUE_NODES,
    validate_values,
)

CHOICES = {"values": [{"value": "radio_1", "label": "One"}, {"value": False, "label": "No"}]}
BOXES = {"values": [{"value": "checkbox 1"}, {"value": "checkbox 2"}, {"value": 3}]}

# type -> (ext, values the field accepts unchanged). The first value is the seed's example.
VALID: dict[str, tuple[dict[str, Any] | None, list[Any]]] = {
    "asset": ({"limit": 2}, [["asset:1"], ["asset:1", "asset:2"], [["asset:1", "asset:2"]], []]),
    "currency": (
        None,
        [{"currency": "USD", "amount": "20.0000"}, {"currency": "EUR", "amount": "-2"}],
    ),
    "date-range": (
        None,
        [{"from": "2014-12-25", "to": "2014-12-31"}, {"from": "2016-02-29", "to": "2016-02-29"}],
    ),
    "date": (
        None,
        ["2014-04-30T20:32:18+00:00", "2014-04-30T20:32:18Z", "2014-04-30T20:32:18.5-05:00"],
    ),
    "email": (None, ["example@percolate.com", "first.last+tag@sub.example.org"]),
    "html": ({"max_length": 30}, ["<b>hello world</b>", ""]),
    "hidden": (None, ["string data", ""]),
    "link": ({"limit": 1}, [["link:1"], []]),
    "multi-select": ({**BOXES, "limit": 2}, [["checkbox 1", "checkbox 2"], [3], []]),
    "number": (None, [9, 100.25, 0.091231, -3, 0]),
    "select": (CHOICES, ["radio_1", False]),
    "string-array": (None, [["hello", "24", "I'm another thing"], []]),
    "term": (None, [["term:XTN123", "term:XTN456"], []]),
    "text": ({"max_length": 11}, ["hello world", ""]),
    "textarea": ({"max_length": 140}, ["hello\nworld", ""]),
    "object-array": (
        None,
        [[{"body": "hello\nworld", "age": 18}, {"body": "hi\nthere", "age": 21}], []],
    ),
    "post_attachment": (None, [["post_attachment:1"], []]),
}

# type -> (ext, [(value, path of the error below $.ext.f)])
INVALID: dict[str, tuple[dict[str, Any] | None, list[tuple[Any, str]]]] = {
    "asset": (
        {"limit": 2},
        [
            ("asset:1", ""),
            (["asset:1", "asset:2", "asset:3"], ""),
            (["image:1"], "[0]"),
            (["asset:1", 7], "[1]"),
            ([["asset:1", "asset:x"]], "[0][1]"),
            ([["asset:1", "asset:2", "asset:3"]], "[0]"),
        ],
    ),
    "currency": (
        None,
        [
            ("20 USD", ""),
            ({"currency": "USD"}, ".amount"),
            ({"currency": "usd", "amount": "1"}, ".currency"),
            ({"currency": "USD", "amount": 20}, ".amount"),
            ({"currency": "USD", "amount": "1.23456"}, ".amount"),
            ({"currency": "USD", "amount": "1", "rate": 2}, ".rate"),
        ],
    ),
    "date-range": (
        None,
        [
            ({"from": "2014-12-25"}, ".to"),
            ({"from": "2014-13-01", "to": "2014-12-31"}, ".from"),
            ({"from": "2014-12-31", "to": "2014-12-25"}, ".to"),
            ({"from": "2014-12-25T00:00:00+00:00", "to": "2014-12-31"}, ".from"),
            (["2014-12-25", "2014-12-31"], ""),
        ],
    ),
    "date": (
        None,
        [
            ("2014-04-30T20:32:18", ""),  # no offset: ambiguous
            ("2014-04-30", ""),
            ("30/04/2014 20:32", ""),
            ("2014-02-30T20:32:18+00:00", ""),
            (1398889938, ""),
        ],
    ),
    "email": (None, [("example.percolate.com", ""), ("a@b@c.com", ""), (["a@b.com"], "")]),
    "html": ({"max_length": 30}, [("<p>" + "x" * 40 + "</p>", ""), (5, "")]),
    "hidden": (None, [({"a": 1}, ""), (True, "")]),
    "link": ({"limit": 1}, [(["link:1", "link:2"], ""), (["link:a"], "[0]"), ("link:1", "")]),
    "multi-select": (
        {**BOXES, "limit": 2},
        [
            (["checkbox 9"], "[0]"),
            (["checkbox 1", "checkbox 1"], ""),
            (["checkbox 1", "checkbox 2", 3], ""),
            ("checkbox 1", ""),
            (["3"], "[0]"),
        ],
    ),
    "number": (None, [("9", ""), (True, ""), ([1], "")]),
    "select": (CHOICES, [("radio_2", ""), (0, ""), ("false", ""), (["radio_1"], "")]),
    "string-array": (None, [("hello, 24", ""), (["hello", 24], "[1]")]),
    "term": (None, [(["term:"], "[0]"), (["XTN123"], "[0]"), ("term:1", "")]),
    "text": ({"max_length": 11}, [("hello\nworld", ""), ("hello world!", ""), (1, "")]),
    "textarea": ({"max_length": 5}, [("hello\nworld", ""), (["hello"], "")]),
    "object-array": (None, [({"body": "x"}, ""), (["body"], "[0]")]),
    "post_attachment": (None, [(["post_attachment:x"], "[0]"), (["post:1"], "[0]")]),
}


def single_field(kind: str, ext: dict[str, Any] | None, *, required: bool = False) -> Any:
    return compile_schema(
        {"fields": [{"key": "f", "type": kind, "ext": ext, "required": required}]}
    )


def keys(errors: list[FieldError]) -> list[str | None]:
    return [error.key for error in errors]


def refused(raw: dict[str, Any]) -> list[FieldError]:
    with pytest.raises(ValidationFailed) as failure:
        parse_definition(raw)
    return failure.value.errors


def test_the_tables_cover_the_seventeen_field_types() -> None:
    assert len(FIELD_TYPES) == 17
    assert set(VALID) == set(INVALID) == set(FIELD_TYPES)


@pytest.mark.parametrize(
    ("kind", "value"),
    [(kind, value) for kind, (_, values) in VALID.items() for value in values],
    ids=str,
)
def test_valid_values_are_accepted_unchanged(kind: str, value: Any) -> None:
    compiled = single_field(kind, VALID[kind][0])
    values = {"f": value}
    before = copy.deepcopy(values)
    assert validate_values(compiled, values) == []
    assert values == before


@pytest.mark.parametrize(
    ("kind", "value", "where"),
    [(kind, value, where) for kind, (_, cases) in INVALID.items() for value, where in cases],
    ids=str,
)
def test_each_invalid_shape_names_its_path(kind: str, value: Any, where: str) -> None:
    errors = validate_values(single_field(kind, INVALID[kind][0]), {"f": value})
    assert keys(errors) == [f"$.ext.f{where}"], errors
    assert errors[0].message


@pytest.mark.parametrize("kind", FIELD_TYPES)
def test_optional_fields_may_be_null_or_absent(kind: str) -> None:
    compiled = single_field(kind, VALID[kind][0])
    assert validate_values(compiled, {"f": None}) == []
    assert validate_values(compiled, {}) == []


@pytest.mark.parametrize("kind", FIELD_TYPES)
def test_required_fields_must_hold_something(kind: str) -> None:
    compiled = single_field(kind, VALID[kind][0], required=True)
    assert validate_values(compiled, {"f": VALID[kind][1][0]}) == []
    missing = validate_values(compiled, {})
    assert (keys(missing), missing[0].code) == (["$.ext.f"], "required")
    assert keys(validate_values(compiled, {"f": None})) == ["$.ext.f"]


@pytest.mark.parametrize("empty", ["", []], ids=["empty-string", "empty-list"])
def test_required_text_and_lists_must_not_be_empty(empty: Any) -> None:
    kind = "text" if empty == "" else "term"
    errors = validate_values(single_field(kind, None, required=True), {"f": empty})
    assert [(e.key, e.code) for e in errors] == [("$.ext.f", "required")]


def test_a_select_without_options_takes_any_scalar_and_an_autocompleted_one_too() -> None:
    free = single_field("select", None)
    assert validate_values(free, {"f": "anything"}) == []
    assert keys(validate_values(free, {"f": {"a": 1}})) == ["$.ext.f"]
    searched = compile_schema(
        {
            "fields": [{"key": "brand", "type": "select", "ext": CHOICES}],
            "plugins": [
                {
                    "key": "brand_search",
                    "type": "autocomplete",
                    "field_key": "brand",
                    "ext": {"search_url": "https://example.com/search"},
                }
            ],
        }
    )
    assert validate_values(searched, {"brand": "not-an-option"}) == []
    assert keys(validate_values(searched, {"brand_search": "x"})) == ["$.ext.brand_search"]


def test_unknown_keys_are_refused_one_by_one() -> None:
    compiled = single_field("text", None)
    errors = validate_values(compiled, {"f": "ok", "email": "x", "other key": 1})
    assert sorted(keys(errors)) == ["$.ext.email", '$.ext["other key"]']
    assert {error.code for error in errors} == {"unknown"}


def test_ext_must_be_an_object() -> None:
    assert keys(validate_values(single_field("text", None), ["f"])) == ["$.ext"]


def test_errors_echo_short_values_only() -> None:
    compiled = single_field("number", None)
    assert validate_values(compiled, {"f": "nine"})[0].value == "nine"
    assert validate_values(compiled, {"f": "n" * 500})[0].value is None


def test_every_problem_is_reported_at_once() -> None:
    compiled = compile_schema(
        {
            "fields": [
                {"key": "email", "type": "email", "required": True},
                {"key": "message", "type": "textarea"},
                {"key": "price", "type": "currency"},
            ]
        }
    )
    errors = validate_values(compiled, {"message": 1, "price": {"currency": "USD"}})
    assert keys(errors) == ["$.ext.email", "$.ext.message", "$.ext.price.amount"]


class TestObjectArrayFields:
    SCHEMA = {
        "fields": [
            {
                "key": "quotes",
                "type": "object-array",
                "ext": {
                    "limit": 3,
                    "fields": [
                        {"key": "body", "type": "textarea", "required": True},
                        {"key": "age", "type": "number"},
                        {"key": "tags", "type": "term"},
                    ],
                },
            }
        ]
    }

    def test_items_follow_their_sub_fields(self) -> None:
        compiled = compile_schema(self.SCHEMA)
        good = {"quotes": [{"body": "hello\nworld", "age": 18, "tags": ["term:A1"]}]}
        assert validate_values(compiled, good) == []
        bad = {"quotes": [{"age": "18"}, {"body": "x", "tags": ["A1"], "mood": "happy"}]}
        assert keys(validate_values(compiled, bad)) == [
            "$.ext.quotes[0].age",
            "$.ext.quotes[0].body",
            "$.ext.quotes[1].mood",
            "$.ext.quotes[1].tags[0]",
        ]

    def test_references_inside_items_are_found(self) -> None:
        compiled = compile_schema(self.SCHEMA)
        assert compiled.reference_paths == {"term": ("$.ext.quotes[*].tags[*]",)}
        values = {"quotes": [{"body": "a"}, {"body": "b", "tags": ["term:X", "term:Y"]}]}
        assert collect_references(compiled, values) == [
            Reference("term", "term:X", "$.ext.quotes[1].tags[0]"),
            Reference("term", "term:Y", "$.ext.quotes[1].tags[1]"),
        ]


class TestPlugins:
    MENTIONS = {
        "key": "mentions",
        "type": "mentions",
        "field_key": "message",
        "ext": {
            "search_trigger": "/@/",
            "search_url": "https://graph.facebook.com/v2.5/search?type=page",
        },
    }
    LINKS = {"key": "links", "type": "links", "field_key": "message", "ext": None}

    def compiled(self) -> Any:
        return compile_schema(
            {
                "fields": [
                    {"key": "message", "type": "textarea"},
                    {"key": "when", "type": "date"},
                    {"key": "urls", "type": "link"},
                ],
                "plugins": [
                    self.MENTIONS,
                    self.LINKS,
                    {"key": "when_tz", "type": "timezone", "field_key": "when"},
                    {"key": "url_tags", "type": "tracking_tags", "field_key": "urls"},
                ],
            }
        )

    def test_the_seed_mentions_example(self) -> None:
        values = {
            "message": "I like Disney and Disney/Pixar",
            "mentions": [
                {"value": "11784025953", "offset": 7, "length": 6},
                {"value": "108014809233498", "offset": 18, "length": 12},
            ],
        }
        assert validate_values(self.compiled(), values) == []

    @pytest.mark.parametrize(
        ("mention", "where"),
        [
            ({"value": "1", "offset": 0}, "[0].length"),
            ({"value": "1", "offset": 0, "length": 2, "name": "x"}, "[0].name"),
            ({"value": 1, "offset": 0, "length": 2}, "[0].value"),
            ({"value": "1", "offset": -1, "length": 2}, "[0].offset"),
            ({"value": "1", "offset": 3, "length": 5}, "[0]"),  # beyond the text
        ],
    )
    def test_malformed_mentions(self, mention: dict[str, Any], where: str) -> None:
        errors = validate_values(self.compiled(), {"message": "Hi Bob", "mentions": [mention]})
        assert keys(errors) == [f"$.ext.mentions{where}"]

    def test_offsets_count_utf16_units_like_the_editors(self) -> None:
        # "😀" is one code point but two UTF-16 units: "😀 Bob" is 6 units long.
        values = {"message": "😀 Bob", "mentions": [{"value": "b", "offset": 3, "length": 3}]}
        assert validate_values(self.compiled(), values) == []

    def test_the_seed_links_example(self) -> None:
        values = {
            "message": "Check out http://example.com and https://isitchristmas.com/",
            "links": [
                {
                    "url": "http://example.com",
                    "tracking_tag_ids": ["tracking_tag:1", "tracking_tag:2"],
                    "tracking_url": "http://example.com?__prclt=123&__utm_foo=bar&__utm_xyz=pdq",
                    "short_url": "http://bit.ly/28TtifN",
                    "length": 18,
                    "offset": 10,
                    "shorten": True,
                    "track": True,
                },
                {
                    "url": "https://isitchristmas.com",
                    "tracking_tag_ids": [],
                    "tracking_url": "",
                    "short_url": "",
                    "length": 25,
                    "offset": 33,
                    "shorten": True,
                    "track": True,
                },
            ],
        }
        compiled = self.compiled()
        assert validate_values(compiled, values) == []
        assert [r.path for r in collect_references(compiled, values)] == [
            "$.ext.links[0].tracking_tag_ids[0]",
            "$.ext.links[0].tracking_tag_ids[1]",
        ]

    @pytest.mark.parametrize(
        ("link", "where"),
        [
            ({"url": "example.com", "offset": 0, "length": 3}, "[0].url"),
            ({"url": "ftp://example.com", "offset": 0, "length": 3}, "[0].url"),
            ({"url": "http://a.b", "offset": 0, "length": 3, "shorten": "yes"}, "[0].shorten"),
            (
                {"url": "http://a.b", "offset": 0, "length": 3, "tracking_tag_ids": ["t:1"]},
                "[0].tracking_tag_ids[0]",
            ),
            ({"url": "http://a.b", "length": 3}, "[0].offset"),
        ],
    )
    def test_malformed_links(self, link: dict[str, Any], where: str) -> None:
        errors = validate_values(self.compiled(), {"message": "see http://a.b", "links": [link]})
        assert keys(errors) == [f"$.ext.links{where}"]

    @pytest.mark.parametrize("zone", ["America/New_York", "US/Eastern", "Europe/Paris", "UTC"])
    def test_timezones_are_iana_names(self, zone: str) -> None:
        values = {"when": "2014-04-30T20:32:18+00:00", "when_tz": zone}
        assert validate_values(self.compiled(), values) == []

    @pytest.mark.parametrize("zone", ["EST", "Mars/Olympus_Mons", "", "+02:00", 5])
    def test_abbreviations_and_unknown_zones_are_refused(self, zone: object) -> None:
        assert keys(validate_values(self.compiled(), {"when_tz": zone})) == ["$.ext.when_tz"]

    def test_tracking_tags_must_name_a_link_of_their_field(self) -> None:
        compiled = self.compiled()
        good = {
            "urls": ["link:1", "link:2"],
            "url_tags": [{"link_id": "link:2", "tracking_tag_ids": ["tracking_tag:9"]}],
        }
        assert validate_values(compiled, good) == []
        stray = {**good, "url_tags": [{"link_id": "link:3", "tracking_tag_ids": []}]}
        assert keys(validate_values(compiled, stray)) == ["$.ext.url_tags[0].link_id"]
        partial = {**good, "url_tags": [{"link_id": "link:1"}]}
        assert keys(validate_values(compiled, partial)) == ["$.ext.url_tags[0].tracking_tag_ids"]


class TestDefinitions:
    def test_a_reused_field_key_is_refused_at_the_later_field(self) -> None:
        errors = refused(
            {
                "fields": [
                    {"key": "email", "type": "email"},
                    {"key": "title", "type": "text"},
                    {"key": "email", "type": "text"},
                ]
            }
        )
        assert [(e.key, e.code, e.value) for e in errors] == [
            ("$.fields[2].key", "duplicate", "email")
        ]
        assert "$.fields[0]" in errors[0].message

    @pytest.mark.parametrize(
        ("field", "where"),
        [
            ({"key": "f", "type": "checkbox"}, "$.fields[0].type"),
            ({"key": "f"}, "$.fields[0].type"),
            ({"type": "text"}, "$.fields[0].key"),
            ({"key": "a.b", "type": "text"}, "$.fields[0].key"),
            ({"key": "a/b", "type": "text"}, "$.fields[0].key"),
            ({"key": "", "type": "text"}, "$.fields[0].key"),
            ({"key": "f", "type": "text", "colour": "red"}, "$.fields[0].colour"),
            ({"key": "f", "type": "text", "required": "yes"}, "$.fields[0].required"),
            ({"key": "f", "type": "text", "ext": []}, "$.fields[0].ext"),
            ({"key": "f", "type": "text", "ext": {"max_length": 0}}, "$.fields[0].ext.max_length"),
            ({"key": "f", "type": "asset", "ext": {"limit": "2"}}, "$.fields[0].ext.limit"),
            (
                {"key": "f", "type": "select", "ext": {"values": [{"label": "x"}]}},
                "$.fields[0].ext.values[0].value",
            ),
            (
                {"key": "f", "type": "select", "ext": {"values": [{"value": {}}]}},
                "$.fields[0].ext.values[0].value",
            ),
            (
                {"key": "f", "type": "select", "ext": {"values": [{"value": "a"}, {"value": "a"}]}},
                "$.fields[0].ext.values[1].value",
            ),
            ("text", "$.fields[0]"),
        ],
    )
    def test_malformed_fields(self, field: Any, where: str) -> None:
        assert keys(refused({"fields": [field]})) == [where]

    def test_unknown_ext_options_are_kept(self) -> None:
        definition = parse_definition(
            {"fields": [{"key": "f", "type": "text", "ext": {"placeholder": "Say hi"}}]}
        )
        assert definition.fields[0].ext == {"placeholder": "Say hi"}

    @pytest.mark.parametrize(
        ("plugin", "where"),
        [
            (
                {
                    "key": "m",
                    "type": "mentions",
                    "field_key": "nope",
                    "ext": {"search_url": "u", "search_trigger": "@"},
                },
                "$.plugins[0].field_key",
            ),
            (
                {
                    "key": "m",
                    "type": "mentions",
                    "field_key": "title",
                    "ext": {"search_url": "u", "search_trigger": "@"},
                },
                "$.plugins[0].field_key",
            ),
            ({"key": "m", "type": "mentions", "field_key": "body"}, "$.plugins[0].ext"),
            (
                {"key": "m", "type": "mentions", "field_key": "body", "ext": {"search_url": "u"}},
                "$.plugins[0].ext.search_trigger",
            ),
            ({"key": "title", "type": "links", "field_key": "body"}, "$.plugins[0].key"),
            ({"key": "t", "type": "timezone", "field_key": "title"}, "$.plugins[0].field_key"),
            ({"key": "t", "type": "hashtags", "field_key": "body"}, "$.plugins[0].type"),
            ({"key": "t", "type": "links"}, "$.plugins[0].field_key"),
        ],
    )
    def test_malformed_plugins(self, plugin: dict[str, Any], where: str) -> None:
        fields = [{"key": "title", "type": "text"}, {"key": "body", "type": "textarea"}]
        assert keys(refused({"fields": fields, "plugins": [plugin]})) == [where]

    def test_two_plugins_cannot_share_a_key(self) -> None:
        plugin = {"key": "links", "type": "links", "field_key": "body"}
        errors = refused(
            {"fields": [{"key": "body", "type": "textarea"}], "plugins": [plugin, plugin]}
        )
        assert keys(errors) == ["$.plugins[1].key"]

    def test_fieldsets_group_known_fields_once(self) -> None:
        fields = [{"key": "a", "type": "text"}, {"key": "b", "type": "text"}]
        errors = refused(
            {
                "fields": fields,
                "fieldsets": [
                    {"key": "main", "label": "Main", "field_keys": ["a", "zz"]},
                    {"key": "main", "label": "Again", "field_keys": ["a", "b"]},
                ],
            }
        )
        assert keys(errors) == [
            "$.fieldsets[0].field_keys[1]",
            "$.fieldsets[1].key",
            "$.fieldsets[1].field_keys[0]",
        ]

    def test_object_arrays_nest_a_bounded_depth(self) -> None:
        leaf: dict[str, Any] = {"key": "leaf", "type": "text"}
        for level in range(4):
            leaf = {"key": f"level{level}", "type": "object-array", "ext": {"fields": [leaf]}}
        errors = refused({"fields": [leaf]})
        assert [(e.key, e.code) for e in errors] == [
            ("$.fields[0].ext.fields[0].ext.fields[0].ext.fields", "too_deep")
        ]

    def test_every_problem_is_reported_together(self) -> None:
        errors = refused(
            {
                "fields": [
                    {"key": "a", "type": "nope"},
                    {"key": "b", "type": "text"},
                    {"key": "b", "type": "text"},
                ],
                "plugins": [{"key": "p", "type": "links", "field_key": "b"}],
                "fieldsets": [{"field_keys": ["a"]}],
            }
        )
        assert keys(errors) == [
            "$.fields[0].type",
            "$.fields[2].key",
            "$.plugins[0].field_key",
            "$.fieldsets[0].field_keys[0]",
        ]

    @pytest.mark.parametrize("raw", [{"fields": {}}, {"plugins": "x"}, {"fieldsets": 3}])
    def test_the_lists_must_be_lists(self, raw: dict[str, Any]) -> None:
        assert keys(refused(raw)) == [f"$.{next(iter(raw))}"]

    def test_the_canonical_form_round_trips(self) -> None:
        raw = {
            "name": "ignored here",
            "fields": [
                {"key": "message", "type": "textarea", "label": "Message", "required": True},
                {"key": "choice", "type": "select", "ext": CHOICES, "description": "Pick"},
            ],
            "fieldsets": [{"key": "main", "label": "Main", "field_keys": ["message"]}],
            "plugins": [{"key": "links", "type": "links", "field_key": "message", "ext": None}],
        }
        definition = parse_definition(raw)
        assert definition.as_json()["fields"][0] == {
            "key": "message",
            "label": "Message",
            "description": None,
            "required": True,
            "type": "textarea",
            "ext": None,
        }
        assert parse_definition(definition.as_json()) == definition

    def test_an_empty_definition_is_allowed(self) -> None:
        assert parse_definition({}) == SchemaDefinition()
        assert validate_values(compile_schema({}), {}) == []


def test_the_compiled_schema_is_valid_draft_2020_12() -> None:
    fields = [
        {"key": kind.replace("-", "_"), "type": kind, "ext": VALID[kind][0]} for kind in FIELD_TYPES
    ]
    fields.append({"key": "body", "type": "textarea", "required": True})
    compiled = compile_schema(
        {
            "fields": fields,
            "plugins": [
                {
                    "key": "mentions",
                    "type": "mentions",
                    "field_key": "body",
                    "ext": TestPlugins.MENTIONS["ext"],
                },
                {"key": "links", "type": "links", "field_key": "body"},
                {"key": "tz", "type": "timezone", "field_key": "date"},
                {"key": "tags", "type": "tracking_tags", "field_key": "link"},
            ],
        }
    )
    Draft202012Validator.check_schema(compiled.json_schema)
    assert compiled.json_schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert compiled.json_schema["required"] == ["body"]
    assert compiled.keys == {f["key"] for f in fields} | {"mentions", "links", "tz", "tags"}
    assert compiled.reference_paths == {
        "asset": ("$.ext.asset[*]", "$.ext.asset[*][*]"),
        "term": ("$.ext.term[*]",),
        "link": ("$.ext.link[*]",),
        "post_attachment": ("$.ext.post_attachment[*]",),
        "tracking_tag": (
            "$.ext.links[*].tracking_tag_ids[*]",
            "$.ext.tags[*].tracking_tag_ids[*]",
        ),
    }


class TestCache:
    def test_compiled_once_per_schema_version(self) -> None:
        cache = CompiledSchemaCache(maxsize=2)
        raw = {"fields": [{"key": "f", "type": "text"}]}
        first = compile_schema(raw, schema_id=7, version=1, cache=cache)
        assert compile_schema(raw, schema_id=7, version=1, cache=cache) is first
        assert compile_schema(raw, schema_id=7, version=2, cache=cache) is not first
        assert (cache.hits, cache.misses, len(cache)) == (1, 2, 2)

    def test_least_recently_used_versions_are_evicted(self) -> None:
        cache = CompiledSchemaCache(maxsize=2)
        raw: dict[str, Any] = {"fields": []}
        one = compile_schema(raw, schema_id=1, version=1, cache=cache)
        compile_schema(raw, schema_id=2, version=1, cache=cache)
        compile_schema(raw, schema_id=1, version=1, cache=cache)  # 1 is now the most recent
        compile_schema(raw, schema_id=3, version=1, cache=cache)  # evicts 2
        assert compile_schema(raw, schema_id=1, version=1, cache=cache) is one
        assert cache.misses == 3
        compile_schema(raw, schema_id=2, version=1, cache=cache)
        assert cache.misses == 4


class TestLimits:
    def compiled(self) -> Any:
        return compile_schema(
            {
                "fields": [
                    {"key": "notes", "type": "object-array"},
                    {"key": "body", "type": "textarea"},
                ]
            }
        )

    def test_deep_nesting_is_refused_where_it_gets_too_deep(self) -> None:
        deep: Any = "bottom"
        for _ in range(50_000):  # far beyond any recursion limit
            deep = {"x": deep}
        errors = validate_values(self.compiled(), {"notes": [deep]})
        assert len(errors) == 1
        assert errors[0].code == "too_deep"
        assert errors[0].key == "$.ext.notes[0]" + ".x" * (MAX_VALUE_DEPTH - 2)

    def test_nesting_up_to_the_limit_is_fine(self) -> None:
        deep: Any = "bottom"
        for _ in range(MAX_VALUE_DEPTH - 2):
            deep = {"x": deep}
        assert validate_values(self.compiled(), {"notes": [deep]}) == []

    def test_ten_megabytes_of_text_are_refused(self) -> None:
        errors = validate_values(self.compiled(), {"body": "x" * 10_000_000})
        assert [(e.key, e.code) for e in errors] == [("$.ext", "too_large")]
        assert str(MAX_VALUE_CHARS) in errors[0].message

    def test_too_many_values_are_refused(self) -> None:
        errors = validate_values(self.compiled(), {"notes": [{}] * (MAX_VALUE_NODES + 1)})
        assert [(e.key, e.code) for e in errors] == [("$.ext", "too_large")]

    @pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
    def test_non_finite_numbers_are_refused(self, number: float) -> None:
        compiled = compile_schema({"fields": [{"key": "n", "type": "number"}]})
        assert keys(validate_values(compiled, {"n": number})) == ["$.ext.n"]


class TestReferences:
    def test_every_kind_is_collected_with_its_path(self) -> None:
        compiled = compile_schema(
            {
                "fields": [
                    {"key": "photos", "type": "asset"},
                    {"key": "terms", "type": "term"},
                    {"key": "urls", "type": "link"},
                    {"key": "attachments", "type": "post_attachment"},
                ]
            }
        )
        values = {
            "photos": ["asset:1", ["asset:2", "asset:1"]],
            "terms": ["term:XTN1"],
            "urls": ["link:4"],
            "attachments": ["post_attachment:5"],
        }
        references = collect_references(compiled, values)
        assert [(r.kind, r.id, r.path) for r in references] == [
            ("asset", "asset:1", "$.ext.photos[0]"),
            ("asset", "asset:2", "$.ext.photos[1][0]"),
            ("asset", "asset:1", "$.ext.photos[1][1]"),
            ("term", "term:XTN1", "$.ext.terms[0]"),
            ("link", "link:4", "$.ext.urls[0]"),
            ("post_attachment", "post_attachment:5", "$.ext.attachments[0]"),
        ]
        assert references_by_kind(references) == {
            "asset": {"asset:1", "asset:2"},
            "term": {"term:XTN1"},
            "link": {"link:4"},
            "post_attachment": {"post_attachment:5"},
        }

    def test_missing_ids_are_reported_at_each_path(self) -> None:
        references = [
            Reference("asset", "asset:1", "$.ext.photos[0]"),
            Reference("asset", "asset:9", "$.ext.photos[1]"),
            Reference("term", "term:X", "$.ext.terms[0]"),
            Reference("link", "link:1", "$.ext.urls[0]"),
        ]
        errors = missing_reference_errors(references, {"asset": {"asset:1"}, "term": set()})
        assert [(e.key, e.code, e.value) for e in errors] == [
            ("$.ext.photos[1]", "not_found", "asset:9"),
            ("$.ext.terms[0]", "not_found", "term:X"),
        ]
