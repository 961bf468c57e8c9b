"""What the citizen page trusts, from the server's settings: the operator's key, the chain, the contract,
and the RPC endpoint browsers read anchors from (``HOTLINE_PUBLIC_RPC_URL``). It is embedded in the page,
and offered as a ``hotline.trust/v1`` file for ``hotline-verify``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.services import Services
from verifier.note import parse_vkey
from verifier.trust import ChainPlace, Trust, log_id_of


@dataclass(frozen=True)
class PageTrust:
    origin: str
    verifier_key: str
    chain_id: int | None
    contract: str | None
    rpc_url: str | None

    @property
    def configured(self) -> bool:
        """Whether the page can check anchors at all (chain id, contract and an RPC endpoint are set)."""
        return self.chain_id is not None and self.contract is not None and self.rpc_url is not None

    def document(self) -> dict[str, Any]:
        """The configuration the page's scripts read (``trust-config``)."""
        return {
            "origin": self.origin,
            "verifier_keys": [self.verifier_key],
            "chain_id": self.chain_id,
            "contract": self.contract.lower() if self.contract else None,
            "rpc_url": self.rpc_url,
        }

    def trust_file(self) -> bytes | None:
        """The ``hotline.trust/v1`` file of this configuration; None while no chain is configured."""
        if self.chain_id is None or self.contract is None:
            return None
        chain = ChainPlace(self.chain_id, self.contract.lower(), log_id_of(self.origin))
        return Trust(self.origin, (parse_vkey(self.verifier_key),), chain, confirmations=1).encode()


def page_trust(found: Services) -> PageTrust:
    settings = found.settings
    return PageTrust(
        origin=found.ledger.origin,
        verifier_key=found.ledger.signer.vkey,
        chain_id=settings.chain_id,
        contract=settings.contract_address,
        rpc_url=settings.browser_rpc_url,
    )
