"""The shipped library of reflective prompts, and the checks made when it is read."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from importlib import resources

import pytest

from bot.prompts import (
    MAX_TEXT_LENGTH,
    THEMES,
    LibraryPrompt,
    PromptLibraryError,
    get_prompt,
    load_library,
    parse_library,
    prompts_for,
    themes,
)

EXPECTED_THEMES = {
    "goals",
    "trust",
    "power",
    "membership",
    "communication",
    "leadership",
    "coproduction",
    "inertia",
    "small_wins",
}


def test_library_is_big_enough() -> None:
    assert len(load_library()) >= 30


def test_every_theme_is_listed_and_has_enough_prompts() -> None:
    assert set(THEMES) == EXPECTED_THEMES
    counts = Counter(p.theme for p in load_library())
    assert set(counts) == EXPECTED_THEMES
    assert min(counts.values()) >= 3


def test_ids_and_texts_are_unique() -> None:
    prompts = load_library()
    assert len({p.id for p in prompts}) == len(prompts)
    assert len({p.text.casefold() for p in prompts}) == len(prompts)


@pytest.mark.parametrize("prompt", load_library(), ids=lambda p: p.id)
def test_each_prompt_is_a_short_open_question(prompt: LibraryPrompt) -> None:
    assert prompt.text.endswith("?")
    assert len(prompt.text) <= MAX_TEXT_LENGTH == 300
    assert prompt.theme in THEMES
    assert prompt.concept.strip()
    assert prompt.id.startswith(prompt.theme + "-")  # the convention the file follows
    # Open, not yes/no: a question opening like "Is there…" must go on to ask more.
    if prompt.text.split()[0].lower() in {"do", "does", "did", "is", "are", "have", "has"}:
        assert "?" in prompt.text[:-1] or " or " in prompt.text, prompt.text


def test_concepts_cite_their_source() -> None:
    for prompt in load_library():
        assert "(" in prompt.concept and prompt.concept.rstrip().endswith(")"), prompt.id


def test_themes_have_labels_and_one_line_descriptions() -> None:
    listed = themes()
    assert [t.key for t in listed] == list(THEMES)
    for theme in listed:
        assert theme.label and theme.description
        assert "\n" not in theme.description and len(theme.description) <= 100


def test_library_is_cached_and_immutable() -> None:
    assert load_library() is load_library()
    prompt = load_library()[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        prompt.text = "changed?"  # type: ignore[misc]


def test_library_file_is_a_package_resource() -> None:
    resource = resources.files("bot.prompts").joinpath("library.toml")
    assert resource.is_file()


def test_lookups() -> None:
    assert get_prompt("goals-01") is not None
    assert get_prompt("no-such-prompt") is None
    trust = prompts_for("trust")
    assert trust and all(p.theme == "trust" for p in trust)
    with pytest.raises(KeyError):
        prompts_for("weather")


# --------------------------------------------------------------------------- validation


def _toml(*entries: dict[str, str], fill_themes: bool = True) -> str:
    rows = list(entries)
    if fill_themes:
        rows += [
            {"id": f"{key}-99", "theme": key, "concept": "c (x)", "text": f"About {key}?"}
            for key in THEMES
        ]
    parts = []
    for row in rows:
        body = "\n".join(f"{k} = {v!r}" if k != "text" else f'{k} = "{v}"' for k, v in row.items())
        parts.append(f"[[prompt]]\n{body}\n")
    return "\n".join(parts)


def _good(**changes: str) -> dict[str, str]:
    row = {"id": "goals-50", "theme": "goals", "concept": "c (x)", "text": "What now?"}
    row.update(changes)
    return row


def test_a_good_library_parses() -> None:
    prompts = parse_library(_toml(_good()))
    assert prompts[0] == LibraryPrompt("goals-50", "goals", "c (x)", "What now?")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("this is = not toml [", "isn't valid TOML"),
        ("", "no [[prompt]] entries"),
        (_toml(_good(), _good(text="Another?")), "“goals-50” is used more than once"),
        (_toml(_good(), _good(id="goals-51", text="what  NOW?")), "have the same text"),
        (_toml(_good(theme="weather")), "unknown theme “weather”"),
        (_toml(_good(text="")), "text should be non-empty"),
        (_toml(_good(concept="  ")), "concept should be non-empty"),
        (_toml(_good(text="x" * 300 + "?")), "has 301 characters; the most is 300"),
        (_toml(_good(text="Tell us more.")), "ending with “?”"),
        (_toml(_good(id="Goals 1")), "lower-case slug"),
        (_toml(_good(txt="oops")), "unknown txt"),
        (_toml({"id": "goals-50", "theme": "goals", "text": "Why?"}), "missing concept"),
        (_toml(_good(), fill_themes=False), "No prompts for the theme"),
    ],
)
def test_a_broken_library_is_refused_clearly(source: str, message: str) -> None:
    with pytest.raises(PromptLibraryError, match=re.escape(message)):
        parse_library(source)


def test_sensitive_is_an_optional_flag() -> None:
    prompts = parse_library(
        _toml(_good()) + '\n[[prompt]]\nid = "goals-51"\ntheme = "goals"\n'
        'concept = "c (x)"\ntext = "Who holds back?"\nsensitive = true\n'
    )
    assert not prompts[0].sensitive
    assert next(p for p in prompts if p.id == "goals-51").sensitive
    with pytest.raises(PromptLibraryError, match="sensitive should be true or false"):
        parse_library(
            _toml(_good()) + '\n[[prompt]]\nid = "goals-52"\ntheme = "goals"\n'
            'concept = "c (x)"\ntext = "Who holds back?"\nsensitive = "yes"\n'
        )


# --------------------------------------------------------------------------- the library's own


def test_power_hidden_tensions_and_unsaid_things_are_sensitive() -> None:
    sensitive = {p.id for p in load_library() if p.sensitive}
    assert {p.id for p in prompts_for("power")} <= sensitive
    # Unstated goals, aims pulling against the partnership, slipped commitments, holding back.
    assert {"goals-02", "goals-03", "trust-04", "communication-05"} <= sensitive
    assert not get_prompt("goals-01").sensitive  # type: ignore[union-attr]
    assert not any(p.sensitive for p in prompts_for("small_wins"))


def _prompt(prompt_id: str) -> LibraryPrompt:
    found = get_prompt(prompt_id)
    assert found is not None, prompt_id
    return found


def test_corrected_prompts_ask_openly_and_draw_on_the_right_concept() -> None:
    # Openness to discussion is a dimension of trust in PARTNER, not an arc of the loop.
    comms = _prompt("communication-05")
    assert "PARTNER" in comms.concept and "loop" not in comms.concept
    assert "open" in comms.text
    # Money is one resource among several, and silence is not assumed.
    power = _prompt("power-04")
    assert "money" in power.text and "feel able to say" not in power.text
    # Trust is managed while it is built; more reliance is not the goal.
    trust = _prompt("trust-03")
    assert "managing trust" in trust.concept and "a little more" not in trust.text
    assert "manage" in trust.text
    # Leadership not in members' hands: what steers the work that nobody here chose.
    leadership = _prompt("leadership-05")
    assert "not always in members' hands" in leadership.concept
    assert "none of us chose" in leadership.text
    # Co-production: the relationships of Sancino & Jacklin-Jarvis, co-design, and the levels.
    relationship = _prompt("coproduction-03")
    assert "Sancino & Jacklin-Jarvis 2016" in relationship.concept
    for word in ("lead to", "possible", "complement", "substitute"):
        assert word in relationship.text, word
    assert "designing" in _prompt("coproduction-04").text
    levels = _prompt("coproduction-05")
    assert "levels of co-production" in levels.concept
    for word in ("individuals", "group", "community"):
        assert word in levels.text, word
    assert "time, money, place" not in levels.text  # the barriers question is gone
    # Goals that need the partnership: the relevance dimension of the tangled web.
    goals = _prompt("goals-01")
    assert "relevance" in goals.concept and "Vangen & Huxham 2012" in goals.concept
    assert "on its own" in goals.text


def test_sources_are_cited_as_published() -> None:
    concepts = [p.concept for p in load_library()]
    assert not any("Sicilia & Sancino" in c for c in concepts)
    nabatchi = [c for c in concepts if "Nabatchi" in c]
    assert nabatchi and all("Nabatchi, Sancino & Sicilia 2017" in c for c in nabatchi)
    inertia = [c for c in concepts if "collaborative inertia" in c]
    assert inertia and all("Huxham & Vangen 2004; 2005" in c for c in inertia)
