"""Validation: each class of mistake gives one exact `path:line:col: message (expected …)` line.

The message text is the contract with editors, so these tests assert whole lines.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from statuspage.load import load_site
from statuspage.model import Kind, SiteError

from conftest import CONFIG, REPO, incident


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Paths in messages are relative to the current directory: run from the temp folder."""
    monkeypatch.chdir(tmp_path)


def problems(root: Path) -> list[str]:
    with pytest.raises(SiteError) as caught:
        load_site(root)
    return [str(p) for p in caught.value.problems]


def one_problem(make_site: Callable[..., Path], text: str, name: str = "x") -> str:
    found = problems(make_site(incidents={name: text}))
    assert len(found) == 1, found
    return found[0]


GOOD = incident()


def test_valid_site_loads(make_site: Callable[..., Path]) -> None:
    site = load_site(make_site(incidents={"a": GOOD}))
    assert [r.id for r in site.records] == ["a"]
    assert site.records[0].kind is Kind.INCIDENT
    assert site.base_url == "https://status.example.com/"


def test_yaml_syntax_error(make_site: Callable[..., Path]) -> None:
    line = one_problem(make_site, "title: [unclosed\nimpact: major\n")
    assert line == (
        "site/incidents/x.yaml:2:7: invalid YAML: expected ',' or ']', but got ':' "
        "while parsing a flow sequence (expected valid YAML)"
    )


def test_duplicate_key(make_site: Callable[..., Path]) -> None:
    line = one_problem(make_site, GOOD + "title: Again\n")
    assert line == (
        "site/incidents/x.yaml:9:1: duplicate key 'title' in an incident, first at line 1 "
        "(expected each key once; YAML would silently keep the last)"
    )


def test_unknown_key_suggests(make_site: Callable[..., Path]) -> None:
    line = one_problem(make_site, GOOD.replace("components:", "componets:"))
    assert line == (
        "site/incidents/x.yaml:3:1: unknown key 'componets' in an incident; did you mean 'components'? "
        "(expected one of: title, impact, updates, kind, components, postmortem)"
    )


def test_missing_key(make_site: Callable[..., Path]) -> None:
    line = one_problem(make_site, GOOD.replace("impact: major\n", ""))
    assert (
        line == "site/incidents/x.yaml:1:1: missing key 'impact' in an incident (expected keys: title, impact, updates)"
    )


def test_wrong_type(make_site: Callable[..., Path]) -> None:
    line = one_problem(make_site, GOOD.replace("title: Something broke", "title: [a, b]"))
    assert line == "site/incidents/x.yaml:1:8: title is a list (expected text)"


def test_boolean_trap_suggests_quotes(make_site: Callable[..., Path]) -> None:
    line = one_problem(make_site, GOOD.replace("title: Something broke", "title: no"))
    assert line == (
        'site/incidents/x.yaml:1:8: title is a boolean, YAML reads no that way (expected text; put it in quotes: "no")'
    )


def test_number_trap_suggests_quotes(make_site: Callable[..., Path]) -> None:
    line = one_problem(make_site, GOOD.replace("title: Something broke", "title: 1.10"))
    assert line == (
        "site/incidents/x.yaml:1:8: title is a number, YAML reads 1.10 that way "
        '(expected text; put it in quotes: "1.10")'
    )


def test_unknown_enum_value_suggests(make_site: Callable[..., Path]) -> None:
    line = one_problem(make_site, GOOD.replace("impact: major", "impact: majr"))
    assert line == (
        "site/incidents/x.yaml:2:9: unknown impact 'majr'; did you mean 'major'? "
        "(expected one of: none, minor, major, critical)"
    )


def test_component_status_must_fit_kind(make_site: Callable[..., Path]) -> None:
    line = one_problem(make_site, GOOD.replace("web: major_outage", "web: under_maintenance"))
    assert line == (
        "site/incidents/x.yaml:4:8: unknown status for component 'web' 'under_maintenance' "
        "(expected one of: degraded_performance, partial_outage, major_outage)"
    )


