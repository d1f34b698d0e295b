/* Pickle opcodes (the byte values of CPython's pickle protocol 0-5). */
#ifndef ZR_FORMATS_NUMPY_PICKLE_OPS_H
#define ZR_FORMATS_NUMPY_PICKLE_OPS_H

/* Every opcode once: X(NAME, byte, argument shape, n). The shapes: NONE (no argument), FIXED (n
 * bytes), LENk (a k-byte little-endian length, then that many bytes), LINE (a text line), LINE2
 * (two text lines); n is 0 but for FIXED. The order is the inspection report's. */
#define ZR_PICKLE_OPCODES(X) \
  X(MARK, '(', NONE, 0)              \
  X(STOP, '.', NONE, 0)              \
  X(POP, '0', NONE, 0)               \
  X(POP_MARK, '1', NONE, 0)          \
  X(DUP, '2', NONE, 0)               \
  X(FLOAT, 'F', LINE, 0)             \
  X(INT, 'I', LINE, 0)               \
  X(BININT, 'J', FIXED, 4)           \
  X(BININT1, 'K', FIXED, 1)          \
  X(LONG, 'L', LINE, 0)              \
  X(BININT2, 'M', FIXED, 2)          \
  X(NONE, 'N', NONE, 0)              \
  X(PERSID, 'P', LINE, 0)            \
  X(BINPERSID, 'Q', NONE, 0)         \
  X(REDUCE, 'R', NONE, 0)            \
  X(STRING, 'S', LINE, 0)            \
  X(BINSTRING, 'T', LEN4, 0)         \
  X(SHORT_BINSTRING, 'U', LEN1, 0)   \
  X(UNICODE, 'V', LINE, 0)           \
  X(BINUNICODE, 'X', LEN4, 0)        \
  X(APPEND, 'a', NONE, 0)            \
  X(BUILD, 'b', NONE, 0)             \
  X(GLOBAL, 'c', LINE2, 0)           \
  X(DICT, 'd', NONE, 0)              \
  X(EMPTY_DICT, '}', NONE, 0)        \
  X(APPENDS, 'e', NONE, 0)           \
  X(GET, 'g', LINE, 0)               \
  X(BINGET, 'h', FIXED, 1)           \
  X(INST, 'i', LINE2, 0)             \
  X(LONG_BINGET, 'j', FIXED, 4)      \
  X(LIST, 'l', NONE, 0)              \
  X(EMPTY_LIST, ']', NONE, 0)        \
  X(OBJ, 'o', NONE, 0)               \
  X(PUT, 'p', LINE, 0)               \
  X(BINPUT, 'q', FIXED, 1)           \
  X(LONG_BINPUT, 'r', FIXED, 4)      \
  X(SETITEM, 's', NONE, 0)           \
  X(TUPLE, 't', NONE, 0)             \
  X(EMPTY_TUPLE, ')', NONE, 0)       \
  X(SETITEMS, 'u', NONE, 0)          \
  X(BINFLOAT, 'G', FIXED, 8)         \
  /* protocol 2 */                   \
  X(PROTO, 0x80, FIXED, 1)           \
  X(NEWOBJ, 0x81, NONE, 0)           \
  X(EXT1, 0x82, FIXED, 1)            \
  X(EXT2, 0x83, FIXED, 2)            \
  X(EXT4, 0x84, FIXED, 4)            \
  X(TUPLE1, 0x85, NONE, 0)           \
  X(TUPLE2, 0x86, NONE, 0)           \
  X(TUPLE3, 0x87, NONE, 0)           \
  X(NEWTRUE, 0x88, NONE, 0)          \
  X(NEWFALSE, 0x89, NONE, 0)         \
  X(LONG1, 0x8a, LEN1, 0)            \
  X(LONG4, 0x8b, LEN4, 0)            \
  /* protocol 3 */                   \
  X(BINBYTES, 'B', LEN4, 0)          \
  X(SHORT_BINBYTES, 'C', LEN1, 0)    \
  /* protocol 4 */                   \
  X(SHORT_BINUNICODE, 0x8c, LEN1, 0) \
  X(BINUNICODE8, 0x8d, LEN8, 0)      \
  X(BINBYTES8, 0x8e, LEN8, 0)        \
  X(EMPTY_SET, 0x8f, NONE, 0)        \
  X(ADDITEMS, 0x90, NONE, 0)         \
  X(FROZENSET, 0x91, NONE, 0)        \
  X(NEWOBJ_EX, 0x92, NONE, 0)        \
  X(STACK_GLOBAL, 0x93, NONE, 0)     \
  X(MEMOIZE, 0x94, NONE, 0)          \
  X(FRAME, 0x95, FIXED, 8)           \
  /* protocol 5 */                   \
  X(BYTEARRAY8, 0x96, LEN8, 0)       \
  X(NEXT_BUFFER, 0x97, NONE, 0)      \
  X(READONLY_BUFFER, 0x98, NONE, 0)

enum {
#define ZR_PICKLE_OP_ENUM(name, byte, shape, n) PK_##name = byte,
  ZR_PICKLE_OPCODES(ZR_PICKLE_OP_ENUM)
#undef ZR_PICKLE_OP_ENUM
};

#endif
