"""A buyer's address book beyond adding: edit, delete, and choose the default.

Every change is checked like a new address (:func:`tradewind.identity.addresses.check_address`)
and only ever touches the owner's rows: another account's address is 404, never 403. At most
one address per account is the default; choosing one is a single UPDATE over the owner's rows,
so two concurrent choices cannot leave two defaults. Orders keep their own copy of the address
they were shipped to, so editing or deleting an address never changes an order.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import delete, func, select, update

from tradewind.db.tables.identity import addresses
from tradewind.db.uow import UnitOfWork, use_case
from tradewind.identity.addresses import check_address
from tradewind.identity.domain import Principal
from tradewind.identity.service import AddressInput, get_address


@use_case
def update_address(
    uow: UnitOfWork, principal: Principal, address_id: str, data: AddressInput
) -> dict[str, Any]:
    """Replace an address's fields with checked ones (the default mark stays as it was)."""
    get_address(uow, principal, address_id)  # 404 unless it is the principal's own
    checked = check_address(dataclasses.asdict(data))
    uow.conn.execute(
        update(addresses)
        .where(addresses.c.id == address_id, addresses.c.account_id == principal.account_id)
        .values(**checked)
    )
    return get_address(uow, principal, address_id)


@use_case
def set_default_address(uow: UnitOfWork, principal: Principal, address_id: str) -> None:
    """Make this address the default and every other of the owner's addresses not."""
    get_address(uow, principal, address_id)
    uow.conn.execute(
        update(addresses)
        .where(addresses.c.account_id == principal.account_id)
        .values(is_default=addresses.c.id == address_id)
    )


@use_case
def delete_address(uow: UnitOfWork, principal: Principal, address_id: str) -> None:
    """Remove an address; when it was the default, the newest remaining one becomes it."""
    was_default = bool(get_address(uow, principal, address_id)["is_default"])
    uow.conn.execute(
        delete(addresses).where(
            addresses.c.id == address_id, addresses.c.account_id == principal.account_id
        )
    )
    if not was_default:
        return
    newest = uow.conn.scalar(
        select(func.max(addresses.c.id)).where(addresses.c.account_id == principal.account_id)
    )
    if newest is not None:
        set_default_address.within(uow, principal, newest)
