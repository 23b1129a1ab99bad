"""The double-entry ledger, as pure values: accounts, postings, transactions and their builders.

Sign convention: a posting's ``amount_minor`` is positive for a DEBIT and negative for a CREDIT,
so a transaction balances when its postings sum to zero, per currency. A balance is the signed
sum of an account's postings. Asset accounts (``psp:clearing``, ``seller:*:receivable``) carry
debit (positive) balances; liability and revenue accounts (``order:*:escrow``,
``seller:*:payable``, ``platform:commission``) carry credit (negative) balances, so the money an
escrow holds is ``-balance``.

Accounts hold one currency each. An account's identity is ``(name, currency)``; the names of
platform-wide accounts that exist in every currency embed it (``psp:clearing:USD``) so that a
name still maps to one currency, and :func:`check_invariants` reports any name seen in two.

Money movements (brief, "Ledger")::

    capture               Dr psp:clearing:B          Cr order:{id}:escrow
    release               Dr order:{id}:escrow       Cr seller:{id}:payable (amount - commission)
                                                     Cr platform:commission:B
    release_with_fx       Dr order:{id}:escrow (B)   Cr platform:fx:B                    [B]
                          Dr platform:fx:S           Cr seller:{id}:payable, platform:commission:S
    refund_from_escrow    Dr order:{id}:escrow       Cr psp:clearing:B
    refund_after_payout   Dr seller:{id}:receivable  Cr psp:clearing:B (clawback)
    unapplied_capture     Dr psp:clearing:C          Cr platform:suspense:C (held, not applied)
    unapplied_refund      Dr platform:suspense:C     Cr psp:clearing:C (given back to the buyer)
    payout                Dr seller:{id}:payable     Cr psp:clearing:S (and Cr receivable, netting)
    processor_fee         Dr platform:processor_fees:C  Cr psp:clearing:C (the processor's fee)
    chargeback            Dr platform:chargebacks:C  Cr psp:clearing:C (the network pulled it)
    chargeback_reversal   Dr psp:clearing:C          Cr platform:chargebacks:C (won: returned)
    chargeback_lost       Dr platform:chargeback_losses:C and/or seller:{id}:receivable
                          (through platform:fx:* across currencies)  Cr platform:chargebacks:C
    reverse               every posting of a transaction with its sign flipped

Chargebacks (a card network pulling funds back) are a flow of their own, distinct from
disputes, which are platform claims settled by the refunds above. Entries are append-only;
a mistake is corrected with :func:`reverse`, never an update.

Errors: a malformed transaction is a programming bug, not user input, so it raises
:class:`LedgerInvariantError` (a plain ``Exception``; the web layer should answer 500).
Amounts a user may have typed (zero refunds, wrong currency) raise ``InvalidInput`` subclasses.
An idempotency key that is already written with different postings raises
:class:`LedgerKeyReused` (a ``Conflict``, 409, code ``ledger_key_reused``) whose ``reason`` says
what differs, after TigerBeetle's ``exists_with_different_*`` results::

    LedgerInvariantError
    └── UnbalancedTransaction
    Conflict
    └── LedgerKeyReused        reason: KeyReuse (kind, currency, accounts, amounts, references)
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from tradewind.kernel.errors import Conflict, FieldError, InvalidInput
from tradewind.kernel.problems import ProblemCode
from tradewind.money.allocation import split_commission
from tradewind.money.amount import Money
from tradewind.money.currency import validate_currency

MAX_IDEMPOTENCY_KEY_LEN = 200
MAX_KIND_LEN = 50
MAX_MEMO_LEN = 500
MAX_POSTINGS = 100
MAX_ID_LEN = 64
MAX_ACCOUNT_LEN = 150
_ID_RE = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)
_ACCOUNT_RE = re.compile(r"[a-z]+(?::[A-Za-z0-9_-]+)+", re.ASCII)
_KIND_RE = re.compile(r"[a-z][a-z0-9_]*", re.ASCII)
_CURRENCY_NAMED_RE = re.compile(r"(?:psp|platform):[a-z_]+:([A-Z]{3})", re.ASCII)

AccountKey = tuple[str, str]
"""``(account name, currency)``: the identity of an account."""


class LedgerInvariantError(Exception):
    """A transaction or a ledger breaks a double-entry rule: a bug in the caller, not bad input."""


class UnbalancedTransaction(LedgerInvariantError):
    """The postings of one currency in a transaction do not sum to zero."""


class KeyReuse(StrEnum):
    """What differs between a written transaction and a new one under the same key.

    Checked in this order; the first difference found is the one reported. The memo is not
    compared: it describes the money, it does not move it, and its wording may change.
    """

    KIND = "exists_with_different_kind"
    CURRENCY = "exists_with_different_currency"
    ACCOUNTS = "exists_with_different_accounts"
    AMOUNTS = "exists_with_different_amounts"
    REFERENCES = "exists_with_different_references"


class LedgerKeyReused(Conflict):
    """A transaction with this idempotency key is written, and it is not this one.

    An exact repeat is not an error (posting is idempotent); a different transaction under a
    used key is, because silently keeping the first would hide a wrong amount or account.
    """

    code = ProblemCode.LEDGER_KEY_REUSED
    title = "Ledger idempotency key reused with a different transaction"

    def __init__(self, idempotency_key: str, reason: KeyReuse) -> None:
        super().__init__(f"ledger key {idempotency_key!r}: {reason.value}")
        self.idempotency_key = idempotency_key
        self.reason = reason


class TxKind(StrEnum):
    CAPTURE = "capture"
    RELEASE = "release"
    RELEASE_FX = "release_fx"
    REFUND_FROM_ESCROW = "refund_from_escrow"
    REFUND_AFTER_PAYOUT = "refund_after_payout"
    REFUND_AFTER_PAYOUT_FX = "refund_after_payout_fx"
    PAYOUT = "payout"
    RECEIVABLE_NETTING = "receivable_netting"
    REVERSAL = "reversal"
    UNAPPLIED_CAPTURE = "unapplied_capture"
    UNAPPLIED_REFUND = "unapplied_refund"
    PROCESSOR_FEE = "processor_fee"
    CHARGEBACK = "chargeback"
    CHARGEBACK_REVERSAL = "chargeback_reversal"
    CHARGEBACK_LOST = "chargeback_lost"
    PROMOTION_FUNDING = "promotion_funding"
    PROMOTION_CLAWBACK = "promotion_clawback"
    PROMOTION_CLAWBACK_FX = "promotion_clawback_fx"


# --- account names -------------------------------------------------------------------------


def psp_clearing(currency: str) -> str:
    """Money the payment processor holds for us, in ``currency`` (asset)."""
    return f"psp:clearing:{validate_currency(currency)}"


def order_escrow(order_id: str) -> str:
    """Money captured for one order and not yet released or refunded (liability)."""
    return f"order:{_id(order_id, 'order_id')}:escrow"


def seller_payable(seller_id: str) -> str:
    """Money released to a seller and not yet paid out (liability)."""
    return f"seller:{_id(seller_id, 'seller_id')}:payable"


def seller_receivable(seller_id: str) -> str:
    """Money a seller owes back after a refund of released funds (asset; netted at payout)."""
    return f"seller:{_id(seller_id, 'seller_id')}:receivable"


def platform_commission(currency: str) -> str:
    """Commission the platform earned in ``currency`` (revenue)."""
    return f"platform:commission:{validate_currency(currency)}"


def platform_customs(currency: str) -> str:
    """Duty and VAT collected at checkout (DDP, low-value regimes), owed to customs."""
    return f"platform:customs:{validate_currency(currency)}"


def platform_suspense(currency: str) -> str:
    """Cash the processor moved that no order may take: a short, mismatched, surplus or late
    capture, held for an operator or on its way back to the buyer (liability)."""
    return f"platform:suspense:{validate_currency(currency)}"


def platform_processor_fees(currency: str) -> str:
    """Fees the payment processor took from our balance in ``currency`` (expense)."""
    return f"platform:processor_fees:{validate_currency(currency)}"


def platform_promotions(currency: str) -> str:
    """What the platform paid sellers for the discounts it funded, in ``currency`` (expense)."""
    return f"platform:promotions:{validate_currency(currency)}"


def platform_fx(currency: str) -> str:
    """The platform's FX position in ``currency``; across currencies it nets to the FX result."""
    return f"platform:fx:{validate_currency(currency)}"


