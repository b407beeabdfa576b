"""Paths (issue 8 item 3): nothing from the input writes outside the output folder or reads outside the site.

Ids come from file names and component ids; both are checked against the id pattern,
whose ASCII class also refuses Unicode look-alikes; two files may not claim one id even
when they differ only in case or extension. Links in `incidents/` and in the site's
`templates/` that point outside the site are refused with a message, not followed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from statuspage.load import load_site
from statuspage.model import BuildError, SiteError
from statuspage.write import write_tree

from conftest import CONFIG, build_site, incident
from helpers import tree_digest

SECRET = "TOP-SECRET-do-not-publish"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside the site that must never be read into, or overwritten by, a build."""
    path = tmp_path / "outside" / "secret.html"
    path.parent.mkdir()
    path.write_text(SECRET)
    return path


def problems(root: Path) -> list[str]:
    with pytest.raises(SiteError) as caught:
        load_site(root)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(
    "rel",
    ["../escape.html", "/tmp/escape.html", "a/../../escape.html", "a/./b", "a//b", "a\\..\\b", "a\0b", "", ".."],
)
def test_write_refuses_paths_leaving_the_output(rel: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(BuildError, match="not a plain relative path inside the output folder"):
        write_tree(out, {"index.html": b"ok", rel: b"escaped"})
    assert not out.exists()
    assert not (tmp_path / "escape.html").exists()


def test_symlink_left_in_previous_output_is_replaced_not_followed(
    make_site: Callable[..., Path], tmp_path: Path, secret: Path
) -> None:
    """A link planted in the old output (say by a deploy step) must not carry the next write outside."""
    root = make_site(incidents={"a": incident()})
    out = tmp_path / "out"
    build_site(root, out)
    page = out / "incidents" / "a" / "index.html"
    page.unlink()
    page.symlink_to(secret)
    (out / "components").rename(tmp_path / "components-moved")
    (out / "components").symlink_to(secret.parent, target_is_directory=True)
    build_site(root, out)
    assert secret.read_text() == SECRET
    assert sorted(p.name for p in secret.parent.iterdir()) == ["secret.html"]
    assert not page.is_symlink() and "Something broke" in page.read_text()
    assert not (out / "components").is_symlink()


@pytest.mark.parametrize(
    "name",
    [
        "..",  # hidden, so never a record, but must not be one either
        "ａ-fullwidth",  # U+FF41
        "а-cyrillic",  # U+0430 looks like 'a'
        "\u212a-kelvin",  # Kelvin sign, casefolds to 'k'
        "cafe\u0301",  # combining accent
        "A-upper",
        "a b",
        "-leading-dash",
        "a_underscore",
    ],
)
def test_odd_file_names_are_refused_with_a_message(make_site: Callable[..., Path], name: str) -> None:
    root = make_site(incidents={f"{name}.yaml": incident()})
    if name.startswith("."):
        assert load_site(root).records == ()  # editors' hidden files are skipped
        return
    found = problems(root)
    assert len(found) == 1
    assert found[0].startswith(f"site/incidents/{name}.yaml:1:1: file name '{name}.yaml' is not a valid id")


@pytest.mark.parametrize("cid", ["../etc", "..", "Web", "wеb", "web/x", "ｗｅｂ", "web\u200b"])
def test_component_ids_cannot_name_a_path(make_site: Callable[..., Path], cid: str) -> None:
    config = CONFIG.replace("id: web", f'id: "{cid}"')
    found = problems(make_site(config=config))
    expected = f"site/statuspage.yaml:5:9: invalid component id '{cid}' (expected lowercase letters, digits and '-')"
    assert found == [expected]


def test_case_and_extension_collisions_claim_one_id(make_site: Callable[..., Path]) -> None:
    """On a case-insensitive file system A.yaml and a.yaml are one file: ids must differ in more than case."""
    root = make_site(incidents={"a.yaml": incident(), "a.yml": incident(), "B.yaml": incident()})
    found = problems(root)
    duplicate = "site/incidents/a.yml:1:1: id 'a' is already used by site/incidents/a.yaml (expected one file per id)"
    assert duplicate in found
    assert any(line.startswith("site/incidents/B.yaml:1:1: file name 'B.yaml' is not a valid id") for line in found)


def test_incident_symlink_outside_is_refused(make_site: Callable[..., Path], secret: Path) -> None:
    root = make_site(incidents={"a": incident()})
    (root / "incidents" / "b.yaml").symlink_to(secret)
    assert problems(root) == [
        "site/incidents/b.yaml:1:1: links to a file outside the site folder (expected a file in the site)"
    ]


def test_incidents_folder_symlinked_outside_is_refused(make_site: Callable[..., Path], tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a.yaml").write_text(incident())
    root = make_site()
    (root / "incidents").rmdir()
    (root / "incidents").symlink_to(elsewhere, target_is_directory=True)
    assert problems(root) == [
        "site/incidents:1:1: links to a file outside the site folder (expected a file in the site)"
    ]


def test_symlink_inside_the_site_is_fine(make_site: Callable[..., Path]) -> None:
    root = make_site(incidents={"a": incident()})
    (root / "drafts").mkdir()
    (root / "drafts" / "b.yaml").write_text(incident(title="From drafts"))
    (root / "incidents" / "b.yaml").symlink_to(root / "drafts" / "b.yaml")
    assert sorted(r.title for r in load_site(root).records) == ["From drafts", "Something broke"]


def test_config_symlinked_outside_is_refused(make_site: Callable[..., Path], tmp_path: Path) -> None:
    root = make_site()
    (tmp_path / "other.yaml").write_text(CONFIG)
    (root / "statuspage.yaml").unlink()
    (root / "statuspage.yaml").symlink_to(tmp_path / "other.yaml")
    assert problems(root) == [
        "site/statuspage.yaml:1:1: links to a file outside the site folder (expected a file in the site)"
    ]


@pytest.mark.parametrize(
    ("link", "target_kind"),
    [
        ("templates/custom/head.html", "file"),
        ("templates/index.html", "file"),
        ("templates/static/secret.css", "file"),
        ("templates/static", "folder"),
        ("templates/i18n/en.yaml", "file"),
        ("templates/custom", "folder"),
        ("templates", "folder"),
    ],
)
def test_template_override_cannot_read_outside_the_site(
    make_site: Callable[..., Path], tmp_path: Path, secret: Path, link: str, target_kind: str
) -> None:
    """Issue 8: template overrides cannot read outside the site folder, whichever level the link is at."""
    root = make_site(incidents={"a": incident()})
    out = tmp_path / "out"
    build_site(root, out)
    before = tree_digest(out)
    if target_kind == "folder":
        for name in ("head.html", "index.html", "en.yaml", "secret.css"):
            (secret.parent / name).write_text(SECRET if name != "en.yaml" else f"Status: '{SECRET}'\n")
    path = root / link
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(secret.parent if target_kind == "folder" else secret, target_is_directory=target_kind == "folder")
    with pytest.raises(BuildError, match=r"links to a file outside the site folder") as caught:
        build_site(root, out)
    assert str(caught.value).startswith("templates")
    assert tree_digest(out) == before
    assert not any(SECRET.encode() in p.read_bytes() for p in out.rglob("*") if p.is_file())


def test_template_symlink_inside_the_site_works(make_site: Callable[..., Path], tmp_path: Path) -> None:
    root = make_site(incidents={"a": incident()})
    (root / "theme-parts").mkdir()
    (root / "theme-parts" / "head.html").write_text('<meta name="x-own" content="yes">\n')
    (root / "templates" / "custom").mkdir(parents=True)
    (root / "templates" / "custom" / "head.html").symlink_to(root / "theme-parts" / "head.html")
    build_site(root, tmp_path / "out")
    assert '<meta name="x-own" content="yes">' in (tmp_path / "out" / "index.html").read_text()


def test_output_inside_site_templates_is_not_read_back(make_site: Callable[..., Path]) -> None:
    """Sanity for the default layout: SITE/_site sits in the site but is never a source."""
    root = make_site(incidents={"a": incident()})
    build_site(root, root / "_site")
    build_site(root, root / "_site")
    assert [r.id for r in load_site(root).records] == ["a"]
    assert os.path.isfile(root / "_site" / "index.html")
