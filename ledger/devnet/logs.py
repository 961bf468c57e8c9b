"""``eth_getLogs``: which logs of which blocks a filter selects.

A block whose header bloom rules the filter out is skipped without reading its receipts, so scanning the whole
chain for one contract's events stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from eth.abc import BlockHeaderAPI, LogAPI
from eth_bloom.bloom import BloomFilter

from ledger.devnet.chain import DevChain
from ledger.devnet.formatting import JsonObject, format_log


@dataclass(frozen=True)
class LogFilter:
    """Emitting addresses (empty: any) and, per topic position, the accepted topics (None: any)."""

    addresses: frozenset[bytes] = frozenset()
    topics: tuple[frozenset[int] | None, ...] = ()

    def matches(self, log: LogAPI) -> bool:
        if self.addresses and log.address not in self.addresses:
            return False
        if len(log.topics) < len(self.topics):
            return False
        return all(wanted is None or topic in wanted for wanted, topic in zip(self.topics, log.topics, strict=False))

    def may_match(self, header: BlockHeaderAPI) -> bool:
        """False when the block's bloom proves that none of its logs matches."""
        block_bloom = BloomFilter(header.bloom)
        if self.addresses and not any(address in block_bloom for address in self.addresses):
            return False
        return all(
            wanted is None or any(topic.to_bytes(32, "big") in block_bloom for topic in wanted)
            for wanted in self.topics
        )


def find_logs(chain: DevChain, log_filter: LogFilter, block_numbers: Iterable[int]) -> list[JsonObject]:
    """The matching logs of the given blocks, in chain order, with block-wide log indices."""
    found: list[JsonObject] = []
    for number in block_numbers:
        if not log_filter.may_match(chain.header_at(number)):
            continue
        block = chain.block_at(number)
        log_index = 0
        for tx_index, receipt in enumerate(chain.receipts(block)):
            for log in receipt.logs:
                if log_filter.matches(log):
                    found.append(format_log(block, tx_index, log_index, log))
                log_index += 1
    return found
