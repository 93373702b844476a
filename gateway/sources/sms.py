"""The SMS gateway: sends one text message."""

from __future__ import annotations

from gateway.sources.rest import RestSource, expect_dict


class SmsSource(RestSource):
    """`POST /messages`."""

    name = "sms"

    async def send(self, to: str, text: str) -> str:
        """Send `text` to the phone number `to`; returns the gateway's message id."""
        answer = await self.call("POST", "/messages", json={"to": to, "text": text})
        return str(expect_dict(answer, self.name, "id")["id"])
