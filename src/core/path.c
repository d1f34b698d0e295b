/* Value paths: `$.rows[3].score`, `$["odd key"][0]`. */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

static int is_ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static void put(char *out, size_t cap, size_t *pos, const char *s, size_t n) {
  for (size_t i = 0; i < n && *pos + 1 < cap; i++) out[(*pos)++] = s[i];
  out[*pos < cap ? *pos : cap - 1] = '\0';
}

void zr__path_render(const zr__path *p, char *out, size_t cap) {
  size_t pos = 0;
  if (!cap) return;
  put(out, cap, &pos, "$", 1);
  unsigned n = p->depth < 64 ? p->depth : 64;
  for (unsigned i = 0; i < n; i++) {
    char tmp[32];
    const zr_value *k = p->seg[i].key;
    if (!k) {
      int m = snprintf(tmp, sizeof tmp, "[%llu]", (unsigned long long)p->seg[i].index);
      put(out, cap, &pos, tmp, (size_t)m);
    } else if (k->kind == ZR_KIND_STRING || k->kind == ZR_KIND_SYMBOL) {
      int plain = k->n.len > 0;
      for (uint64_t j = 0; j < k->n.len && plain; j++) plain = is_ident_char(k->u.str[j]);
      if (plain) {
        put(out, cap, &pos, ".", 1);
        put(out, cap, &pos, k->u.str, (size_t)k->n.len);
      } else {
        put(out, cap, &pos, "[\"", 2);
        for (uint64_t j = 0; j < k->n.len; j++) {
          char c = k->u.str[j];
          if (c == '"' || c == '\\') put(out, cap, &pos, "\\", 1);
          put(out, cap, &pos, &c, 1);
        }
        put(out, cap, &pos, "\"]", 2);
      }
    } else if (k->kind == ZR_KIND_INT || k->kind == ZR_KIND_UINT) {
      int m = k->kind == ZR_KIND_INT ? snprintf(tmp, sizeof tmp, "{%lld}", (long long)k->u.i)
                                     : snprintf(tmp, sizeof tmp, "{%llu}", (unsigned long long)k->u.u);
      put(out, cap, &pos, tmp, (size_t)m);
    } else {
      int m = snprintf(tmp, sizeof tmp, "{key#%llu}", (unsigned long long)p->seg[i].index);
      put(out, cap, &pos, tmp, (size_t)m);
    }
  }
  if (p->depth > 64) put(out, cap, &pos, "...", 3);
}

zr_status zr_value_at_path(const zr_value *root, const char *path, const zr_value **out, zr_error *err) {
  if (!root || !path || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  const char *p = path;
  if (*p == '$') p++;
  const zr_value *cur = root;
  char key[1024];
  while (*p) {
    size_t klen = 0;
    int have_key = 0;
    uint64_t index = 0;
    const char *seg_start = p;
    if (*p == '.') {
      p++;
      while (*p && *p != '.' && *p != '[') {
        if (klen + 1 >= sizeof key) return zr__err(err, ZR_ERR_INVALID_ARG, p - path, "path key too long");
        key[klen++] = *p++;
      }
      if (!klen) return zr__err(err, ZR_ERR_INVALID_ARG, p - path, "empty key in path");
      have_key = 1;
    } else if (*p == '[') {
      p++;
      if (*p == '"') {
        p++;
        while (*p && *p != '"') {
          if (*p == '\\' && p[1]) p++;
          if (klen + 1 >= sizeof key) return zr__err(err, ZR_ERR_INVALID_ARG, p - path, "path key too long");
          key[klen++] = *p++;
        }
        if (*p != '"' || p[1] != ']') return zr__err(err, ZR_ERR_INVALID_ARG, p - path, "unterminated key in path");
        p += 2;
        have_key = 1;
      } else {
        if (*p < '0' || *p > '9') return zr__err(err, ZR_ERR_INVALID_ARG, p - path, "expected an index in path");
        while (*p >= '0' && *p <= '9') {
          if (index > (UINT64_MAX - 9) / 10) return zr__err(err, ZR_ERR_INVALID_ARG, p - path, "index too large");
          index = index * 10 + (uint64_t)(*p++ - '0');
        }
        if (*p != ']') return zr__err(err, ZR_ERR_INVALID_ARG, p - path, "expected ']' in path");
        p++;
      }
    } else {
      return zr__err(err, ZR_ERR_INVALID_ARG, p - path, "unexpected '%c' in path", *p);
    }
    const zr_value *next = NULL;
    if (have_key) {
      next = zr_map_get(cur, key, klen);
    } else if ((cur->kind == ZR_KIND_LIST || cur->kind == ZR_KIND_TUPLE) && index < cur->n.len) {
      next = &cur->u.items[index];
    }
    if (!next) {
      zr__err(err, ZR_ERR_NOT_FOUND, seg_start - path, "nothing at %.*s", (int)(p - path), path);
      if (err) { /* after the message: setting an error clears the path */
        size_t n = (size_t)(p - path);
        if (n >= sizeof err->path) n = sizeof err->path - 1;
        memcpy(err->path, path, n);
        err->path[n] = '\0';
      }
      return ZR_ERR_NOT_FOUND;
    }
    cur = next;
  }
  *out = cur;
  return ZR_OK;
}
