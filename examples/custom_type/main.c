/* Example: a custom type ("money": an amount in cents and a currency code) registered with the
 * serialization manager.
 *
 * The application keeps money as ext values (type id 7001) whose bytes are "<cents> <currency>".
 * The registered serializer writes them as version 2 ("<currency>:<cents>"); its decoder reads
 * both versions and returns a map {"cents": int, "currency": string}. Run: example_custom_type */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zerial/zerial.h>

#define MONEY_ID 7001u

static zr_status money_encode(void *ud, const zr_value *v, zr_sink *sink, zr_error *err) {
  (void)ud;
  long long cents;
  char cur[4];
  char buf[64];
  if (v->kind != ZR_KIND_EXT || v->n.len >= sizeof buf) return zr_error_set(err, ZR_ERR_TYPE, -1, "not money");
  memcpy(buf, v->u.bin, v->n.len);
  buf[v->n.len] = 0;
  if (sscanf(buf, "%lld %3s", &cents, cur) != 2) return zr_error_set(err, ZR_ERR_MALFORMED, -1, "bad money '%s'", buf);
  int n = snprintf(buf, sizeof buf, "%s:%lld", cur, cents);
  return zr_sink_write(sink, buf, (size_t)n, err);
}

static zr_status money_decode(void *ud, const uint8_t *data, size_t len, uint16_t version, zr_doc *doc,
                              zr_value *out, zr_error *err) {
  (void)ud;
  char buf[64], cur[4] = "";
  long long cents = 0;
  if (len >= sizeof buf) return zr_error_set(err, ZR_ERR_MALFORMED, 0, "money too long");
  memcpy(buf, data, len);
  buf[len] = 0;
  int ok = version >= 2 ? sscanf(buf, "%3[A-Z]:%lld", cur, &cents) == 2 : sscanf(buf, "%lld %3s", &cents, cur) == 2;
  if (!ok) return zr_error_set(err, ZR_ERR_MALFORMED, 0, "bad money (version %u)", version);
  zr_value m = zr_map_new(doc, 2);
  zr_map_put_cstr(doc, &m, "cents", zr_int(cents));
  zr_map_put_cstr(doc, &m, "currency", zr_str_copy(doc, cur, strlen(cur)));
  *out = m;
  return zr_doc_status(doc);
}

int main(void) {
  zr_ctx *ctx;
  zr_error err;
  if (zr_ctx_new(NULL, &ctx, &err) != ZR_OK) {
    fprintf(stderr, "context: %s\n", err.message);
    return 1;
  }
  if (!zr_ctx_format(ctx, "binary")) {
    printf("the binary format is not built in; nothing to show\n");
    zr_ctx_free(ctx);
    return 0;
  }
  zr_custom_type money = {"money", MONEY_ID, 2, NULL, NULL, money_encode, money_decode, NULL};
  if (zr_ctx_register_type(ctx, &money, &err) != ZR_OK) {
    fprintf(stderr, "register: %s\n", err.message);
    return 1;
  }
  zr_doc *doc = zr_doc_new(NULL);
  zr_value price = zr_ext(doc, MONEY_ID, 1, "1999 EUR", 8);

  zr_sink *sink;
  zr_sink_memory_new(NULL, &sink, NULL);
  zr_serialize_result res;
  if (zr_serialize(ctx, &price, NULL, sink, &res, &err) != ZR_OK) {
    fprintf(stderr, "serialize: %s\n", err.message);
    return 1;
  }
  printf("wrote %llu bytes as %s (%s)\n", (unsigned long long)res.total_bytes, res.format, res.decision.reason);

  const uint8_t *bytes;
  size_t n;
  zr_sink_memory_data(sink, &bytes, &n);
  zr_doc *back;
  zr_deserialize_info info;
  if (zr_deserialize(ctx, bytes, n, NULL, &back, &info, &err) != ZR_OK) {
    fprintf(stderr, "deserialize: %s\n", err.message);
    return 1;
  }
  const zr_value *root = zr_doc_root(back);
  const zr_value *cents = zr_map_get(root, "cents", 5), *cur = zr_map_get(root, "currency", 8);
  if (!info.custom || info.custom_version != 2 || !cents || cents->u.i != 1999 || !cur || cur->n.len != 3 ||
      memcmp(cur->u.str, "EUR", 3) != 0) {
    fprintf(stderr, "unexpected round trip\n");
    return 1;
  }
  printf("read back: %lld cents %.*s (written by version %u of the type)\n", (long long)cents->u.i,
         (int)cur->n.len, cur->u.str, info.custom_version);
  zr_doc_free(back);
  zr_sink_free(sink);
  zr_doc_free(doc);
  zr_ctx_free(ctx);
  return 0;
}
