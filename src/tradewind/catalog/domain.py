"""Pure catalog rules: GTIN check digits, HS codes, categories, seller and offer states."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from tradewind.kernel.errors import FieldError, IllegalTransition, InvalidInput
from tradewind.kernel.i18n import N_
from tradewind.kernel.problems import ProblemCode
from tradewind.kernel.text import is_ascii_digits

GTIN_LENGTHS = frozenset({8, 12, 13, 14})
MAX_TITLE_LEN = 500
MAX_PRICE_MINOR = 10**12  # a hard ceiling: no listing costs more than 10^10 major units
MAX_STOCK = 1_000_000
MAX_HANDLING_DAYS = 30
MAX_WEIGHT_G = 1_000_000  # one tonne: more is freight, not a parcel
MAX_DIMENSION_MM = 10_000
MAX_VERSION = 2**31 - 2  # versions live in 32-bit columns and the next one must fit too
_HS_RE = re.compile(r"^[0-9]{6}$")  # not \d: that also matches other scripts' digits


class SellerStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REJECTED = "rejected"  # the application was refused, with a reason the seller sees


_SELLER_TRANSITIONS = {
    (SellerStatus.PENDING, "approve"): SellerStatus.ACTIVE,
    (SellerStatus.PENDING, "reject"): SellerStatus.REJECTED,
    (SellerStatus.ACTIVE, "suspend"): SellerStatus.SUSPENDED,
    (SellerStatus.PENDING, "suspend"): SellerStatus.SUSPENDED,
    (SellerStatus.SUSPENDED, "reinstate"): SellerStatus.ACTIVE,
}


def seller_transition(current: SellerStatus, action: str) -> SellerStatus:
    target = _SELLER_TRANSITIONS.get((current, action))
    if target is None:
        verb = action + ("d" if action.endswith("e") else "ed")
        raise IllegalTransition(f"a {current.value} seller cannot be {verb}")
    return target


class OfferStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class Condition(StrEnum):
    NEW = "new"
    REFURBISHED = "refurbished"
    USED = "used"


def gtin_check_digit(body: str) -> int:
    """GS1 mod-10 check digit for the digits before it (weights 3,1,3,... from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def is_valid_gtin(code: str) -> bool:
    return (
        is_ascii_digits(code)
        and len(code) in GTIN_LENGTHS
        and gtin_check_digit(code[:-1]) == int(code[-1])
    )


def normalize_gtin(raw: str) -> str:
    """Validate a GTIN-8/12/13/14 and return it as GTIN-14 (the form that compares equal)."""
    code = raw.strip().replace(" ", "").replace("-", "")
    if not is_valid_gtin(code):
        raise InvalidInput(
            f"{raw!r} is not a valid GTIN (8, 12, 13 or 14 digits with a GS1 check digit)",
            errors=[FieldError("gtin", "bad length or check digit", "invalid_gtin")],
        )
    return code.zfill(14)


def validate_hs_code(raw: str) -> str:
    if not _HS_RE.fullmatch(raw):
        raise InvalidInput(
            "HS code must be 6 digits",
            errors=[FieldError("hs_code", "must be 6 digits", "invalid_hs_code")],
        )
    return raw


def validate_price(price_minor: int) -> int:
    if not 0 < price_minor <= MAX_PRICE_MINOR:
        raise InvalidInput(
            "price must be positive and at most 10^12 minor units",
            errors=[FieldError("price_minor", "out of range", "invalid_price")],
        )
    return price_minor


def validate_weight_and_size(weight_g: int, dimensions_mm: dict[str, int]) -> None:
    """The same limits for the API, the listing form and the CSV import."""
    if not 0 < weight_g <= MAX_WEIGHT_G:
        raise InvalidInput(
            f"weight must be 1 to {MAX_WEIGHT_G} grams",
            code=ProblemCode.INVALID_WEIGHT,
            errors=[FieldError("weight_g", "out of range", "invalid_weight")],
        )
    for field, value in dimensions_mm.items():
        if not 0 <= value <= MAX_DIMENSION_MM:
            raise InvalidInput(
                f"{field} must be 0 to {MAX_DIMENSION_MM} mm",
                code=ProblemCode.INVALID_DIMENSION,
                errors=[FieldError(field, "out of range", "invalid_dimension")],
            )


def validate_version(version: int) -> int:
    if not 1 <= version <= MAX_VERSION:
        raise InvalidInput(
            "version must be the offer's current version",
            errors=[FieldError("version", "out of range", "invalid_version")],
        )
    return version


def validate_stock(stock: int) -> int:
    if not 0 <= stock <= MAX_STOCK:
        raise InvalidInput(
            f"stock must be 0 to {MAX_STOCK}",
            errors=[FieldError("stock", "out of range", "invalid_stock")],
        )
    return stock


@dataclass(frozen=True, slots=True)
class CategoryRule:
    category: str
    hs_code: str
    keywords: tuple[str, ...]


# Keywords are matched as whole words (an optional plural "s"/"es"), never inside another word:
# "ink" must not find "ThinkBook", nor "phone" "Headphones". The rules' order only breaks ties.
# HS codes are the usual WCO subheadings for each kind of good; sellers can override per product.
CATEGORY_RULES: tuple[CategoryRule, ...] = (
    CategoryRule(
        N_("Printer supplies"),
        "844399",
        (
            "toner",
            "ink cartridge",
            "ink",
            "drum",
            "fuser",
            "maintenance kit",
            "transfer kit",
            "print head",
            "ribbon",
        ),
    ),
    CategoryRule(
        N_("Laptops"),
        "847130",
        (
            "notebook",
            "laptop",
            "chromebook",
            "netbook",
            "ultrabook",
            "2-in-1",
            "mobile workstation",
        ),
    ),
    CategoryRule(N_("Tablets"), "847130", ("tablet", "ipad")),
    CategoryRule(N_("Processors"), "854231", ("processor", "cpu")),
    CategoryRule(
        N_("Motherboards"), "847330", ("motherboard", "desktop board", "server board", "mainboard")
    ),
    CategoryRule(N_("Memory"), "847330", ("memory module", "dimm", "so-dimm", "ram")),
    CategoryRule(
        N_("Storage"),
        "847170",
        (
            "ssd",
            "hdd",
            "hard drive",
            "hard disk",
            "nas",
            "flash drive",
            "usb flash drive",
            "memory card",
            "microsd",
            "sd card",
            "optical disc drive",
        ),
    ),
    CategoryRule(N_("Graphics cards"), "847330", ("graphics card", "video card")),
    CategoryRule(
        N_("Desktops"),
        "847150",
        ("desktop", "workstation", "all-in-one", "pc", "mini pc", "barebone", "server"),
    ),
    CategoryRule(N_("Monitors"), "852852", ("monitor", "display")),
    CategoryRule(N_("TVs"), "852872", ("tv", "television")),
    CategoryRule(N_("Printers"), "844332", ("printer", "multifunction", "scanner", "copier")),
    CategoryRule(N_("Phones"), "851713", ("smartphone", "mobile phone", "phone", "dect")),
    CategoryRule(
        N_("Headphones"),
        "851830",
        ("headphone", "headset", "earphone", "earbud", "in-ear headphone"),
    ),
    CategoryRule(N_("Speakers"), "851822", ("speaker", "soundbar", "subwoofer")),
    CategoryRule(N_("Cameras"), "852589", ("camera", "camcorder", "webcam", "lens")),
    CategoryRule(
        N_("Networking"),
        "851762",
        ("router", "switch", "access point", "network", "modem", "wireless lan", "ethernet"),
    ),
    CategoryRule(N_("Cables and adapters"), "854442", ("cable", "adapter", "connector", "hub")),
    CategoryRule(
        N_("Batteries and power"),
        "850760",
        ("battery", "batteries", "power bank", "ups", "power supply", "charger"),
    ),
    CategoryRule(N_("Keyboards and mice"), "847160", ("keyboard", "mouse", "mice", "trackball")),
    CategoryRule(N_("Bags and cases"), "420212", ("bag", "case", "sleeve", "backpack")),
    CategoryRule(N_("Security locks"), "830140", ("lock", "cable lock")),
    CategoryRule(N_("Coffee machines"), "851671", ("coffee", "espresso")),
)
DEFAULT_CATEGORY = CategoryRule(N_("Other electronics"), "854370", ())
# The category names the catalog itself gives (translated on pages; a seller's own is data).
CATEGORY_NAMES = frozenset(rule.category for rule in (*CATEGORY_RULES, DEFAULT_CATEGORY))
# Words after which a title talks about something else ("case for laptop").
_BREAKS = frozenset(
    {"for", "with", "compatible", "fits", "incl", "including", "-", "\u2013", "\u2014"}
)
# "1 pc(s)", "2000 pcs.", "1000 pcs Jigsaw puzzle": a count of pieces, not a PC.
_PACK_COUNT = re.compile(r"\bpc\(s\)|(?<=\d)\s*pcs?\b\.?", re.IGNORECASE)
# Keywords so general that a kind right before them names the product: "Notebook PC" is a
# notebook, "Tablet PC" a tablet; "ASUS ROG PC" alone is a desktop.
_GENERIC_KEYWORDS = frozenset({"pc"})


@cache
def _keyword_patterns() -> tuple[tuple[re.Pattern[str], CategoryRule], ...]:
    return tuple(
        (re.compile(r"(?<![\w-])" + re.escape(keyword) + r"(?:e?s)?(?![\w-])"), rule)
        for rule in CATEGORY_RULES
        for keyword in rule.keywords
    )


def _lead(title: str) -> str:
    """The title's leading noun phrase: up to "for"/"with", a comma, or a number after a kind."""
    words: list[str] = []
    named = False
    for word in _PACK_COUNT.sub(" ", title).replace("/", " ").split():
        low = word.lower().strip(",;")
        if low in _BREAKS or (named and any(ch.isdigit() for ch in word)):
            break
        words.append(low)
        named = named or any(p.search(low) for p, _ in _keyword_patterns())
        if word.endswith((",", ";")):
            break
    return " ".join(words)


def _last_match(text: str) -> CategoryRule | None:
    """The rule of the keyword that ends last in ``text`` (a noun phrase's head is its end),
    unless it is a generic one ("PC") right after another kind ("Notebook PC")."""
    found: list[tuple[int, int, int, CategoryRule, str]] = []
    for order, (pattern, rule) in enumerate(_keyword_patterns()):
        for match in pattern.finditer(text):
            found.append((match.end(), -order, match.start(), rule, match.group().lower()))
    if not found:
        return None
    found.sort(key=lambda item: item[:2], reverse=True)
    _, _, start, rule, word = found[0]
    if word.rstrip("s") in _GENERIC_KEYWORDS:
        before = [f for f in found[1:] if f[0] <= start and text[f[0] : start].strip() == ""]
        if before:
            return before[0][3]
    return rule


def categorize(title: str, product_type: str | None = None) -> CategoryRule:
    """Guess a category and HS code from a product's title and type (import-time default).

    The product type wins when it names a category; else the head of the title's leading noun
    phrase ("Kensington Laptop Lock" is a lock, "Philips PC Headset" a headset); else the first
    category a word before "for"/"with" names ("FireWire for Laptop" is no laptop).
    """
    for text in (f" {product_type or ''} ".lower(), _lead(title)):
        rule = _last_match(text)
        if rule is not None:
            return rule
    words = []
    for word in _PACK_COUNT.sub(" ", title).lower().split():
        if word in _BREAKS:
            break
        words.append(word)
    haystack = " ".join(words)
    for pattern, rule in _keyword_patterns():
        if pattern.search(haystack):
            return rule
    return DEFAULT_CATEGORY
