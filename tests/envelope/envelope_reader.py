"""An independent envelope reader/writer written from docs/formats/envelope.md only (not from
the C code): used by independent.test.sh to check that the spec is complete and that the C
implementation follows it. Needs python3-xxhash."""
import struct
import xxhash

MAGIC = b"\x89ZRL\r\n\x1a\n"


def xxh3(b):
    return xxhash.xxh3_64_intdigest(bytes(b), seed=0)


def align64(n):
    return (n + 63) // 64 * 64


class Bad(Exception):
    pass


def read(frame):
    if frame[:8] != MAGIC[: len(frame[:8])] or len(frame) < 8:
        raise Bad("magic")
    if len(frame) < 64:
        raise Bad("truncated")
    (ver, hsize, fmt, codec, rsv1, flags, mlen, plen, rawlen, poff, rsv2, checksum, rsv3, hcheck) = struct.unpack(
        "<HHHBBIIQQIIQII", frame[8:64])
    if hcheck != xxh3(frame[:60]) & 0xFFFFFFFF:
        raise Bad("header check")
    if ver != 1 or hsize != 64 or rsv1 or rsv2 or rsv3 or flags or codec > 3:
        raise Bad("header fields")
    if poff != align64(64 + mlen):
        raise Bad("payload offset")
    if codec == 0 and rawlen != plen:
        raise Bad("raw length")
    end = poff + plen
    if len(frame) < end:
        raise Bad("truncated")
    zeroed = bytearray(frame[:end])
    zeroed[48:64] = bytes(16)
    if xxh3(zeroed) != checksum:
        raise Bad("checksum")
    if any(frame[64 + mlen:poff]):
        raise Bad("padding")
    meta = {"kv": [], "lineage": []}
    p, mend = 64, 64 + mlen
    while p < mend:
        tag, n = struct.unpack("<HI", frame[p:p + 6])
        v = bytes(frame[p + 6:p + 6 + n])
        if len(v) != n:
            raise Bad("entry length")
        if tag == 1:
            meta["schema_fp"] = struct.unpack("<Q", v)[0]
        elif tag == 2:
            meta["created_at"] = struct.unpack("<q", v)[0]
        elif tag == 3:
            meta["producer"] = v.decode("utf-8")
        elif tag == 4:
            kl = struct.unpack("<I", v[:4])[0]
            key = v[4:4 + kl].decode()
            vl = struct.unpack("<I", v[4 + kl:8 + kl])[0]
            assert 8 + kl + vl == n
            meta["kv"].append((key, v[8 + kl:8 + kl + vl].decode()))
        elif tag == 5:
            q = 0
            ol = struct.unpack("<I", v[q:q + 4])[0]; op = v[q + 4:q + 4 + ol].decode(); q += 4 + ol
            pl = struct.unpack("<I", v[q:q + 4])[0]; prod = v[q + 4:q + 4 + pl].decode(); q += 4 + pl
            t, cnt = struct.unpack("<qI", v[q:q + 12]); q += 12
            ins = list(struct.unpack("<%dQ" % cnt, v[q:q + 8 * cnt])); q += 8 * cnt
            assert q == n
            meta["lineage"].append((op, prod, t, ins))
        elif not tag & 0x8000:
            raise Bad("unknown required tag")
        p += 6 + n
    return {"format_id": fmt, "codec": codec, "payload": bytes(frame[poff:end]), "meta": meta}


def write(format_id, payload, producer=None, kv=(), codec=0, raw_len=None):
    meta = b""
    if producer is not None:
        pb = producer.encode()
        meta += struct.pack("<HI", 3, len(pb)) + pb
    for k, v in kv:
        kb, vb = k.encode(), v.encode()
        body = struct.pack("<I", len(kb)) + kb + struct.pack("<I", len(vb)) + vb
        meta += struct.pack("<HI", 4, len(body)) + body
    meta += struct.pack("<HI", 0x8001, 3) + b"opt"  # an optional tag readers must skip
    poff = align64(64 + len(meta))
    raw = len(payload) if raw_len is None else raw_len
    hdr = bytearray(MAGIC + struct.pack("<HHHBBIIQQIIQII", 1, 64, format_id, codec, 0, 0, len(meta), len(payload),
                                        raw, poff, 0, 0, 0, 0))
    frame = hdr + meta + bytes(poff - 64 - len(meta)) + payload
    struct.pack_into("<Q", frame, 48, xxh3(frame))
    struct.pack_into("<I", frame, 60, xxh3(frame[:60]) & 0xFFFFFFFF)
    return bytes(frame)
