/* The stand-in NIF API of erl_nif_stub.c: the real erl_nif.h (types, enif_* prototypes), plus the
 * helpers the harness uses to build and inspect terms. */
#ifndef ZR_ERL_NIF_STUB_H
#define ZR_ERL_NIF_STUB_H
#include <erl_nif.h>
#include <stddef.h>
#include <stdint.h>

enum { STUB_INT = 1, STUB_UINT, STUB_FLOAT, STUB_ATOM, STUB_BINARY, STUB_NIL, STUB_CONS, STUB_TUPLE, STUB_MAP, STUB_PID };

ErlNifEnv *stub_env(void);
void stub_reset(void);    /* drop every term (and the resource references binaries hold) */
void stub_shutdown(void); /* stub_reset, then atoms and resource types */
void stub_fail_after(long n);
long stub_live_resources(void);
int stub_exception(void);       /* a badarg was raised since the last stub_clear_exception */
void stub_clear_exception(void);
int stub_kind(ERL_NIF_TERM t);
const char *stub_atom_name(ERL_NIF_TERM t);
int stub_equal(ERL_NIF_TERM a, ERL_NIF_TERM b);
int stub_map_get(ERL_NIF_TERM map, ERL_NIF_TERM key, ERL_NIF_TERM *val);
ERL_NIF_TERM stub_binary(const void *data, size_t size);
ERL_NIF_TERM stub_pid(void);
#endif
