"""Account permissioning as on Besu: only allowlisted senders are mined, managed with the perm_* methods."""

from __future__ import annotations

import pytest
from web3 import Web3
from web3.exceptions import Web3RPCError

from ledger.devnet.process import DevnetProcess, RpcReplyError, rpc_call
from tests.devnet.devnet_client import ACCOUNTS, ADMIN, OUTSIDER, rpc_error, signed

NOT_AUTHORIZED = "Sender account not authorized to send transactions"


def send_refused(w3: Web3, url: str) -> dict[str, object]:
    head = w3.eth.block_number
    raw = signed(OUTSIDER, w3, to=ADMIN.address, value=1)
    error = rpc_error(url, "eth_sendRawTransaction", ["0x" + raw.hex()])
    assert w3.eth.block_number == head, "a refused transaction must not be mined"
    return error


def test_only_the_first_development_account_is_allowlisted_at_first(devnet: DevnetProcess) -> None:
    assert rpc_call(devnet.url, "perm_getAccountsAllowlist") == [ADMIN.address]


def test_an_outsider_is_refused_admitted_and_refused_again(w3: Web3, devnet: DevnetProcess) -> None:
    error = send_refused(w3, devnet.url)
    assert (error["code"], error["message"]) == (-32007, NOT_AUTHORIZED)
    with pytest.raises(Web3RPCError, match=NOT_AUTHORIZED):
        w3.eth.send_raw_transaction(signed(OUTSIDER, w3, to=ADMIN.address, value=1))

    assert rpc_call(devnet.url, "perm_addAccountsToAllowlist", [[OUTSIDER.address]]) == "Success"
    assert rpc_call(devnet.url, "perm_getAccountsAllowlist") == [ADMIN.address, OUTSIDER.address]
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(signed(OUTSIDER, w3, to=ADMIN.address, value=1))
    )
    assert receipt["status"] == 1 and receipt["from"] == OUTSIDER.address

    # Lower-case addresses name the same account.
    assert rpc_call(devnet.url, "perm_removeAccountsFromAllowlist", [[OUTSIDER.address.lower()]]) == "Success"
    assert rpc_call(devnet.url, "perm_getAccountsAllowlist") == [ADMIN.address]
    assert send_refused(w3, devnet.url)["code"] == -32007


def test_adding_an_existing_or_removing_an_absent_account_is_refused(devnet: DevnetProcess) -> None:
    with pytest.raises(RpcReplyError, match="Cannot add an existing account") as added:
        rpc_call(devnet.url, "perm_addAccountsToAllowlist", [[ADMIN.address]])
    assert added.value.code == -32000
    with pytest.raises(RpcReplyError, match="Cannot remove an absent account") as removed:
        rpc_call(devnet.url, "perm_removeAccountsFromAllowlist", [[ACCOUNTS[7].address]])
    assert removed.value.code == -32000
    # A refused change changes nothing, not even for the valid accounts listed with it.
    with pytest.raises(RpcReplyError):
        rpc_call(devnet.url, "perm_addAccountsToAllowlist", [[ACCOUNTS[8].address, ADMIN.address]])
    assert rpc_call(devnet.url, "perm_getAccountsAllowlist") == [ADMIN.address]


@pytest.mark.parametrize(
    ("accounts", "named"),
    [
        ("0x" + "11" * 20, "must be a non-empty list"),
        ([], "must be a non-empty list"),
        (["0x1234"], "accounts[0] is not a 0x-prefixed 20-byte hex address"),
        ([ACCOUNTS[3].address, "not an address"], "accounts[1] is not"),
        ([42], "accounts[0] is not"),
        # The right address with one letter's case flipped: a broken EIP-55 checksum.
        (["0xf39fd6e51aad88F6F4ce6aB8827279cffFb92266"], "invalid EIP-55 checksum"),
        ([ACCOUNTS[3].address, ACCOUNTS[3].address.lower()], "is listed twice"),
    ],
)
def test_invalid_accounts_are_invalid_params(devnet: DevnetProcess, accounts: object, named: str) -> None:
    for method in ("perm_addAccountsToAllowlist", "perm_removeAccountsFromAllowlist"):
        error = rpc_error(devnet.url, method, [accounts])
        assert error["code"] == -32602
        assert named in error["message"]
    assert rpc_call(devnet.url, "perm_getAccountsAllowlist") == [ADMIN.address]