def test_naive_time(make_site: Callable[..., Path]) -> None:
    line = one_problem(make_site, GOOD.replace("2026-11-25T10:00:00+00:00", "2026-11-25T10:00:00"))
    assert line == (
        "site/incidents/x.yaml:6:9: at '2026-11-25T10:00:00' has no UTC offset, so its moment is ambiguous "
        "(expected a time with an offset, like 2023-01-10T03:00:00Z or 2023-01-10T04:00:00+01:00)"
    )


def test_unparsable_time(make_site: Callable[..., Path]) -> None:
    line = one_problem(make_site, GOOD.replace("2026-11-25T10:00:00+00:00", "yesterday at noon"))
    assert line == (
        "site/incidents/x.yaml:6:9: at 'yesterday at noon' is not a valid time "
        "(expected a time with an offset, like 2023-01-10T03:00:00Z or 2023-01-10T04:00:00+01:00)"
    )


def test_updates_out_of_order(make_site: Callable[..., Path]) -> None:
    text = incident(statuses=("investigating", "identified")).replace("10:01:00", "09:59:00")
    line = one_problem(make_site, text)
    assert line == (
        "site/incidents/x.yaml:9:9: update at 2026-11-25T09:59:00+00:00 is earlier than the update before it "
        "(expected updates oldest first)"
    )


def test_update_after_resolved(make_site: Callable[..., Path]) -> None:
    line = one_problem(make_site, incident(statuses=("investigating", "resolved", "monitoring")))
    assert line == (
        "site/incidents/x.yaml:12:5: update after 'resolved' at line 9 (expected 'resolved' to be the last update)"
    )


def test_unknown_component(make_site: Callable[..., Path]) -> None:
    line = one_problem(make_site, GOOD.replace("web:", "wbe:"))
    assert line == (
        "site/incidents/x.yaml:4:3: unknown component 'wbe'; did you mean 'web'? "
        "(expected a component id from statuspage.yaml: api, db, web)"
    )


def test_bad_id_from_file_name(make_site: Callable[..., Path]) -> None:
    line = one_problem(make_site, GOOD, name="Bad_Name")
    assert line == (
        "site/incidents/Bad_Name.yaml:1:1: file name 'Bad_Name.yaml' is not a valid id (expected lowercase "
        "letters, digits and '-', starting with a letter or digit, like 2023-01-10-login-errors.yaml)"
    )


def test_window_end_before_start(make_site: Callable[..., Path]) -> None:
    text = (
        "kind: maintenance\ntitle: Work\nwindow:\n  start: 2026-11-26T10:00:00Z\n  end: 2026-11-26T09:00:00Z\n"
        "updates:\n  - at: 2026-11-20T10:00:00Z\n    status: scheduled\n    message: Soon.\n"
    )
    line = one_problem(make_site, text)
    assert line == (
        "site/incidents/x.yaml:5:8: window end 2026-11-26T09:00:00Z is not after its start 2026-11-26T10:00:00Z "
        "(expected end > start)"
    )


def test_maintenance_status_vocabulary(make_site: Callable[..., Path]) -> None:
    text = (
        "kind: maintenance\ntitle: Work\nwindow:\n  start: 2026-11-26T10:00:00Z\n  end: 2026-11-26T11:00:00Z\n"
        "updates:\n  - at: 2026-11-20T10:00:00Z\n    status: investigating\n    message: Soon.\n"
    )
    line = one_problem(make_site, text)
    assert line == (
        "site/incidents/x.yaml:8:13: unknown status 'investigating' "
        "(expected one of: scheduled, in_progress, verifying, completed)"
    )


def test_empty_updates(make_site: Callable[..., Path]) -> None:
    line = one_problem(make_site, "title: T\nimpact: none\nupdates: []\n")
    assert line == "site/incidents/x.yaml:3:10: updates is an empty list (expected at least one update)"


