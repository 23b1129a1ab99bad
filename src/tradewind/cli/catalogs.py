"""Message catalogs: extract every marked string, update the ``.po`` files, check, count.

``tradewind i18n update`` is ``pybabel extract`` + ``pybabel update`` with the options that let
several people edit catalogs at once and merge cleanly: no source locations, entries sorted by
message id, no fuzzy guesses, no obsolete entries kept, and a fixed creation date (so an update
with no new strings changes no byte). ``check`` lists what a test must refuse: entries missing
from a catalog or left over in it, untranslated or fuzzy entries in a required language, and
placeholders that differ from the English.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from tradewind.kernel import i18n

PACKAGE_DIR = Path(i18n.__file__).resolve().parent.parent
# Every interface string must be translated into these (the check fails otherwise).
REQUIRED_LANGUAGES = ("he", "zh_Hans")
CATALOG_LANGUAGES = tuple(lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT_LANGUAGE)
METHOD_MAP = [
    ("locale/**", "ignore"),
    ("**/templates/**.html", "jinja2"),
    ("**.py", "python"),
]
OPTIONS_MAP = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
FIXED_DATE = datetime(2026, 12, 2, tzinfo=UTC)
PO_WIDTH = 100


def extract() -> Catalog:
    """The template: every message marked in the package's Python code and templates."""
    template = Catalog(project="Tradewind", creation_date=FIXED_DATE, fuzzy=False)
    found = extract_from_dir(
        str(PACKAGE_DIR),
        method_map=METHOD_MAP,
        options_map=OPTIONS_MAP,
        keywords=DEFAULT_KEYWORDS,
        strip_comment_tags=True,
    )
    for _filename, _lineno, message, comments, context in found:
        template.add(message, None, auto_comments=comments, context=context)
    return template


def read(language: str) -> Catalog:
    path = i18n.catalog_path(language)
    if not path.is_file():
        return Catalog(locale=language, project="Tradewind", creation_date=FIXED_DATE)
    with path.open("rb") as fh:
        return read_po(fh, locale=language)


def serialize(catalog: Catalog) -> bytes:
    buffer = BytesIO()
    write_po(
        buffer,
        catalog,
        width=PO_WIDTH,
        no_location=True,
        sort_output=True,
        ignore_obsolete=True,
        include_previous=False,
    )
    return buffer.getvalue()


def update() -> dict[str, int]:
    """Bring every catalog in line with the code; returns the new entries per language."""
    template = extract()
    added: dict[str, int] = {}
    for language in CATALOG_LANGUAGES:
        catalog = read(language)
        before = {_key(m) for m in catalog if m.id}
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        _stable_header(catalog)
        added[language] = len({_key(m) for m in catalog if m.id} - before)
        path = i18n.catalog_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(serialize(catalog))
    return added


def _stable_header(catalog: Catalog) -> None:
    """Header fields that do not change from one run (or one developer) to the next."""
    catalog.fuzzy = False
    catalog.version = "1"
    catalog.copyright_holder = "Tradewind contributors"
    catalog.msgid_bugs_address = "https://github.com/tradewind/tradewind/issues"
    catalog.last_translator = "Tradewind contributors"
    catalog.language_team = f"{catalog.locale_identifier}"
    catalog.revision_date = FIXED_DATE


def _key(message: Message) -> tuple[str, str | None]:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return msgid, message.context


def _translated(message: Message) -> bool:
    if message.fuzzy:
        return False
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return all(bool(s) for s in strings)


@dataclass(frozen=True)
class Stats:
    language: str
    translated: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 if self.total == 0 else 100.0 * self.translated / self.total


def stats() -> list[Stats]:
    template = extract()
    wanted = {_key(m) for m in template if m.id}
    result = []
    for language in CATALOG_LANGUAGES:
        catalog = read(language)
        done = sum(1 for m in catalog if m.id and _key(m) in wanted and _translated(m))
        result.append(Stats(language, done, len(wanted)))
    return result


def check() -> list[str]:
    """Every problem with the catalogs, in words; empty when they are current and complete."""
    template = extract()
    wanted = {_key(m) for m in template if m.id}
    problems: list[str] = []
    for language in CATALOG_LANGUAGES:
        catalog = read(language)
        have = {_key(m) for m in catalog if m.id}
        for msgid, _ctx in sorted(wanted - have, key=str):
            problems.append(
                f"{language}: not in the catalog (run tradewind i18n update): {msgid!r}"
            )
        for msgid, _ctx in sorted(have - wanted, key=str):
            problems.append(
                f"{language}: no longer in the code (run tradewind i18n update): {msgid!r}"
            )
        path = i18n.catalog_path(language)
        if path.is_file() and path.read_bytes() != serialize(catalog):
            problems.append(f"{language}: {path.name} is not in canonical form (run update)")
        for message in catalog:
            if not message.id:
                continue
            if language in REQUIRED_LANGUAGES and not _translated(message):
                problems.append(f"{language}: untranslated or fuzzy: {_key(message)[0]!r}")
            for error in message.check(catalog):
                problems.append(f"{language}: {_key(message)[0]!r}: {error}")
    return problems
