#!/usr/bin/python3
"""Regenerate tests/binary/malformed/*.zrb (checked in). Expected codes and offsets live in the
table of test_binary.c; keep the two in step."""
import os
H = b"ZRB\x01"
cases = {
    "empty": b"",
    "short_header": b"ZR",
    "bad_magic": b"XRB\x01\xc0",
    "version_0": b"ZRB\x00\xc0",
    "version_future": b"ZRB\x03\xc0",
    "no_root": H,
    "reserved_tag": H + b"\xda",
    "int24_truncated": H + b"\xd9\x01\x02",
    "trailing": H + b"\xc0\xc0",
    "str_truncated": H + b"\x85ab",
    "str_len_truncated": H + b"\xcf\x80",
    "varint_overlong": H + b"\xc3" + b"\xff" * 10 + b"\x01",
    "varint_overflow": H + b"\xc3" + b"\xff" * 9 + b"\x02",
    "bad_utf8": H + b"\x83a\xffb",
    "utf8_surrogate": H + b"\x83\xed\xa0\x80",
    "list_count_huge": H + b"\xd2\xff\xff\xff\xff\x0f",
    "map_truncated": H + b"\xb2\x01",
    "int_truncated": H + b"\xca\x01\x02",
    "bigint_bad_sign": H + b"\xce\x02\x00",
    "typed_bad_code": H + b"\xd5\x09\x01\x00\x00",
    "typed_nonzero_pad": H + b"\xd5\x04\x08\x01\x07" + b"\x00" * 64,
    "typed_truncated": H + b"\xd5\x04\x08\x00" + b"\x00" * 8,
    "tensor_bad_dtype": H + b"\xd7\x00\x00\x00\x00",
    "tensor_itemsize_mismatch": H + b"\xd7\x0c\x00\x00\x01\x04\x02\x00\x10\x00" + b"\x00" * 16,
    "tensor_len_mismatch": H + b"\xd7\x0c\x00\x00\x01\x08\x02\x00\x08\x00" + b"\x00" * 8,
    "tensor_ndim": H + b"\xd7\x0c\x00\x00\x21\x08",
    "tensor_data_truncated": H + b"\xd7\x0c\x00\x00\x01\x08\x04\x00\x20\x00" + b"\x00" * 16,
    "timestamp_bad_unit": H + b"\xd6\x0e\x00" + b"\x00" * 8,
    "timestamp_tz_nul": H + b"\xd6\x00\x03a\x00" + b"\x00" * 8,
    "ext_id_overflow": H + b"\xd8\x80\x80\x80\x80\x10\x00\x00",
    "depth_bomb": H + b"\xa1" * 600 + b"\xc0",
}
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "malformed")
os.makedirs(here, exist_ok=True)
for name, data in cases.items():
    with open(os.path.join(here, name + ".zrb"), "wb") as f:
        f.write(data)
print(len(cases), "files")