def test_config_problems(make_site: Callable[..., Path]) -> None:
    config = CONFIG.replace("https://status.example.com/", "status.example.com").replace(
        "timezone: UTC", "timezone: Mars/Olympus"
    )
    found = problems(make_site(config=config))
    assert found == [
        "site/statuspage.yaml:2:11: base_url 'status.example.com' is not an absolute web address "
        "(expected e.g. https://status.example.com/)",
        "site/statuspage.yaml:3:11: unknown timezone 'Mars/Olympus' (expected an IANA name like UTC or Europe/Paris)",
    ]


def test_duplicate_component_id(make_site: Callable[..., Path]) -> None:
    config = CONFIG + "  - id: web\n    name: Web again\n"
    assert problems(make_site(config=config)) == [
        "site/statuspage.yaml:14:9: duplicate component id 'web', first at line 5 (expected unique ids)"
    ]


def test_missing_config(tmp_path: Path) -> None:
    assert problems(tmp_path) == ["statuspage.yaml:1:1: file not found (expected the site's statuspage.yaml)"]


def test_every_problem_of_every_file_at_once(make_site: Callable[..., Path]) -> None:
    """All problems come out together, sorted by file and line, with a count."""
    root = make_site(
        incidents={
            "a": GOOD.replace("impact: major", "impact: huge"),
            "b": GOOD.replace("web:", "nope:").replace("title: Something broke", "title: yes"),
        }
    )
    with pytest.raises(SiteError) as caught:
        load_site(root)
    report = caught.value.report().splitlines()
    assert [line.split(":")[0] + ":" + line.split(":")[1] for line in report[:-1]] == [
        "site/incidents/a.yaml:2",
        "site/incidents/b.yaml:1",
        "site/incidents/b.yaml:4",
    ]
    assert report[-1] == "3 problems in 2 files"


def test_path_is_relative_to_current_directory(make_site: Callable[..., Path], tmp_path: Path) -> None:
    root = make_site(incidents={"x": GOOD.replace("impact: major", "impact: huge")})
    os.chdir(root)
    assert problems(Path("."))[0].startswith("incidents/x.yaml:2:9: ")


def _shape(node: object) -> object:
    """A node tree as plain tuples: tag, value and where each node starts."""
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    assert isinstance(node, ScalarNode | SequenceNode | MappingNode)
    mark = (node.start_mark.line, node.start_mark.column)
    if isinstance(node, ScalarNode):
        return (node.tag, node.value, node.style or None, mark)  # libyaml says '' for plain, PyYAML None
    if isinstance(node, SequenceNode):
        return (node.tag, [_shape(n) for n in node.value], mark)
    return (node.tag, [(_shape(k), _shape(v)) for k, v in node.value], mark)


def test_libyaml_fast_path_composes_exactly_what_the_checked_loader_does() -> None:
    """Issue 7: libyaml speeds loading up only if editors get the same values and the same line:col."""
    import yaml

    from statuspage.load import _SLOW, _compose_fast, _Loader

    texts = [p.read_text(encoding="utf-8") for p in sorted((REPO / "incidents").glob("*.yaml"))]
    texts.append((REPO / "statuspage.yaml").read_text(encoding="utf-8"))
    texts.append('title: «é» "q"\nimpact: no\nlist: [1, 1.10, on, ~, 2023-01-10]\nk: |\n  a\n\n  b\n')
    for text in texts:
        fast = _compose_fast(text)
        assert fast is not _SLOW
        assert _shape(fast) == _shape(yaml.compose(text, Loader=_Loader))


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",
        "a: !!python/object:os.system x\n",
        "a: " + "[" * 30 + "]" * 30 + "\n",
        "a: [\n",
        "---\na: 1\n---\nb: 2\n",
    ],
    ids=["alias", "tag", "deep", "broken", "two-documents"],
)
def test_libyaml_fast_path_leaves_anything_doubtful_to_the_checked_loader(text: str) -> None:
    from statuspage.load import _SLOW, _compose_fast

    assert _compose_fast(text) is _SLOW
