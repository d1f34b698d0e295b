/* Schema registry on SQLite: subjects, versions from 1, global ids deduplicated by canonical
 * fingerprint, soft and permanent deletes, compatibility modes per subject and global. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "schema/schema_internal.h"

struct zr_registry {
  sqlite3 *db;
  zs_remote *remote; /* set when opened with an http(s) URL */
};

static zr_status dberr(zr_registry *r, zr_error *err, const char *what) {
  /* r->db is NULL only when sqlite3_open_v2 could not allocate the handle: SQLite answers
   * SQLITE_NOMEM and "out of memory" for a NULL handle */
  int code = sqlite3_errcode(r->db);
  const char *msg = sqlite3_errmsg(r->db);
  zr_status st = ZR_ERR_DATABASE;
  if (code == SQLITE_NOMEM) return zr__err(err, ZR_ERR_NOMEM, -1, "%s: %s", what, msg);
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) st = ZR_ERR_BUSY;
  if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
    return zr__err(err, ZR_ERR_DATABASE, -1, "%s: the registry file is corrupt or not a database (%s)", what, msg);
  return zr__err(err, st, -1, "%s: %s", what, msg);
}

static const char *const SCHEMA_SQL =
    "CREATE TABLE IF NOT EXISTS zr_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS zr_schemas(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " fingerprint TEXT NOT NULL UNIQUE, canonical TEXT NOT NULL, json TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS zr_subjects(name TEXT PRIMARY KEY, mode TEXT, deleted INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS zr_versions(subject TEXT NOT NULL, version INTEGER NOT NULL,"
    " schema_id INTEGER NOT NULL REFERENCES zr_schemas(id), deleted INTEGER NOT NULL DEFAULT 0,"
    " created TEXT NOT NULL, PRIMARY KEY(subject, version));"
    "INSERT OR IGNORE INTO zr_meta(key, value) VALUES('format', 'zerial-registry-1');";

zr_status zr_registry_open(const char *path, int busy_ms, zr_registry **out, zr_error *err) {
  if (!path || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  zr_registry *r = zs_calloc(1, sizeof *r);
  if (!r) return zr__err_nomem(err);
  if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0) {
    zr_status st = zs_remote_open(path, &r->remote, err);
    if (st != ZR_OK) {
      zs_free(r);
      return st;
    }
    *out = r;
    return ZR_OK;
  }
  if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
    zr_status st = dberr(r, err, path);
    zr_registry_close(r);
    return st;
  }
  sqlite3_busy_timeout(r->db, busy_ms > 0 ? busy_ms : 5000);
  char *msg = NULL;
  /* WAL lets readers go on while one process writes; setting it needs a brief lock */
  if (sqlite3_exec(r->db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;", NULL, NULL, &msg) != SQLITE_OK ||
      sqlite3_exec(r->db, SCHEMA_SQL, NULL, NULL, &msg) != SQLITE_OK) {
    zr_status st = dberr(r, err, path);
    sqlite3_free(msg);
    zr_registry_close(r);
    return st;
  }
  sqlite3_stmt *q;
  if (sqlite3_prepare_v2(r->db, "SELECT value FROM zr_meta WHERE key='format'", -1, &q, NULL) != SQLITE_OK) {
    zr_status st = dberr(r, err, path);
    zr_registry_close(r);
    return st;
  }
  int rc = sqlite3_step(q);
  const char *fmt = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(q, 0) : NULL;
  int ok = fmt && strcmp(fmt, "zerial-registry-1") == 0;
  /* a failed step, or no text for a value that is there (out of memory), is not an answer about the file */
  int lost = rc == SQLITE_ROW && !fmt && sqlite3_column_type(q, 0) != SQLITE_NULL;
  zr_status st = (rc != SQLITE_ROW && rc != SQLITE_DONE) || lost ? dberr(r, err, path) : ZR_OK;
  sqlite3_finalize(q);
  if (st != ZR_OK) {
    zr_registry_close(r);
    return st;
  }
  if (!ok) {
    zr_registry_close(r);
    return zr__err(err, ZR_ERR_DATABASE, -1, "%s is not a zerial schema registry", path);
  }
  *out = r;
  return ZR_OK;
}

void zr_registry_close(zr_registry *r) {
  if (!r) return;
  if (r->remote) zs_remote_close(r->remote);
  if (r->db) sqlite3_close_v2(r->db);
  zs_free(r);
}

static zr_status exec(zr_registry *r, const char *sql, zr_error *err) {
  if (sqlite3_exec(r->db, sql, NULL, NULL, NULL) != SQLITE_OK) return dberr(r, err, sql);
  return ZR_OK;
}

/* End the open transaction. ROLLBACK itself can fail to allocate: it is tried again, and begin()
 * ends what is still open at the next call, so a handle never stays inside a transaction. */
static void rollback(zr_registry *r) {
  for (int i = 0; i < 3 && !sqlite3_get_autocommit(r->db); i++) sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Start a transaction (@p sql: BEGIN or BEGIN IMMEDIATE). The API keeps none open between calls
 * and a handle is used by one thread at a time, so one open here is a leftover of a failed
 * ROLLBACK: it is ended first. */
static zr_status begin(zr_registry *r, const char *sql, zr_error *err) {
  rollback(r);
  return exec(r, sql, err);
}

/* Parameters are bound SQLITE_STATIC: every bound string outlives its statement, so binding copies
 * nothing and cannot run out of memory (a failed copy would bind NULL and answer "not found"). */
static zr_status prep(zr_registry *r, const char *sql, sqlite3_stmt **q, zr_error *err) {
  if (sqlite3_prepare_v2(r->db, sql, -1, q, NULL) != SQLITE_OK) return dberr(r, err, "prepare");
  return ZR_OK;
}

/* Non-deleted versions of a subject, oldest first. */
static zr_status load_history(zr_registry *r, const char *subject, zr_schema ***out, int **versions, size_t *n,
                              zr_error *err) {
  sqlite3_stmt *q;
  ZR_TRY(prep(r, "SELECT v.version, s.json FROM zr_versions v JOIN zr_schemas s ON s.id = v.schema_id"
                 " WHERE v.subject = ?1 AND v.deleted = 0 ORDER BY v.version", &q, err));
  sqlite3_bind_text(q, 1, subject, -1, SQLITE_STATIC);
  zr_schema **list = NULL;
  int *vers = NULL;
  size_t cnt = 0, cap = 0;
  zr_status st = ZR_OK;
  int rc;
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    if (cnt == cap) {
      cap = cap ? cap * 2 : 8;
      zr_schema **nl = zs_realloc(list, cap * sizeof *nl);
      int *nv = zs_realloc(vers, cap * sizeof *nv);
      if (nl) list = nl;
      if (nv) vers = nv;
      if (!nl || !nv) {
        st = zr__err_nomem(err);
        break;
      }
    }
    const char *js = (const char *)sqlite3_column_text(q, 1);
    vers[cnt] = sqlite3_column_int(q, 0);
    st = js ? zr_schema_parse(js, strlen(js), &list[cnt], err) : dberr(r, err, "reading versions");
    if (st != ZR_OK) break;
    cnt++;
  }
  if (st == ZR_OK && rc != SQLITE_DONE) st = dberr(r, err, "reading versions");
  sqlite3_finalize(q);
  if (st != ZR_OK) {
    for (size_t i = 0; i < cnt; i++) zr_schema_free(list[i]);
    zs_free(list);
    zs_free(vers);
    return st;
  }
  *out = list;
  *versions = vers;
  *n = cnt;
  return ZR_OK;
}

static void free_history(zr_schema **list, int *vers, size_t n) {
  for (size_t i = 0; i < n; i++) zr_schema_free(list[i]);
  zs_free(list);
  zs_free(vers);
}

/* The mode in the one row of @p q (finalized here), *found = 0 when there is no row. A failed
 * step is an error, not the default mode. */
static zr_status read_mode(zr_registry *r, sqlite3_stmt *q, zr_compat_mode *mode, int *found, zr_error *err) {
  int rc = sqlite3_step(q);
  const char *name = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(q, 0) : NULL;
  zr_status st = ZR_OK;
  if (rc == SQLITE_ROW && name) {
    zr_compat_mode_parse(name, mode);
    *found = 1;
  } else if (rc != SQLITE_DONE) {
    st = dberr(r, err, "reading the mode");
  }
  sqlite3_finalize(q);
  return st;
}

zr_status zr_registry_get_mode(zr_registry *r, const char *subject, zr_compat_mode *mode, zr_error *err) {
  if (r && r->remote && mode) return zs_remote_get_mode(r->remote, subject, mode, err);
  if (!r || !mode) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  *mode = ZR_COMPAT_BACKWARD;
  sqlite3_stmt *q;
  if (subject) {
    ZR_TRY(prep(r, "SELECT mode FROM zr_subjects WHERE name = ?1 AND mode IS NOT NULL", &q, err));
    sqlite3_bind_text(q, 1, subject, -1, SQLITE_STATIC);
    int found = 0;
    zr_status st = read_mode(r, q, mode, &found, err);
    if (st != ZR_OK || found) return st;
  }
  ZR_TRY(prep(r, "SELECT value FROM zr_meta WHERE key = 'mode'", &q, err));
  int found = 0;
  return read_mode(r, q, mode, &found, err);
}

zr_status zr_registry_set_mode(zr_registry *r, const char *subject, zr_compat_mode mode, zr_error *err) {
  if (r && r->remote) return zs_remote_set_mode(r->remote, subject, mode, err);
  if (!r || (unsigned)mode > ZR_COMPAT_NONE) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "bad argument");
  sqlite3_stmt *q;
  if (subject) {
    ZR_TRY(prep(r, "INSERT INTO zr_subjects(name, mode) VALUES(?1, ?2) ON CONFLICT(name) DO UPDATE SET mode = ?2", &q, err));
    sqlite3_bind_text(q, 1, subject, -1, SQLITE_STATIC);
  } else {
    ZR_TRY(prep(r, "INSERT INTO zr_meta(key, value) VALUES('mode', ?2) ON CONFLICT(key) DO UPDATE SET value = ?2", &q, err));
  }
  sqlite3_bind_text(q, 2, zr_compat_mode_name(mode), -1, SQLITE_STATIC);
  int rc = sqlite3_step(q);
  sqlite3_finalize(q);
  return rc == SQLITE_DONE ? ZR_OK : dberr(r, err, "setting the mode");
}

static zr_status check_locked(zr_registry *r, const char *subject, const zr_schema *s, zr_compat_report **report,
                              zr_error *err) {
  zr_compat_mode mode;
  ZR_TRY(zr_registry_get_mode(r, subject, &mode, err));
  zr_schema **hist;
  int *vers;
  size_t n;
  ZR_TRY(load_history(r, subject, &hist, &vers, &n, err));
  zr_status st = zr_schema_check(s, (const zr_schema *const *)hist, n, mode, subject, report, err);
  /* report versions as the registry numbers them */
  for (size_t i = 0; st == ZR_OK && i < zr_compat_report_count(*report); i++) {
    zr_compat_violation *v = (zr_compat_violation *)zr_compat_report_at(*report, i);
    if (v->version >= 1 && (size_t)v->version <= n) v->version = vers[v->version - 1];
  }
  free_history(hist, vers, n);
  return st;
}

zr_status zr_registry_check(zr_registry *r, const char *subject, const zr_schema *s, zr_compat_report **report,
                            zr_error *err) {
  if (r && r->remote && subject && s && report) return zs_remote_check(r->remote, subject, s, report, err);
  if (!r || !subject || !s || !report) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  *report = NULL;
  ZR_TRY(begin(r, "BEGIN", err));
  zr_status st = check_locked(r, subject, s, report, err);
  /* a read transaction: when COMMIT fails, ROLLBACK ends it so the connection stays usable */
  if (exec(r, "COMMIT", NULL) != ZR_OK) rollback(r);
  return st;
}

zr_status zr_registry_register(zr_registry *r, const char *subject, const zr_schema *s, zr_register_result *res,
                               zr_compat_report **report_out, zr_error *err) {
  if (r && r->remote && subject && s) return zs_remote_register(r->remote, subject, s, res, report_out, err);
  if (!r || !subject || !*subject || !s) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "bad argument");
  if (report_out) *report_out = NULL;
  zr_register_result out = {0, 0, 0};
  char *canon = NULL, *json = NULL;
  char fp[65];
  ZR_TRY(zr_schema_canonical(s, &canon, err));
  zr_status st = zr_schema_to_json(s, 0, &json, err);
  if (st == ZR_OK) st = zs_fingerprints(s, NULL, fp, err);
  zr_compat_report *report = NULL;
  sqlite3_stmt *q = NULL;
  int in_tx = 0;
  if (st != ZR_OK) goto done;
  /* IMMEDIATE takes the write lock now: concurrent registrations serialise (busy timeout waits) */
  if ((st = begin(r, "BEGIN IMMEDIATE", err)) != ZR_OK) goto done;
  in_tx = 1;
  /* deduplicate: the same canonical schema already live in this subject */
  if ((st = prep(r, "SELECT v.version, s.id FROM zr_versions v JOIN zr_schemas s ON s.id = v.schema_id"
                    " WHERE v.subject = ?1 AND v.deleted = 0 AND s.fingerprint = ?2", &q, err)) != ZR_OK)
    goto done;
  sqlite3_bind_text(q, 1, subject, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 2, fp, -1, SQLITE_STATIC);
  int rc = sqlite3_step(q);
  if (rc == SQLITE_ROW) {
    out.version = sqlite3_column_int(q, 0);
    out.id = sqlite3_column_int64(q, 1);
    out.existing = 1;
    goto done;
  }
  if (rc != SQLITE_DONE) { /* not "absent": checking it as new would answer for another question */
    st = dberr(r, err, "looking for the schema");
    goto done;
  }
  sqlite3_finalize(q);
  q = NULL;
  if ((st = check_locked(r, subject, s, &report, err)) != ZR_OK) goto done;
  if (zr_compat_report_count(report)) {
    const zr_compat_violation *v = zr_compat_report_at(report, 0);
    st = zr__err(err, ZR_ERR_INCOMPATIBLE, -1, "schema is incompatible with %s version %d: %s at %s (%zu violation%s)",
                 subject, v->version, v->rule, v->path, zr_compat_report_count(report),
                 zr_compat_report_count(report) == 1 ? "" : "s");
    goto done;
  }
  if ((st = prep(r, "INSERT OR IGNORE INTO zr_schemas(fingerprint, canonical, json) VALUES(?1, ?2, ?3)", &q, err)) != ZR_OK)
    goto done;
  sqlite3_bind_text(q, 1, fp, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 2, canon, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 3, json, -1, SQLITE_STATIC);
  if (sqlite3_step(q) != SQLITE_DONE) {
    st = dberr(r, err, "storing the schema");
    goto done;
  }
  sqlite3_finalize(q);
  if ((st = prep(r, "SELECT id FROM zr_schemas WHERE fingerprint = ?1", &q, err)) != ZR_OK) goto done;
  sqlite3_bind_text(q, 1, fp, -1, SQLITE_STATIC);
  if (sqlite3_step(q) != SQLITE_ROW) {
    st = dberr(r, err, "reading the schema id");
    goto done;
  }
  out.id = sqlite3_column_int64(q, 0);
  sqlite3_finalize(q);
  /* versions are never reused, even after a permanent delete: max over everything ever stored */
  if ((st = prep(r, "SELECT COALESCE(MAX(version), 0) + 1 FROM zr_versions WHERE subject = ?1", &q, err)) != ZR_OK) goto done;
  sqlite3_bind_text(q, 1, subject, -1, SQLITE_STATIC);
  if (sqlite3_step(q) != SQLITE_ROW) {
    st = dberr(r, err, "numbering the version");
    goto done;
  }
  out.version = sqlite3_column_int(q, 0);
  sqlite3_finalize(q);
  q = NULL;
  {
    sqlite3_stmt *m;
    if ((st = prep(r, "SELECT value FROM zr_meta WHERE key = ?1", &m, err)) != ZR_OK) goto done;
    char key[600];
    snprintf(key, sizeof key, "maxversion:%s", subject);
    sqlite3_bind_text(m, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(m);
    const char *maxs = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(m, 0) : NULL;
    if (maxs && atoi(maxs) + 1 > out.version) out.version = atoi(maxs) + 1;
    if ((rc == SQLITE_ROW && !maxs) || (rc != SQLITE_ROW && rc != SQLITE_DONE)) st = dberr(r, err, "numbering the version");
    sqlite3_finalize(m);
    if (st != ZR_OK) goto done;
  }
  if ((st = prep(r, "INSERT INTO zr_versions(subject, version, schema_id, created) VALUES(?1, ?2, ?3, datetime('now'))",
                 &q, err)) != ZR_OK)
    goto done;
  sqlite3_bind_text(q, 1, subject, -1, SQLITE_STATIC);
  sqlite3_bind_int(q, 2, out.version);
  sqlite3_bind_int64(q, 3, out.id);
  if (sqlite3_step(q) != SQLITE_DONE) {
    st = dberr(r, err, "storing the version");
    goto done;
  }
  sqlite3_finalize(q);
  q = NULL;
  if ((st = prep(r, "INSERT INTO zr_subjects(name) VALUES(?1) ON CONFLICT(name) DO UPDATE SET deleted = 0", &q, err)) != ZR_OK)
    goto done;
  sqlite3_bind_text(q, 1, subject, -1, SQLITE_STATIC);
  if (sqlite3_step(q) != SQLITE_DONE) st = dberr(r, err, "storing the subject");
done:
  if (q) sqlite3_finalize(q);
  if (in_tx) {
    if (st == ZR_OK) {
      if ((st = exec(r, "COMMIT", err)) != ZR_OK) rollback(r);
    } else {
      rollback(r);
    }
  }
  zs_free(canon);
  zs_free(json);
  if (report_out && report && zr_compat_report_count(report)) *report_out = report;
  else zr_compat_report_free(report);
  if (st == ZR_OK && res) *res = out;
  return st;
}

zr_status zr_registry_get(zr_registry *r, const char *subject, int version, zr_schema **out, int64_t *id,
                          int *got_version, zr_error *err) {
  if (r && r->remote && subject && out) return zs_remote_get(r->remote, subject, version, out, id, got_version, err);
  if (!r || !subject || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  sqlite3_stmt *q;
  ZR_TRY(prep(r, version < 0
                     ? "SELECT v.version, s.id, s.json FROM zr_versions v JOIN zr_schemas s ON s.id = v.schema_id"
                       " WHERE v.subject = ?1 AND v.deleted = 0 ORDER BY v.version DESC LIMIT 1"
                     : "SELECT v.version, s.id, s.json FROM zr_versions v JOIN zr_schemas s ON s.id = v.schema_id"
                       " WHERE v.subject = ?1 AND v.deleted = 0 AND v.version = ?2",
              &q, err));
  sqlite3_bind_text(q, 1, subject, -1, SQLITE_STATIC);
  if (version >= 0) sqlite3_bind_int(q, 2, version);
  zr_status st;
  int rc = sqlite3_step(q);
  if (rc == SQLITE_ROW) {
    if (got_version) *got_version = sqlite3_column_int(q, 0);
    if (id) *id = sqlite3_column_int64(q, 1);
    const char *js = (const char *)sqlite3_column_text(q, 2);
    st = js ? zr_schema_parse(js, strlen(js), out, err) : dberr(r, err, "reading a version");
  } else if (rc == SQLITE_DONE) {
    st = version < 0 ? zr__err(err, ZR_ERR_NOT_FOUND, -1, "subject %s not found", subject)
                     : zr__err(err, ZR_ERR_NOT_FOUND, -1, "version %d of subject %s not found", version, subject);
  } else {
    st = dberr(r, err, "reading a version");
  }
  sqlite3_finalize(q);
  return st;
}

zr_status zr_registry_get_by_id(zr_registry *r, int64_t id, zr_schema **out, zr_error *err) {
  if (r && r->remote && out) return zs_remote_get_by_id(r->remote, id, out, err);
  if (!r || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  sqlite3_stmt *q;
  ZR_TRY(prep(r, "SELECT json FROM zr_schemas WHERE id = ?1", &q, err));
  sqlite3_bind_int64(q, 1, id);
  zr_status st;
  int rc = sqlite3_step(q);
  if (rc == SQLITE_ROW) {
    const char *js = (const char *)sqlite3_column_text(q, 0);
    st = js ? zr_schema_parse(js, strlen(js), out, err) : dberr(r, err, "reading a schema");
  } else if (rc == SQLITE_DONE) {
    st = zr__err(err, ZR_ERR_NOT_FOUND, -1, "schema id %lld not found", (long long)id);
  } else {
    st = dberr(r, err, "reading a schema");
  }
  sqlite3_finalize(q);
  return st;
}

static zr_status json_list(zr_registry *r, sqlite3_stmt *q, int text, char **out, zr_error *err) {
  json_t *a = json_array();
  int rc = SQLITE_DONE, lost = 0;
  while (a && !lost && (rc = sqlite3_step(q)) == SQLITE_ROW) {
    const char *t = text ? (const char *)sqlite3_column_text(q, 0) : NULL;
    json_t *v = text ? (t ? json_string(t) : NULL) : json_integer(sqlite3_column_int64(q, 0));
    /* an element that could not be made is out of memory, not a shorter list */
    lost = json_array_append_new(a, v) != 0;
  }
  zr_status st = ZR_OK;
  if (!a || lost) st = zr__err_nomem(err);
  else if (rc != SQLITE_DONE) st = dberr(r, err, "listing");
  sqlite3_finalize(q);
  if (st != ZR_OK) {
    json_decref(a);
    return st;
  }
  *out = zs_json_dumps(a, JSON_COMPACT);
  json_decref(a);
  return *out ? ZR_OK : zr__err_nomem(err);
}

zr_status zr_registry_subjects(zr_registry *r, int include_deleted, char **out, zr_error *err) {
  if (r && r->remote && out) return zs_remote_list(r->remote, NULL, out, err);
  if (!r || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  sqlite3_stmt *q;
  ZR_TRY(prep(r, include_deleted ? "SELECT DISTINCT subject FROM zr_versions ORDER BY subject"
                                 : "SELECT DISTINCT subject FROM zr_versions WHERE deleted = 0 ORDER BY subject",
              &q, err));
  return json_list(r, q, 1, out, err);
}

zr_status zr_registry_versions(zr_registry *r, const char *subject, int include_deleted, char **out, zr_error *err) {
  if (r && r->remote && subject && out) return zs_remote_list(r->remote, subject, out, err);
  if (!r || !subject || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  sqlite3_stmt *q;
  ZR_TRY(prep(r, include_deleted ? "SELECT version FROM zr_versions WHERE subject = ?1 ORDER BY version"
                                 : "SELECT version FROM zr_versions WHERE subject = ?1 AND deleted = 0 ORDER BY version",
              &q, err));
  sqlite3_bind_text(q, 1, subject, -1, SQLITE_STATIC);
  return json_list(r, q, 0, out, err);
}

zr_status zr_registry_delete(zr_registry *r, const char *subject, int version, int permanent, zr_error *err) {
  if (r && r->remote && subject) return zs_remote_delete(r->remote, subject, version, permanent, err);
  if (!r || !subject) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  ZR_TRY(begin(r, "BEGIN IMMEDIATE", err));
  sqlite3_stmt *q;
  zr_status st;
  const char *sql;
  if (permanent)
    sql = version < 0 ? "DELETE FROM zr_versions WHERE subject = ?1 AND deleted = 1"
                      : "DELETE FROM zr_versions WHERE subject = ?1 AND version = ?2 AND deleted = 1";
  else
    sql = version < 0 ? "UPDATE zr_versions SET deleted = 1 WHERE subject = ?1 AND deleted = 0"
                      : "UPDATE zr_versions SET deleted = 1 WHERE subject = ?1 AND version = ?2 AND deleted = 0";
  /* remember the highest version so numbers are not reused after a permanent delete */
  char key[600];
  snprintf(key, sizeof key, "maxversion:%s", subject);
  sqlite3_stmt *m;
  if ((st = prep(r, "INSERT INTO zr_meta(key, value) SELECT ?1, CAST(MAX(version) AS TEXT) FROM zr_versions"
                    " WHERE subject = ?2 HAVING COUNT(*) > 0" /* no row (not a NULL max) for an unknown subject */
                    " ON CONFLICT(key) DO UPDATE SET value = CAST(MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER)) AS TEXT)",
                 &m, err)) != ZR_OK) {
    rollback(r);
    return st;
  }
  sqlite3_bind_text(m, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text(m, 2, subject, -1, SQLITE_STATIC);
  int rc = sqlite3_step(m);
  sqlite3_finalize(m);
  /* without the record a purge would let the version numbers be reused */
  if (rc != SQLITE_DONE) {
    st = dberr(r, err, "deleting");
    rollback(r);
    return st;
  }
  if ((st = prep(r, sql, &q, err)) != ZR_OK) {
    rollback(r);
    return st;
  }
  sqlite3_bind_text(q, 1, subject, -1, SQLITE_STATIC);
  if (version >= 0) sqlite3_bind_int(q, 2, version);
  rc = sqlite3_step(q);
  sqlite3_finalize(q);
  if (rc != SQLITE_DONE) {
    st = dberr(r, err, "deleting");
    rollback(r);
    return st;
  }
  if (sqlite3_changes(r->db) == 0) {
    rollback(r);
    return zr__err(err, ZR_ERR_NOT_FOUND, -1,
                   permanent ? "nothing soft-deleted to purge in %s (soft-delete first)" : "nothing to delete in %s", subject);
  }
  if ((st = exec(r, "COMMIT", err)) != ZR_OK) rollback(r);
  return st;
}

/* Version and id of @p s in @p subject when registered (live), else ZR_ERR_NOT_FOUND. */
zr_status zr__registry_lookup(zr_registry *r, const char *subject, const zr_schema *s, int *version, int64_t *id,
                              zr_error *err);
zr_status zr__registry_lookup(zr_registry *r, const char *subject, const zr_schema *s, int *version, int64_t *id,
                              zr_error *err) {
  if (r->remote) return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "lookup is served by the registry server itself");
  char fp[65];
  ZR_TRY(zs_fingerprints(s, NULL, fp, err));
  sqlite3_stmt *q;
  ZR_TRY(prep(r, "SELECT v.version, s.id FROM zr_versions v JOIN zr_schemas s ON s.id = v.schema_id"
                 " WHERE v.subject = ?1 AND v.deleted = 0 AND s.fingerprint = ?2", &q, err));
  sqlite3_bind_text(q, 1, subject, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 2, fp, -1, SQLITE_STATIC);
  zr_status st = ZR_OK;
  int rc = sqlite3_step(q);
  if (rc == SQLITE_ROW) {
    *version = sqlite3_column_int(q, 0);
    *id = sqlite3_column_int64(q, 1);
  } else if (rc == SQLITE_DONE) {
    st = zr__err(err, ZR_ERR_NOT_FOUND, -1, "schema not found in subject %s", subject);
  } else {
    st = dberr(r, err, "looking up a schema");
  }
  sqlite3_finalize(q);
  return st;
}
