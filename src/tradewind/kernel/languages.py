"""Languages of product content: which texts a product may carry, and the fallback order.

Product titles and descriptions are kept per language (ISO 639-1 codes). A reader asks for one
language and gets the first text that exists along :func:`fallback_chain`: the requested
language, then the product's own (the one its seller wrote it in), then English.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

CONTENT_LANGUAGES: tuple[str, ...] = ("en", "he", "zh", "de")
DEFAULT_LANGUAGE = "en"


def content_language(raw: str | None) -> str | None:
    """``he``, ``he-IL``, ``zh_Hans_CN`` -> the content language, or None if not one we keep."""
    if not raw:
        return None
    code = raw.strip().replace("_", "-").split("-", 1)[0].lower()
    return code if code in CONTENT_LANGUAGES else None


def fallback_chain(requested: str, own: str) -> tuple[str, ...]:
    chain: list[str] = []
    for language in (requested, own, DEFAULT_LANGUAGE):
        if language not in chain:
            chain.append(language)
    return tuple(chain)


@dataclass(frozen=True, slots=True)
class ShownText:
    """The title and description a reader sees, each from the first language that has it."""

    title: str
    title_language: str
    description: str
    original_title: str
    original_language: str

    @property
    def translated(self) -> bool:
        return self.title_language != self.original_language


def choose_text(
    requested: str,
    own: str,
    original: tuple[str, str],
    translations: Mapping[str, tuple[str, str]],
) -> ShownText:
    """Pick along the fallback chain; ``original`` is (title, description) in ``own``."""
    texts = {**translations, own: original}
    chain = fallback_chain(requested, own)
    title_language = next((lang for lang in chain if texts.get(lang, ("", ""))[0]), own)
    description = next((texts[lang][1] for lang in chain if texts.get(lang, ("", ""))[1]), "")
    return ShownText(
        title=texts[title_language][0],
        title_language=title_language,
        description=description,
        original_title=original[0],
        original_language=own,
    )
