// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title CheckpointAnchor: append-only on-chain anchors for RFC 9162 Merkle logs
/// @notice Each registered log (one per hotline jurisdiction) gets a strictly growing sequence of anchored
/// checkpoints (tree size, root). A new checkpoint is accepted only with an RFC 9162 §2.1.4.2 consistency
/// proof from the last anchored one, so the chain itself enforces that the log is append-only: no anchored
/// root can be overwritten or deleted, and the contract is not upgradeable.
/// @dev Roles (OpenZeppelin AccessControl): `DEFAULT_ADMIN_ROLE` registers logs and manages anchorers; the
/// anchorers of a log hold `anchorerRole(logId) = keccak256(abi.encode("ANCHORER", logId))`, whose admin role is
/// `DEFAULT_ADMIN_ROLE`. Hashing uses the SHA-256 precompile (address 0x02) on one reused 65-byte buffer
/// `0x01 ‖ left ‖ right`; see ../shared/CHAIN_NOTES.md for the gas of each form.
contract CheckpointAnchor is AccessControl {
    /// @notice Longest consistency or inclusion proof accepted, in hashes. Every valid RFC 9162 proof for tree
    /// sizes below 2^64 fits: consistency proofs need at most 65 hashes, inclusion proofs at most 64.
    uint256 public constant MAX_PROOF_LENGTH = 65;

    /// @dev One storage slot per log: the last anchored size (0 while nothing is anchored).
    struct LogState {
        uint64 size;
        bool registered;
    }

    /// @dev Two storage slots per anchored checkpoint, written once and never changed.
    struct Anchor {
        bytes32 root;
        uint64 blockNumber;
        uint64 timestamp;
    }

    mapping(bytes32 logId => LogState) private _logs;
    mapping(bytes32 logId => mapping(uint64 size => Anchor)) private _anchors;

    /// @notice A log was registered.
    /// @param logId sha256 of the origin's UTF-8 bytes.
    /// @param origin The log's origin string, as in its C2SP checkpoints.
    event LogRegistered(bytes32 indexed logId, string origin);

    /// @notice A checkpoint was anchored.
    /// @param logId The log.
    /// @param size The anchored tree size.
    /// @param root The RFC 9162 root of the tree of that size.
    /// @param previousSize The size anchored before (0 for the log's first anchor).
    event Anchored(bytes32 indexed logId, uint64 indexed size, bytes32 root, uint64 previousSize);

    /// @notice No log is registered under `logId`.
    /// @param logId The unknown log id.
    error UnknownLog(bytes32 logId);

    /// @notice A log with this origin (and so this id) is registered already.
    /// @param logId The log id.
    error LogAlreadyRegistered(bytes32 logId);

    /// @notice An origin must not be empty (C2SP tlog-checkpoint).
    error EmptyOrigin();

    /// @notice The zero address cannot be the admin or an anchorer.
    error ZeroAddress();

    /// @notice `account` is not an anchorer of the log.
    /// @param logId The log.
    /// @param account The caller.
    error NotAnchorer(bytes32 logId, address account);

    /// @notice An anchor must grow the log: `size` must exceed the last anchored size (and so be above 0).
    /// @param logId The log.
    /// @param latest The last anchored size.
    /// @param size The refused size.
    error SizeNotIncreasing(bytes32 logId, uint64 latest, uint64 size);

    /// @notice The consistency proof does not show that the new checkpoint extends the last anchored one
    /// (RFC 9162 §2.1.4.2), or a log's first anchor came with a non-empty proof.
    /// @param logId The log.
    /// @param fromSize The last anchored size (0 for the first anchor).
    /// @param toSize The refused size.
    error InconsistentCheckpoint(bytes32 logId, uint64 fromSize, uint64 toSize);

    /// @notice A proof has more hashes than any valid proof for 64-bit tree sizes.
    /// @param length The proof's length.
    /// @param maxLength `MAX_PROOF_LENGTH`.
    error ProofTooLong(uint256 length, uint256 maxLength);

    /// @notice Deploy with `admin` holding `DEFAULT_ADMIN_ROLE`.
    /// @param admin The account that registers logs and manages anchorers.
    constructor(address admin) {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice Register a log by its origin (admin only).
    /// @param origin The log's origin, e.g. "12345.hangzhou.gov.cn/ledger/v1".
    /// @return logId sha256 of the origin's bytes.
    function registerLog(string calldata origin) external onlyRole(DEFAULT_ADMIN_ROLE) returns (bytes32 logId) {
        if (bytes(origin).length == 0) revert EmptyOrigin();
        logId = sha256(bytes(origin));
        if (_logs[logId].registered) revert LogAlreadyRegistered(logId);
        _logs[logId].registered = true;
        emit LogRegistered(logId, origin);
    }

    /// @notice Allow `account` to anchor checkpoints of the log (admin only).
    /// @param logId A registered log.
    /// @param account The anchor worker's account.
    function addAnchorer(bytes32 logId, address account) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _requireRegistered(logId);
        if (account == address(0)) revert ZeroAddress();
        _grantRole(anchorerRole(logId), account);
    }

    /// @notice Stop `account` from anchoring checkpoints of the log (admin only). Anchors it made stay.
    /// @param logId A registered log.
    /// @param account The account to remove; removing a non-anchorer does nothing.
    function removeAnchorer(bytes32 logId, address account) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _requireRegistered(logId);
        _revokeRole(anchorerRole(logId), account);
    }

    /// @notice Anchor the checkpoint (`size`, `root`) of a log (anchorers of that log only).
    /// @dev The log's first anchor needs no proof and must come with an empty one (the empty tree is consistent
    /// with every tree); every later anchor must prove, per RFC 9162 §2.1.4.2, that it extends the last one.
    /// @param logId A registered log.
    /// @param size The new tree size; must exceed the last anchored size.
    /// @param root The RFC 9162 root of the tree of `size`.
    /// @param consistencyProof PROOF(last anchored size, D[size]) (RFC 9162 §2.1.4.1); empty for the first anchor.
    function anchor(bytes32 logId, uint64 size, bytes32 root, bytes32[] calldata consistencyProof) external {
        LogState memory state = _logs[logId];
        if (!state.registered) revert UnknownLog(logId);
        if (!hasRole(anchorerRole(logId), msg.sender)) revert NotAnchorer(logId, msg.sender);
        uint64 previous = state.size;
        if (size <= previous) revert SizeNotIncreasing(logId, previous, size);
        if (consistencyProof.length > MAX_PROOF_LENGTH) {
            revert ProofTooLong(consistencyProof.length, MAX_PROOF_LENGTH);
        }
        if (previous == 0) {
            if (consistencyProof.length != 0) revert InconsistentCheckpoint(logId, 0, size);
        } else if (!_consistent(previous, size, _anchors[logId][previous].root, root, consistencyProof)) {
            revert InconsistentCheckpoint(logId, previous, size);
        }
        _logs[logId].size = size;
        // Block numbers and timestamps fit in 64 bits for the foreseeable life of any chain.
        _anchors[logId][size] = Anchor(root, uint64(block.number), uint64(block.timestamp));
        emit Anchored(logId, size, root, previous);
    }

    /// @notice The log's last anchored checkpoint; all zero while nothing is anchored.
    /// @param logId A registered log.
    /// @return size The last anchored tree size.
    /// @return root Its root.
    /// @return blockNumber The block that anchored it.
    /// @return timestamp That block's timestamp.
    function latest(bytes32 logId)
        external
        view
        returns (uint64 size, bytes32 root, uint64 blockNumber, uint64 timestamp)
    {
        _requireRegistered(logId);
        size = _logs[logId].size;
        Anchor storage a = _anchors[logId][size];
        return (size, a.root, a.blockNumber, a.timestamp);
    }

    /// @notice The checkpoint anchored at exactly `size`; all zero if that size was never anchored.
    /// @param logId A registered log.
    /// @param size A tree size.
    /// @return root The anchored root (zero if not anchored).
    /// @return blockNumber The block that anchored it (zero if not anchored: no transaction is in block 0).
    /// @return timestamp That block's timestamp (zero if not anchored).
    function anchoredAt(bytes32 logId, uint64 size)
        external
        view
        returns (bytes32 root, uint64 blockNumber, uint64 timestamp)
    {
        _requireRegistered(logId);
        Anchor storage a = _anchors[logId][size];
        return (a.root, a.blockNumber, a.timestamp);
    }

    /// @notice Whether `leafHash` is at `index` in the tree anchored at exactly `size` (RFC 9162 §2.1.3.2).
    /// @dev Never reverts on bad input: false for an unknown log, a size never anchored, an index outside the
    /// tree, a proof longer than `MAX_PROOF_LENGTH` or one that does not lead to the anchored root.
    /// @param logId The log.
    /// @param size An anchored tree size.
    /// @param leafHash The RFC 9162 leaf hash SHA-256(0x00 ‖ entry).
    /// @param index The leaf's 0-based index.
    /// @param proof The inclusion proof PATH(index, D[size]), lowest level first.
    /// @return True iff the proof leads from the leaf to the root anchored at `size`.
    function verifyInclusion(bytes32 logId, uint64 size, bytes32 leafHash, uint64 index, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        if (proof.length > MAX_PROOF_LENGTH) return false;
        Anchor storage a = _anchors[logId][size];
        if (a.blockNumber == 0) return false;
        return _included(leafHash, index, size, a.root, proof);
    }

    /// @notice The role of the anchorers of a log: keccak256(abi.encode("ANCHORER", logId)).
    /// @param logId The log.
    /// @return The role id, for `hasRole`, `grantRole` and `revokeRole`.
    function anchorerRole(bytes32 logId) public pure returns (bytes32) {
        return keccak256(abi.encode("ANCHORER", logId));
    }

    function _requireRegistered(bytes32 logId) private view {
        if (!_logs[logId].registered) revert UnknownLog(logId);
    }

    /// @dev RFC 9162 §2.1.4.2, steps 1–7, for 0 < size1 < size2 (the caller guarantees it).
    function _consistent(uint256 size1, uint256 size2, bytes32 root1, bytes32 root2, bytes32[] calldata proof)
        private
        view
        returns (bool)
    {
        unchecked {
            uint256 length = proof.length;
            // Step 1: an empty proof proves nothing.
            if (length == 0) return false;
            // Step 2: if size1 is a power of two, the path starts with root1, which the proof leaves out.
            uint256 i;
            bytes32 fr;
            if ((size1 & (size1 - 1)) == 0) {
                fr = root1;
            } else {
                fr = proof[0];
                i = 1;
            }
            // Step 3.
            uint256 fn = size1 - 1;
            uint256 sn = size2 - 1;
            // Step 4: skip the levels where the old tree's last node is a right child.
            while ((fn & 1) == 1) {
                fn >>= 1;
                sn >>= 1;
            }
            // Step 5.
            bytes32 sr = fr;
            // Step 6.
            for (; i < length; ++i) {
                bytes32 c = proof[i];
                if (sn == 0) return false;
                if ((fn & 1) == 1 || fn == sn) {
                    fr = _nodeHash(c, fr);
                    sr = _nodeHash(c, sr);
                    while ((fn & 1) == 0 && fn != 0) {
                        fn >>= 1;
                        sn >>= 1;
                    }
                } else {
                    sr = _nodeHash(sr, c);
                }
                fn >>= 1;
                sn >>= 1;
            }
            // Step 7.
            return sn == 0 && fr == root1 && sr == root2;
        }
    }

    /// @dev RFC 9162 §2.1.3.2, steps 1–5.
    function _included(bytes32 leafHash, uint256 index, uint256 size, bytes32 root, bytes32[] calldata proof)
        private
        view
        returns (bool)
    {
        unchecked {
            // Step 1.
            if (index >= size) return false;
            // Step 2.
            uint256 fn = index;
            uint256 sn = size - 1;
            // Step 3.
            bytes32 r = leafHash;
            // Step 4.
            uint256 length = proof.length;
            for (uint256 i; i < length; ++i) {
                bytes32 p = proof[i];
                if (sn == 0) return false;
                if ((fn & 1) == 1 || fn == sn) {
                    r = _nodeHash(p, r);
                    while ((fn & 1) == 0 && fn != 0) {
                        fn >>= 1;
                        sn >>= 1;
                    }
                } else {
                    r = _nodeHash(r, p);
                }
                fn >>= 1;
                sn >>= 1;
            }
            // Step 5.
            return sn == 0 && r == root;
        }
    }

    /// @dev SHA-256(0x01 ‖ left ‖ right) (RFC 9162 §2.1.1) through the precompile at 0x02. The 65-byte input is
    /// written just past the free memory pointer, which is never advanced: every call reuses the same memory.
    function _nodeHash(bytes32 left, bytes32 right) private view returns (bytes32 h) {
        assembly ("memory-safe") {
            let buf := mload(0x40)
            mstore8(buf, 0x01)
            mstore(add(buf, 0x01), left)
            mstore(add(buf, 0x21), right)
            let ok := staticcall(gas(), 0x02, buf, 0x41, 0x00, 0x20)
            // The precompile fails only when out of gas; a chain without it would return nothing.
            if iszero(and(ok, eq(returndatasize(), 0x20))) { revert(0, 0) }
            h := mload(0x00)
        }
    }
}
