"""Driver ``chat``: one request, one answer."""

from __future__ import annotations

from typing import Any

from benchlab.model import ChatResponse, Scenario


class ChatDriver:
    """Send the scenario's messages once and judge the reply."""

    multi_turn = False

    async def play(self, scenario: Scenario, session: Any) -> ChatResponse:
        return await session.send(session.request())


DRIVER = ChatDriver()
