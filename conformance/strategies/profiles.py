"""Generation profiles: what "a value" looks like.

- ``default``: anything the schema allows, small, ASCII-leaning text.
- ``typical``: shaped like real OpenAI traffic — ids with the right prefixes, plausible
  timestamps, model names, readable text — and fixed up to satisfy the semantic rules
  (``conformance.validate.semantics``) JSON Schema cannot say.
- ``edge``: boundaries and oddities that stay valid — empty and very long strings, text beyond
  the BMP, null wherever nullable, every optional field omitted or all present, arrays at their
  size limits, extreme numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError

__all__ = ["DEFAULT", "EDGE", "PROFILES", "TYPICAL", "Profile", "get_profile"]


@dataclass(frozen=True)
class Profile:
    """Knobs of the schema → strategy compiler."""

    name: str
    max_extra_items: int = 3  # items above minItems
    max_string: int = 24  # characters when the schema sets no maxLength
    realistic: bool = False  # OpenAI-shaped ids, timestamps, models, words
    boundaries: bool = False  # prefer limits: sizes, numbers, nulls, all-or-no optional fields
    unicode: bool = False  # text beyond ASCII, incl. astral planes
    semantic: bool = False  # apply the semantic fix-ups after generation
    long_string: int = 2048  # length of a "very long" string in the edge profile


DEFAULT = Profile("default")
TYPICAL = Profile("typical", realistic=True, semantic=True, max_extra_items=2)
EDGE = Profile("edge", boundaries=True, unicode=True, max_extra_items=4)
PROFILES = {p.name: p for p in (DEFAULT, TYPICAL, EDGE)}


def get_profile(profile: str | Profile) -> Profile:
    """A profile by name (``default``, ``typical``, ``edge``) or the profile given.

    >>> get_profile("edge").boundaries
    True
    """
    if isinstance(profile, Profile):
        return profile
    try:
        return PROFILES[profile]
    except KeyError:
        raise InputError(f"unknown profile {profile!r} (known: {', '.join(PROFILES)})") from None
