"""Development chains: anvil as an alternative engine and a Besu QBFT network generator."""
