"""An auditor's verifier of our transparency log that shares no code with it:
RFC 9162 on hashlib, Ed25519 on the `cryptography` package, and the roots
checked against pymerkle's. Reads the JSON that tests/tlog.rs writes:
entries, signed checkpoints, the verifier key, inclusion and consistency
proofs. Exits 1 naming the first thing that does not hold.
"""

import base64
import hashlib
import json
import sys

import pymerkle
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class Refused(Exception):
    pass


def check(holds, what):
    """Not `assert`: `python -O` would drop every check."""
    if not holds:
        raise Refused(what)


def leaf(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves):
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node(mth(leaves[:k]), mth(leaves[k:]))


def path(m, leaves):
    """RFC 9162 §2.1.3.1 PATH, read directly: the inclusion proof of entry m."""
    if len(leaves) <= 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def subproof(m, leaves, whole):
    """RFC 9162 §2.1.4.1 SUBPROOF, read directly."""
    n = len(leaves)
    if m == n:
        return [] if whole else [mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return subproof(m, leaves[:k], whole) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


def entry_bytes(e):
    return (
        "inbox-accounts/log-entry/v1\n"
        f"client {e['client']}\nindex {e['index']}\nstream {e['stream']}\nversion {e['version']}\n"
        f"type {e['type']}\nrecorded {e['recorded']}\npayload {e['payload']}\n"
    ).encode()


def verify_inclusion(index, size, leaf_hash, proof, root):
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_root, second_root, proof):
    """RFC 9162 §2.1.4.2 (a proof from the empty tree proves nothing)."""
    if first == 0 or first > second:
        return False
    if first == second:
        return not proof and first_root == second_root
    path = ([first_root] if first & (first - 1) == 0 else []) + list(proof)
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


def open_note(note, verifier_key):
    """C2SP signed-note with an Ed25519 verifier key: the checkpoint it signs."""
    name, key_id, typed = verifier_key.split("+", 2)  # base64 may hold a "+"
    typed = base64.b64decode(typed, validate=True)
    check(len(typed) == 33 and typed[0] == 1, "an Ed25519 verifier key")
    public = typed[1:]
    check(hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4].hex() == key_id, "key id")
    body, signatures = note.rsplit("\n\n", 1)
    body += "\n"
    signed = False
    for line in signatures.removesuffix("\n").split("\n"):
        check(line.startswith("\u2014 "), "a signature line starts with an em dash")
        signer, blob = line.removeprefix("\u2014 ").split(" ")
        blob = base64.b64decode(blob, validate=True)
        if signer == name and blob[:4].hex() == key_id:
            Ed25519PublicKey.from_public_bytes(public).verify(blob[4:], body.encode())  # raises if forged
            signed = True
    check(signed, f"no signature by {name}")
    origin, size, root = body.split("\n")[:3]
    check(str(int(size)) == size, "a decimal size")
    return origin, int(size), base64.b64decode(root, validate=True)


def main(file):
    log = json.load(open(file))
    leaves = [leaf(entry_bytes(e)) for e in log["entries"]]
    check([e["index"] for e in log["entries"]] == list(range(len(leaves))), "gapless indexes")
    tree = pymerkle.InmemoryTree(algorithm="sha256")
    for e in log["entries"]:
        tree.append_entry(entry_bytes(e))
    roots = {}
    for note in log["checkpoints"]:
        origin, size, root = open_note(note, log["verifierKey"])
        check(origin == log["origin"], f"origin {origin}")
        check(root == mth(leaves[:size]), f"root of size {size}")
        check(root == tree.get_root(size), f"pymerkle's root of size {size}")
        roots[size] = root
    for p in log["inclusion"]:
        proof = [bytes.fromhex(h) for h in p["proof"]]
        ok = verify_inclusion(p["index"], p["size"], leaves[p["index"]], proof, roots[p["size"]])
        check(ok, f"inclusion of {p['index']} in {p['size']}")
        check(proof == path(p["index"], leaves[: p["size"]]), f"the RFC's PATH of {p['index']} in {p['size']}")
    for p in log["consistency"]:
        proof = [bytes.fromhex(h) for h in p["proof"]]
        ok = verify_consistency(p["from"], p["to"], roots[p["from"]], roots[p["to"]], proof)
        check(ok, f"consistency from {p['from']} to {p['to']}")
        want = subproof(p["from"], leaves[: p["to"]], True)
        check(proof == want, f"the RFC's PROOF from {p['from']} to {p['to']}")
    print(
        f"verified: {len(log['checkpoints'])} checkpoints, {len(log['inclusion'])} inclusion and "
        f"{len(log['consistency'])} consistency proofs over {len(leaves)} entries"
    )


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except Exception as e:  # noqa: BLE001 — any failure is the verdict
        print(f"refused: {e!r}")
        sys.exit(1)
