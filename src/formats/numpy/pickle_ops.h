/* Pickle opcodes (the byte values of CPython's pickle protocol 0-5). */
#ifndef ZR_FORMATS_NUMPY_PICKLE_OPS_H
#define ZR_FORMATS_NUMPY_PICKLE_OPS_H

/* Every opcode once: X(NAME, byte, argument shape). The shapes: NONE (no argument), FIXEDn (n
 * bytes), LENn (an n-byte little-endian length, then that many bytes), LINE (a text line), LINE2
 * (two text lines). The order is the inspection report's. */
#define ZR_PICKLE_OPCODES(X) \
  X(MARK, '(', NONE)              \
  X(STOP, '.', NONE)              \
  X(POP, '0', NONE)               \
  X(POP_MARK, '1', NONE)          \
  X(DUP, '2', NONE)               \
  X(FLOAT, 'F', LINE)             \
  X(INT, 'I', LINE)               \
  X(BININT, 'J', FIXED4)          \
  X(BININT1, 'K', FIXED1)         \
  X(LONG, 'L', LINE)              \
  X(BININT2, 'M', FIXED2)         \
  X(NONE, 'N', NONE)              \
  X(PERSID, 'P', LINE)            \
  X(BINPERSID, 'Q', NONE)         \
  X(REDUCE, 'R', NONE)            \
  X(STRING, 'S', LINE)            \
  X(BINSTRING, 'T', LEN4)         \
  X(SHORT_BINSTRING, 'U', LEN1)   \
  X(UNICODE, 'V', LINE)           \
  X(BINUNICODE, 'X', LEN4)        \
  X(APPEND, 'a', NONE)            \
  X(BUILD, 'b', NONE)             \
  X(GLOBAL, 'c', LINE2)           \
  X(DICT, 'd', NONE)              \
  X(EMPTY_DICT, '}', NONE)        \
  X(APPENDS, 'e', NONE)           \
  X(GET, 'g', LINE)               \
  X(BINGET, 'h', FIXED1)          \
  X(INST, 'i', LINE2)             \
  X(LONG_BINGET, 'j', FIXED4)     \
  X(LIST, 'l', NONE)              \
  X(EMPTY_LIST, ']', NONE)        \
  X(OBJ, 'o', NONE)               \
  X(PUT, 'p', LINE)               \
  X(BINPUT, 'q', FIXED1)          \
  X(LONG_BINPUT, 'r', FIXED4)     \
  X(SETITEM, 's', NONE)           \
  X(TUPLE, 't', NONE)             \
  X(EMPTY_TUPLE, ')', NONE)       \
  X(SETITEMS, 'u', NONE)          \
  X(BINFLOAT, 'G', FIXED8)        \
  /* protocol 2 */                \
  X(PROTO, 0x80, FIXED1)          \
  X(NEWOBJ, 0x81, NONE)           \
  X(EXT1, 0x82, FIXED1)           \
  X(EXT2, 0x83, FIXED2)           \
  X(EXT4, 0x84, FIXED4)           \
  X(TUPLE1, 0x85, NONE)           \
  X(TUPLE2, 0x86, NONE)           \
  X(TUPLE3, 0x87, NONE)           \
  X(NEWTRUE, 0x88, NONE)          \
  X(NEWFALSE, 0x89, NONE)         \
  X(LONG1, 0x8a, LEN1)            \
  X(LONG4, 0x8b, LEN4)            \
  /* protocol 3 */                \
  X(BINBYTES, 'B', LEN4)          \
  X(SHORT_BINBYTES, 'C', LEN1)    \
  /* protocol 4 */                \
  X(SHORT_BINUNICODE, 0x8c, LEN1) \
  X(BINUNICODE8, 0x8d, LEN8)      \
  X(BINBYTES8, 0x8e, LEN8)        \
  X(EMPTY_SET, 0x8f, NONE)        \
  X(ADDITEMS, 0x90, NONE)         \
  X(FROZENSET, 0x91, NONE)        \
  X(NEWOBJ_EX, 0x92, NONE)        \
  X(STACK_GLOBAL, 0x93, NONE)     \
  X(MEMOIZE, 0x94, NONE)          \
  X(FRAME, 0x95, FIXED8)          \
  /* protocol 5 */                \
  X(BYTEARRAY8, 0x96, LEN8)       \
  X(NEXT_BUFFER, 0x97, NONE)      \
  X(READONLY_BUFFER, 0x98, NONE)  \

enum {
#define ZR_PICKLE_OP_ENUM(name, byte, shape) PK_##name = byte,
  ZR_PICKLE_OPCODES(ZR_PICKLE_OP_ENUM)
#undef ZR_PICKLE_OP_ENUM
};

#endif