def platform_chargebacks(currency: str) -> str:
    """Money a card network took back and that is still contested (asset: a claim that comes
    back if the chargeback is won)."""
    return f"platform:chargebacks:{validate_currency(currency)}"


def platform_chargeback_losses(currency: str) -> str:
    """Lost chargebacks the platform bears itself (expense)."""
    return f"platform:chargeback_losses:{validate_currency(currency)}"


def _id(value: str, name: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_ID_LEN or not _ID_RE.fullmatch(value):
        raise LedgerInvariantError(f"{name} must be 1-{MAX_ID_LEN} of [A-Za-z0-9_-]: {value!r}")
    return value


# --- postings and transactions -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Posting:
    """One line of a transaction: ``amount_minor`` > 0 debits ``account``, < 0 credits it."""

    account: str
    currency: str
    amount_minor: int

    def __post_init__(self) -> None:
        Money(self.amount_minor, self.currency)  # validates the type, currency and range
        if not isinstance(self.account, str) or not _valid_account(self.account):
            raise LedgerInvariantError(f"malformed account name: {self.account!r}")
        named = _CURRENCY_NAMED_RE.fullmatch(self.account)
        if named and named.group(1) != self.currency:
            raise LedgerInvariantError(
                f"{self.account} holds {named.group(1)}, not {self.currency}"
            )

    @property
    def key(self) -> AccountKey:
        return (self.account, self.currency)

    @property
    def money(self) -> Money:
        return Money(self.amount_minor, self.currency)


def debit(account: str, amount: Money) -> Posting:
    return Posting(account, amount.currency, amount.amount_minor)


def credit(account: str, amount: Money) -> Posting:
    return Posting(account, amount.currency, -amount.amount_minor)


@dataclass(frozen=True, slots=True)
class LedgerTransaction:
    """A balanced set of postings, written at most once per ``idempotency_key``."""

    idempotency_key: str
    kind: str
    postings: tuple[Posting, ...]
    memo: str = ""

    def __post_init__(self) -> None:
        _check_key(self.idempotency_key)
        _check_kind(self.kind)
        if not isinstance(self.memo, str) or len(self.memo) > MAX_MEMO_LEN:
            raise LedgerInvariantError(f"memo must be a str of at most {MAX_MEMO_LEN} characters")
        _check_postings(self.postings)
        if breach := unbalanced_currencies(self.postings):
            raise UnbalancedTransaction(f"{self.idempotency_key}: {breach}")


def key_reuse(written: LedgerTransaction, new: LedgerTransaction) -> KeyReuse | None:
    """``None`` when ``new`` repeats ``written`` exactly (postings in any order), else what differs.

    Compares the kind, then the currencies, then the accounts, then the posted amounts as a
    multiset of ``(account, currency, amount_minor)``.
    """
    if written.kind != new.kind:
        return KeyReuse.KIND
    if {p.currency for p in written.postings} != {p.currency for p in new.postings}:
        return KeyReuse.CURRENCY
    if {p.key for p in written.postings} != {p.key for p in new.postings}:
        return KeyReuse.ACCOUNTS
    if Counter(_line(p) for p in written.postings) != Counter(_line(p) for p in new.postings):
        return KeyReuse.AMOUNTS
    return None


def _line(posting: Posting) -> tuple[str, str, int]:
    return (posting.account, posting.currency, posting.amount_minor)


def unbalanced_currencies(postings: Iterable[Posting]) -> str:
    """``""`` when the postings sum to zero in every currency, else what is off, e.g. ``USD +5``."""
    totals: dict[str, int] = defaultdict(int)
    for posting in postings:
        totals[posting.currency] += posting.amount_minor
    return ", ".join(f"{cur} {total:+d}" for cur, total in sorted(totals.items()) if total)


def _valid_account(name: str) -> bool:
    return len(name) <= MAX_ACCOUNT_LEN and _ACCOUNT_RE.fullmatch(name) is not None


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_IDEMPOTENCY_KEY_LEN:
        raise LedgerInvariantError(f"idempotency key must be 1-{MAX_IDEMPOTENCY_KEY_LEN} chars")


def _check_kind(kind: str) -> None:
    if not isinstance(kind, str) or len(kind) > MAX_KIND_LEN or not _KIND_RE.fullmatch(kind):
        raise LedgerInvariantError(f"kind must be a snake_case word: {kind!r}")


def _check_postings(postings: tuple[Posting, ...]) -> None:
    if not isinstance(postings, tuple) or not all(isinstance(p, Posting) for p in postings):
        raise LedgerInvariantError("postings must be a tuple of Posting")
    if not 2 <= len(postings) <= MAX_POSTINGS:
        raise LedgerInvariantError(f"a transaction has 2..{MAX_POSTINGS} postings")
    if any(p.amount_minor == 0 for p in postings):
        raise LedgerInvariantError("a posting of zero moves nothing; leave it out")
    currency_of: dict[str, str] = {}
    for posting in postings:
        if currency_of.setdefault(posting.account, posting.currency) != posting.currency:
            raise LedgerInvariantError(f"{posting.account} posted in two currencies")


def _transaction(key: str, kind: TxKind, memo: str, *postings: Posting) -> LedgerTransaction:
    """Build a transaction, leaving out zero postings (e.g. a 0% commission)."""
    kept = tuple(p for p in postings if p.amount_minor != 0)
    return LedgerTransaction(key, kind.value, kept, memo[:MAX_MEMO_LEN])


# --- builders: one per money movement ------------------------------------------------------


def capture(order_id: str, amount: Money, idempotency_key: str) -> LedgerTransaction:
    """The PSP captured the buyer's payment; it is held in the order's escrow."""
    _positive(amount)
    return _transaction(
        idempotency_key,
        TxKind.CAPTURE,
        f"capture {amount} for order {order_id}",
        debit(psp_clearing(amount.currency), amount),
        credit(order_escrow(order_id), amount),
    )


def release(
    order_id: str, seller_id: str, amount: Money, commission_rate_bps: int, idempotency_key: str
) -> LedgerTransaction:
    """Escrow goes to the seller, minus the platform's commission (split exactly)."""
    _positive(amount)
    seller_minor, commission_minor = split_commission(amount.amount_minor, commission_rate_bps)
    return _transaction(
        idempotency_key,
        TxKind.RELEASE,
        f"release {amount} of order {order_id} to seller {seller_id}",
        debit(order_escrow(order_id), amount),
        credit(seller_payable(seller_id), Money(seller_minor, amount.currency)),
        credit(platform_commission(amount.currency), Money(commission_minor, amount.currency)),
    )


def release_with_fx(
    order_id: str,
    seller_id: str,
    escrow_amount: Money,
    seller_amount: Money,
    commission_rate_bps: int,
    idempotency_key: str,
) -> LedgerTransaction:
    """Release when the buyer paid in B but the seller is paid in S.

    The platform buys S with B: the escrow (B) moves to ``platform:fx:B`` and
    ``platform:fx:S`` funds the seller's payable and the commission in S. Each currency balances
    on its own; ``platform:fx:B`` grows by what the buyer paid and ``platform:fx:S`` shrinks by
    what the seller is owed, so their difference, valued at any rate, is the platform's FX
    result (the spread it charged, plus or minus market moves until it settles). The commission
    is taken on ``seller_amount`` in S, the seller's own price. ``seller_amount`` comes from the
    order's FX snapshot; it is never re-converted at today's rate.
    """
    _positive(escrow_amount)
    _not_negative(seller_amount)
    _different_currencies(escrow_amount, seller_amount)
    seller_minor, commission_minor = split_commission(
        seller_amount.amount_minor, commission_rate_bps
    )
    cur = seller_amount.currency
    # A seller share that rounds to zero (one minor unit of KWD against a JPY price) leaves
    # the seller's side out; the escrow still moves, so nothing stays frozen.
    return _transaction(
        idempotency_key,
        TxKind.RELEASE_FX,
        f"release {escrow_amount} of order {order_id} as {seller_amount} to seller {seller_id}",
        debit(order_escrow(order_id), escrow_amount),
        credit(platform_fx(escrow_amount.currency), escrow_amount),
        debit(platform_fx(cur), seller_amount),
        credit(seller_payable(seller_id), Money(seller_minor, cur)),
        credit(platform_commission(cur), Money(commission_minor, cur)),
    )


def refund_from_escrow(order_id: str, amount: Money, idempotency_key: str) -> LedgerTransaction:
    """Refund (full or partial) before release: the money goes back out of escrow."""
    _positive(amount)
    return _transaction(
        idempotency_key,
        TxKind.REFUND_FROM_ESCROW,
        f"refund {amount} of order {order_id} from escrow",
        debit(order_escrow(order_id), amount),
        credit(psp_clearing(amount.currency), amount),
    )


def unapplied_capture(
    provider_payment_id: str, amount: Money, idempotency_key: str
) -> LedgerTransaction:
    """The processor captured ``amount`` that pays no order (yet): the ledger still mirrors the
    processor, and the money waits in suspense, in the currency it came in."""
    _positive(amount)
    return _transaction(
        idempotency_key,
        TxKind.UNAPPLIED_CAPTURE,
        f"unapplied capture of {amount} on payment {provider_payment_id}",
        debit(psp_clearing(amount.currency), amount),
        credit(platform_suspense(amount.currency), amount),
    )


def refund_unapplied(
    provider_payment_id: str, amount: Money, idempotency_key: str
) -> LedgerTransaction:
    """Money held in suspense goes back to the buyer through the processor."""
    _positive(amount)
    return _transaction(
        idempotency_key,
        TxKind.UNAPPLIED_REFUND,
        f"refund of unapplied {amount} on payment {provider_payment_id}",
        debit(platform_suspense(amount.currency), amount),
        credit(psp_clearing(amount.currency), amount),
    )


def processor_fee(provider_payment_id: str, fee: Money, idempotency_key: str) -> LedgerTransaction:
    """The processor kept ``fee`` of a capture: an expense, out of what it holds for us."""
    _positive(fee)
    return _transaction(
        idempotency_key,
        TxKind.PROCESSOR_FEE,
        f"processor fee {fee} on payment {provider_payment_id}",
        debit(platform_processor_fees(fee.currency), fee),
        credit(psp_clearing(fee.currency), fee),
    )


def promotion_funding(order_id: str, amount: Money, idempotency_key: str) -> LedgerTransaction:
    """The platform pays the part of an order's discounts it funds into the order's escrow at
    release, so the release that follows (same database transaction) pays the seller what it
    would have had without the platform's coupon, commission on that (decision 45)."""
    _positive(amount)
    return _transaction(
        idempotency_key,
        TxKind.PROMOTION_FUNDING,
        f"platform-funded discounts {amount} of order {order_id}",
        debit(platform_promotions(amount.currency), amount),
        credit(order_escrow(order_id), amount),
    )


def promotion_clawback(
    order_id: str, seller_id: str, amount: Money, idempotency_key: str
) -> LedgerTransaction:
    """A refund after release takes back its proportional part of the platform's funding: the
    seller owes it (receivable) and the platform's promotion cost falls by it."""
    _positive(amount)
    return _transaction(
        idempotency_key,
        TxKind.PROMOTION_CLAWBACK,
        f"platform-funded discount {amount} of order {order_id} back from seller {seller_id}",
        debit(seller_receivable(seller_id), amount),
        credit(platform_promotions(amount.currency), amount),
    )


def promotion_clawback_with_fx(
    order_id: str, seller_id: str, amount: Money, seller_amount: Money, idempotency_key: str
) -> LedgerTransaction:
    """:func:`promotion_clawback` when the seller is paid in another currency: the seller owes
    ``seller_amount`` (S) to ``platform:fx:S``; ``platform:fx:B`` gives the funding back."""
    _positive(amount)
    _not_negative(seller_amount)
    _different_currencies(amount, seller_amount)
    return _transaction(
        idempotency_key,
        TxKind.PROMOTION_CLAWBACK_FX,
        f"platform-funded discount {amount} of order {order_id} back from seller {seller_id} "
        f"as {seller_amount}",
        debit(platform_fx(amount.currency), amount),
        credit(platform_promotions(amount.currency), amount),
        debit(seller_receivable(seller_id), seller_amount),
        credit(platform_fx(seller_amount.currency), seller_amount),
    )


def refund_after_payout(
    order_id: str, seller_id: str, amount: Money, idempotency_key: str
) -> LedgerTransaction:
    """Refund after release (paid out or not): the platform pays the buyer and claws it back.

    The seller owes ``amount`` (``seller:{id}:receivable``), netted against later payouts by
    :func:`net_payout`. The commission is not given back here; whether it is, is a policy for a
    separate transaction. For a buyer paying in another currency than the seller is paid in,
    use :func:`refund_after_payout_with_fx`.
    """
    _positive(amount)
    return _transaction(
        idempotency_key,
        TxKind.REFUND_AFTER_PAYOUT,
        f"refund {amount} of order {order_id}, clawed back from seller {seller_id}",
        debit(seller_receivable(seller_id), amount),
        credit(psp_clearing(amount.currency), amount),
    )


def refund_after_payout_with_fx(
    order_id: str,
    seller_id: str,
    refund_amount: Money,
    seller_amount: Money,
    idempotency_key: str,
) -> LedgerTransaction:
    """:func:`refund_after_payout` across currencies, mirroring :func:`release_with_fx`.

    The buyer gets ``refund_amount`` (B) from ``platform:fx:B``; the seller owes
    ``seller_amount`` (S, from the order's snapshot) to ``platform:fx:S``.
    """
    _positive(refund_amount)
    _not_negative(seller_amount)  # may round to zero: then the platform bears it alone
    _different_currencies(refund_amount, seller_amount)
    return _transaction(
        idempotency_key,
        TxKind.REFUND_AFTER_PAYOUT_FX,
        f"refund {refund_amount} of order {order_id}, clawed back from seller {seller_id} "
        f"as {seller_amount}",
        debit(platform_fx(refund_amount.currency), refund_amount),
        credit(psp_clearing(refund_amount.currency), refund_amount),
        debit(seller_receivable(seller_id), seller_amount),
        credit(platform_fx(seller_amount.currency), seller_amount),
    )


def payout(
    seller_id: str, amount: Money, idempotency_key: str, *, netted: Money | None = None
) -> LedgerTransaction:
    """Pay ``amount`` out of the seller's payable; optionally also clear ``netted`` receivable.

    With netting the payable is debited by ``amount + netted``: the seller is paid the rest
    after what they owe back is set off.
    """
    _positive(amount)
    net = netted if netted is not None else Money.zero(amount.currency)
    if net.is_negative():
        raise _not_positive(net)
    return _transaction(
        idempotency_key,
        TxKind.PAYOUT,
        f"pay out {amount} to seller {seller_id}, netting {net} receivable",
        debit(seller_payable(seller_id), amount + net),
        credit(seller_receivable(seller_id), net),
        credit(psp_clearing(amount.currency), amount),
    )


def net_receivable(seller_id: str, amount: Money, idempotency_key: str) -> LedgerTransaction:
    """Set ``amount`` the seller owes against what the platform owes them, paying nothing."""
    _positive(amount)
    return _transaction(
        idempotency_key,
        TxKind.RECEIVABLE_NETTING,
        f"net {amount} receivable against payable of seller {seller_id}",
        debit(seller_payable(seller_id), amount),
        credit(seller_receivable(seller_id), amount),
    )


def chargeback(chargeback_id: str, amount: Money, idempotency_key: str) -> LedgerTransaction:
    """The processor took ``amount`` back for a card-network chargeback: it is contested."""
    _positive(amount)
    return _transaction(
        idempotency_key,
        TxKind.CHARGEBACK,
        f"chargeback {chargeback_id}: {amount} taken back by the card network",
        debit(platform_chargebacks(amount.currency), amount),
        credit(psp_clearing(amount.currency), amount),
    )


def chargeback_reversal(
    chargeback_id: str, amount: Money, idempotency_key: str
) -> LedgerTransaction:
    """A chargeback was won: the processor gives ``amount`` back."""
    _positive(amount)
    return _transaction(
        idempotency_key,
        TxKind.CHARGEBACK_REVERSAL,
        f"chargeback {chargeback_id} won: {amount} returned",
        debit(psp_clearing(amount.currency), amount),
        credit(platform_chargebacks(amount.currency), amount),
    )


@dataclass(frozen=True, slots=True)
class LiabilityShare:
    """One part of a lost chargeback: ``amount`` (in the chargeback's currency) borne by the
    platform (``seller_id`` None) or by a seller, who owes ``seller_amount`` in its own
    currency (equal to ``amount`` when the currencies agree; from the order's FX snapshot
    when they do not)."""

    amount: Money
    seller_id: str | None = None
    seller_amount: Money | None = None


def chargeback_lost(
    chargeback_id: str, shares: Iterable[LiabilityShare], idempotency_key: str
) -> LedgerTransaction:
    """A chargeback was lost: the contested claim is written off onto whoever is liable.

    Platform shares go to ``platform:chargeback_losses:C``; seller shares to the seller's
    receivable (netted against later payouts, so the seller's balance may go negative), through
    ``platform:fx:*`` when the seller is paid in another currency (as refunds after release)."""
    shares = tuple(shares)
    if not shares:
        raise LedgerInvariantError("a lost chargeback needs at least one liability share")
    total = sum_shares(shares)
    postings = [credit(platform_chargebacks(total.currency), total)]
    for share in shares:
        _positive(share.amount)
        postings.extend(_liable_postings(share))
    return _transaction(
        idempotency_key,
        TxKind.CHARGEBACK_LOST,
        f"chargeback {chargeback_id} lost: {total} written off",
        *postings,
    )


def sum_shares(shares: Iterable[LiabilityShare]) -> Money:
    items = tuple(shares)
    currency = items[0].amount.currency
    total = Money.zero(currency)
    for share in items:
        total = total + share.amount
    return total


def _liable_postings(share: LiabilityShare) -> list[Posting]:
    amount = share.amount
    if share.seller_id is None:
        return [debit(platform_chargeback_losses(amount.currency), amount)]
    owed = share.seller_amount if share.seller_amount is not None else amount
    if owed.currency == amount.currency:
        return [debit(seller_receivable(share.seller_id), owed)]
    _not_negative(owed)
    return [
        debit(platform_fx(amount.currency), amount),
        debit(seller_receivable(share.seller_id), owed),
        credit(platform_fx(owed.currency), owed),
    ]


def reverse(transaction: LedgerTransaction, idempotency_key: str, memo: str) -> LedgerTransaction:
    """The correction for a mistaken transaction: the same postings with signs flipped."""
    flipped = tuple(Posting(p.account, p.currency, -p.amount_minor) for p in transaction.postings)
    text = f"reversal of {transaction.idempotency_key}: {memo}"
    return LedgerTransaction(idempotency_key, TxKind.REVERSAL.value, flipped, text[:MAX_MEMO_LEN])


def _not_negative(amount: Money) -> None:
    if not isinstance(amount, Money):
        raise TypeError(f"amount must be Money, not {type(amount).__name__}")
    if amount.is_negative():
        raise _not_positive(amount)


def _positive(amount: Money) -> None:
    if not isinstance(amount, Money):
        raise TypeError(f"amount must be Money, not {type(amount).__name__}")
    if not amount.is_positive():
        raise _not_positive(amount)


def _not_positive(amount: Money) -> InvalidInput:
    return InvalidInput(
        f"amount must be positive: {amount}",
        code=ProblemCode.AMOUNT_NOT_POSITIVE,
        errors=[FieldError("amount", "must be more than zero", "amount_not_positive")],
    )


def _different_currencies(first: Money, second: Money) -> None:
    if first.currency == second.currency:
        raise InvalidInput(
            f"both amounts are in {first.currency}; use the single-currency builder",
            code=ProblemCode.SAME_CURRENCY,
        )


# --- payouts -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PayoutPlan:
    """What to do with a seller's balances: pay ``pay``, set off ``net``; what stays after."""

    pay: Money
    net: Money
    payable_left: Money
    receivable_left: Money

    @property
    def is_empty(self) -> bool:
        return self.pay.is_zero() and self.net.is_zero()


def net_payout(payable_owed: Money, receivable_owed: Money, minimum_minor: int) -> PayoutPlan:
    """Decide a payout from what the platform owes a seller and what the seller owes back.

    Both inputs are non-negative amounts owed (``-balance`` of the payable, ``+balance`` of the
    receivable). The receivable is set off first, as far as the payable covers it; the rest is
    paid only if it reaches ``minimum_minor`` (bank fees make tiny payouts a loss), otherwise
    it stays payable for next time.
    """
    if payable_owed.is_negative() or receivable_owed.is_negative():
        raise LedgerInvariantError("payable and receivable owed must not be negative")
    if isinstance(minimum_minor, bool) or not isinstance(minimum_minor, int) or minimum_minor < 0:
        raise ValueError(f"minimum_minor must be a non-negative int: {minimum_minor!r}")
    net = min(payable_owed, receivable_owed)
    available = payable_owed - net
    big_enough = available.is_positive() and available.amount_minor >= minimum_minor
    pay = available if big_enough else Money.zero(available.currency)
    return PayoutPlan(
        pay=pay,
        net=net,
        payable_left=available - pay,
        receivable_left=receivable_owed - net,
    )


def settle_payout(
    seller_id: str, plan: PayoutPlan, idempotency_key: str
) -> LedgerTransaction | None:
    """The one transaction that carries out ``plan``, or ``None`` when there is nothing to do."""
    if plan.pay.is_positive():
        return payout(seller_id, plan.pay, idempotency_key, netted=plan.net)
    if plan.net.is_positive():
        return net_receivable(seller_id, plan.net, idempotency_key)
    return None


# --- reading a ledger ----------------------------------------------------------------------


def balances(transactions: Iterable[LedgerTransaction]) -> dict[AccountKey, int]:
    """Signed balance (debit positive) of every account the transactions touch."""
    totals: dict[AccountKey, int] = defaultdict(int)
    for transaction in transactions:
        for posting in transaction.postings:
            totals[posting.key] += posting.amount_minor
    return dict(totals)


def check_invariants(
    transactions: Iterable[LedgerTransaction], opening: Mapping[AccountKey, int] | None = None
) -> list[str]:
    """Every breach of the ledger's rules, in order, as sentences; ``[]`` when healthy.

    Checks: each transaction is well formed and balances per currency (again: rows read back
    from storage may not have passed through ``__post_init__``); idempotency keys are unique;
    each account name keeps one currency; and, replaying in order, no escrow, payable or
    suspense is ever overdrawn (holds less than nothing) and no receivable goes below zero.
    ``opening`` holds the balances the replay starts from: an incremental check replays only
    what came after a point already verified.
    """
    breaches: list[str] = []
    seen_keys: set[str] = set()
    currency_of: dict[str, str] = {}
    running: dict[AccountKey, int] = defaultdict(int, opening or {})
    for transaction in transactions:
        key = transaction.idempotency_key
        try:
            _check_postings(transaction.postings)
        except LedgerInvariantError as exc:
            breaches.append(f"transaction {key} is malformed: {exc}")
        if off := unbalanced_currencies(transaction.postings):
            breaches.append(f"transaction {key} does not balance: {off}")
        if key in seen_keys:
            breaches.append(f"idempotency key {key} is used by more than one transaction")
        seen_keys.add(key)
        for posting in transaction.postings:
            first = currency_of.setdefault(posting.account, posting.currency)
            if first != posting.currency:
                breaches.append(
                    f"account {posting.account} holds {first} but {key} posts {posting.currency}"
                )
            running[posting.key] += posting.amount_minor
        touched = dict.fromkeys(p.key for p in transaction.postings)
        breaches.extend(_overdraft(account, running[account], key) for account in touched)
    return [breach for breach in breaches if breach]


def _overdraft(account: AccountKey, balance_minor: int, key: str) -> str:
    """``""``, or the breach when a credit-normal account turned debit or the reverse."""
    name, currency = account
    credit_normal = name.endswith((":escrow", ":payable")) or name.startswith("platform:suspense:")
    # An expense cannot be given back more than was spent on it.
    debit_normal = name.endswith(":receivable") or name.startswith(
        ("platform:chargebacks:", "platform:promotions:")
    )
    if (credit_normal and balance_minor > 0) or (debit_normal and balance_minor < 0):
        return f"{name} ({currency}) is overdrawn after {key}: balance {balance_minor:+d}"
    return ""
