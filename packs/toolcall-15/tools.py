"""Deterministic fake tools for toolcall-15's ``tool_loop`` scenarios (TC-06, TC-09, TC-12).

Every tool is ``function(arguments, state) -> result``, computed from the arguments and
``state`` alone (no clock, no randomness, no I/O), so a wrong argument visibly changes
what comes back: another customer's subscriptions, another order, a folder that does not
exist. Identifiers are case-sensitive, as real ones are. A malformed argument raises
ValueError, which the driver shows the model as ``{"error": ...}``. ``state`` keys:
``files`` (path -> text), ``dirs`` (list of paths) and ``cancelled`` (subscription ids).
"""

from __future__ import annotations

import posixpath
from typing import Any

# --- customers and subscriptions (TC-12) -----------------------------------------------------

CUSTOMERS = {
    "mia@example.com": {"customer_id": "cus_7Q2k", "name": "Mia Chen"},
    # A look-alike address: a typo in the email finds another real customer.
    "maya@example.com": {"customer_id": "cus_5Tb1", "name": "Maya Brooks"},
    "mia.chen@work.example": {"customer_id": "cus_8Lp3", "name": "Mia Chen"},
}
SUBSCRIPTIONS = {
    "cus_7Q2k": [{"subscription_id": "sub_9f2LzA", "plan": "Basic"}, {"subscription_id": "sub_4Kx81B", "plan": "Premium"}],
    "cus_5Tb1": [{"subscription_id": "sub_2Hq77C", "plan": "Premium"}],
    "cus_8Lp3": [{"subscription_id": "sub_6Vd40E", "plan": "Team"}],
}

# --- orders (TC-09) ----------------------------------------------------------------------------

ORDERS = {
    "A1029": {"status": "shipped", "carrier": "DHL", "estimated_delivery": "2025-05-02"},
    "A1092": {"status": "processing", "carrier": None, "estimated_delivery": "2025-05-09"},
    "A1209": {"status": "delivered", "carrier": "UPS", "estimated_delivery": "2025-04-22"},
}


def _text(arguments: dict[str, Any], key: str) -> str:
    value = arguments.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key!r} must be a non-empty string")
    return value.strip()


def find_customer(arguments: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    email = _text(arguments, "email").lower()
    customer = CUSTOMERS.get(email)
    if customer is None:
        return {"email": email, "found": False}
    return {"found": True, "email": email, **customer}


def list_subscriptions(arguments: dict[str, Any], state: dict[str, Any]) -> Any:
    customer_id = _text(arguments, "customer_id")
    if customer_id not in SUBSCRIPTIONS:
        return {"error": f"no customer {customer_id!r}"}
    cancelled = state.get("cancelled", [])
    return [{**sub, "status": "cancelled" if sub["subscription_id"] in cancelled else "active"}
            for sub in SUBSCRIPTIONS[customer_id]]


def cancel_subscription(arguments: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    subscription_id = _text(arguments, "subscription_id")
    plan = next((s["plan"] for subs in SUBSCRIPTIONS.values() for s in subs if s["subscription_id"] == subscription_id), None)
    if plan is None:
        return {"error": f"no subscription {subscription_id!r}"}
    cancelled = state.setdefault("cancelled", [])
    if subscription_id in cancelled:
        return {"subscription_id": subscription_id, "plan": plan, "status": "cancelled", "note": "was already cancelled"}
    cancelled.append(subscription_id)
    return {"subscription_id": subscription_id, "plan": plan, "status": "cancelled"}


def get_order_status(arguments: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    order_id = _text(arguments, "order_id")
    order = ORDERS.get(order_id)
    if order is None:
        return {"order_id": order_id, "found": False}
    return {"order_id": order_id, **order}


def cancel_order(arguments: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    order_id = _text(arguments, "order_id")
    order = ORDERS.get(order_id)
    if order is None:
        return {"order_id": order_id, "found": False}
    if order["status"] != "processing":
        return {"order_id": order_id, "cancelled": False, "reason": f"the order has already been {order['status']}"}
    return {"order_id": order_id, "cancelled": True}


# --- a small file system (TC-06) ---------------------------------------------------------------


def _path(arguments: dict[str, Any], key: str) -> str:
    """``./archive/`` and ``archive`` are the same path; nothing may leave the workspace."""
    path = posixpath.normpath(_text(arguments, key))
    if path.startswith(("/", "..")) or path == ".":
        raise ValueError(f"{key!r} must be a path inside the workspace, got {arguments[key]!r}")
    return path


def create_directory(arguments: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    path = _path(arguments, "path")
    dirs = state.setdefault("dirs", [])
    if path in state.get("files", {}):
        return {"error": f"{path} is a file"}
    if path in dirs:
        return {"path": path, "created": False, "note": "already exists"}
    parts = path.split("/")
    dirs.extend(p for p in ("/".join(parts[:n]) for n in range(1, len(parts) + 1)) if p not in dirs)
    return {"path": path, "created": True}


def move_file(arguments: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    source, destination = _path(arguments, "source"), _path(arguments, "destination")
    files, dirs = state.setdefault("files", {}), state.setdefault("dirs", [])
    if source not in files:
        return {"error": f"no such file: {source}"}
    if destination in dirs:
        destination = posixpath.join(destination, posixpath.basename(source))
    elif arguments["destination"].strip().endswith("/"):
        return {"error": f"no such directory: {destination}"}
    parent = posixpath.dirname(destination)
    if parent and parent not in dirs:
        return {"error": f"no such directory: {parent}"}
    if destination in files:
        return {"error": f"{destination} already exists"}
    files[destination] = files.pop(source)
    return {"moved": source, "to": destination}


def delete_file(arguments: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    path = _path(arguments, "path")
    files = state.setdefault("files", {})
    if path not in files:
        return {"error": f"no such file: {path}"}
    del files[path]
    return {"deleted": path}


TOOLS = {
    "find_customer": find_customer,
    "list_subscriptions": list_subscriptions,
    "cancel_subscription": cancel_subscription,
    "get_order_status": get_order_status,
    "cancel_order": cancel_order,
    "create_directory": create_directory,
    "move_file": move_file,
    "delete_file": delete_file,
}
