/**
 * @file schema.h
 * @brief Schemas: model, JSON form, canonical form and fingerprints, inference, compatibility
 * checking, an embedded registry on SQLite, and migration of values on read.
 *
 * Field identity follows stable field ids (names and aliases are labels; ids are never reused);
 * compatibility semantics follow the Confluent Schema Registry modes; the rules are listed in
 * docs/formats/schema.md.
 *
 * Ownership: a ::zr_schema is an immutable object created by zr_schema_parse() or
 * zr_schema_infer() and freed with zr_schema_free(); strings returned by accessors live as long
 * as the schema. Thread safety: a schema may be read from many threads; a registry handle is
 * used by one thread at a time (open one handle per thread; several processes may share a file).
 */
#ifndef ZERIAL_SCHEMA_H
#define ZERIAL_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.h"
#include "status.h"
#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Opaque schema: a struct type with fields. */
typedef struct zr_schema zr_schema;

/** @brief Compatibility modes (Confluent semantics). */
typedef enum zr_compat_mode {
  ZR_COMPAT_BACKWARD = 0,            /**< new reads the latest (default) */
  ZR_COMPAT_BACKWARD_TRANSITIVE = 1, /**< new reads every earlier version */
  ZR_COMPAT_FORWARD = 2,             /**< the latest reads new */
  ZR_COMPAT_FORWARD_TRANSITIVE = 3,  /**< every earlier version reads new */
  ZR_COMPAT_FULL = 4,                /**< both, against the latest */
  ZR_COMPAT_FULL_TRANSITIVE = 5,     /**< both, against every earlier version */
  ZR_COMPAT_NONE = 6                 /**< no check */
} zr_compat_mode;

/** @brief Name of a mode ("BACKWARD", …). Static storage. */
ZR_API const char *zr_compat_mode_name(zr_compat_mode m);
/** @brief Parse a mode name (case-insensitive). */
ZR_API zr_status zr_compat_mode_parse(const char *name, zr_compat_mode *out);

/**
 * @brief Parse the JSON form of a schema (see docs/formats/schema.md).
 * @param json,len the JSON text (only read; need not be NUL-terminated).
 * @param out receives a new schema; free with zr_schema_free().
 * @param err NULL or filled on failure. Reentrant.
 * @return ZR_ERR_MALFORMED with the JSON path of the problem in err->path.
 */
ZR_API zr_status zr_schema_parse(const char *json, size_t len, zr_schema **out, zr_error *err);

/** @brief Free a schema (NULL-safe). */
ZR_API void zr_schema_free(zr_schema *s);

/** @brief Full JSON form (with doc and metadata), malloc'd NUL-terminated; free with zr_free(). */
ZR_API zr_status zr_schema_to_json(const zr_schema *s, int pretty, char **out, zr_error *err);

/**
 * @brief Canonical form: compact JSON, keys sorted, doc and metadata dropped, fields in id order.
 * Two schemas with the same canonical form are the same schema. malloc'd; free with zr_free().
 */
ZR_API zr_status zr_schema_canonical(const zr_schema *s, char **out, zr_error *err);

/** @brief CRC-64-AVRO (Rabin) fingerprint of the canonical form. */
ZR_API uint64_t zr_schema_fingerprint64(const zr_schema *s);

/** @brief SHA-256 of the canonical form, as 64 lowercase hex digits and a NUL (@p hex must hold 65 bytes). */
ZR_API void zr_schema_fingerprint_sha256(const zr_schema *s, char hex[65]);

/** @brief CRC-64-AVRO of arbitrary bytes (exposed for tests and other fingerprints). */
ZR_API uint64_t zr_crc64_avro(const void *data, size_t len);

/**
 * @brief Infer a schema from a value: a map (one record), a list of maps (records; nullability
 * and int/float widening from every record), or a table (from its Arrow schema). Field ids are
 * assigned 1, 2, … in order of first appearance.
 */
ZR_API zr_status zr_schema_infer(const zr_value *v, zr_schema **out, zr_error *err);

/** @brief Number of top-level fields. */
ZR_API size_t zr_schema_field_count(const zr_schema *s);
/** @brief Name of top-level field @p i, or NULL. */
ZR_API const char *zr_schema_field_name(const zr_schema *s, size_t i);
/** @brief Id of top-level field @p i, or -1. */
ZR_API int32_t zr_schema_field_id(const zr_schema *s, size_t i);
/** @brief Readable type of top-level field @p i ("int32", "list<utf8>", …), or NULL. Lives as long as @p s. */
ZR_API const char *zr_schema_field_type(const zr_schema *s, size_t i);

/** @brief Directions of a compatibility check. */
typedef enum zr_compat_direction {
  ZR_DIR_BACKWARD = 1, /**< the new schema reads data written with the old one */
  ZR_DIR_FORWARD = 2   /**< the old schema reads data written with the new one */
} zr_compat_direction;

/** @brief One compatibility violation. Strings live as long as the report. */
typedef struct zr_compat_violation {
  const char *subject;        /**< subject checked (may be empty) */
  int version;                /**< version compared against (0 when not from a registry) */
  zr_compat_direction direction; /**< which reading fails */
  const char *path;           /**< field path, e.g. "address.zip" */
  int32_t field_id;           /**< field id, -1 if none */
  const char *rule;           /**< rule code, e.g. "READER_FIELD_MISSING_DEFAULT" */
  const char *writer_type;    /**< writer's type ("-" when absent) */
  const char *reader_type;    /**< reader's type ("-" when absent) */
  const char *fix;            /**< how to fix it */
} zr_compat_violation;

/** @brief Result of a check: zero violations means compatible. Free with zr_compat_report_free(). */
typedef struct zr_compat_report zr_compat_report;

/** @brief Number of violations in a report. */
ZR_API size_t zr_compat_report_count(const zr_compat_report *r);
/** @brief Violation @p i, or NULL. Valid until the report is freed. */
ZR_API const zr_compat_violation *zr_compat_report_at(const zr_compat_report *r, size_t i);
/** @brief The report as readable text (one violation per line); malloc'd, free with zr_free(). */
ZR_API char *zr_compat_report_text(const zr_compat_report *r);
/** @brief The report as a JSON array; malloc'd, free with zr_free(). */
ZR_API char *zr_compat_report_json(const zr_compat_report *r);
/** @brief Free a report (NULL-safe). */
ZR_API void zr_compat_report_free(zr_compat_report *r);

/**
 * @brief Check one direction pair: can @p reader read data written with @p writer? Violations are
 * appended to @p *report (created when NULL) labelled with @p direction, @p subject and @p version.
 */
ZR_API zr_status zr_schema_check_read(const zr_schema *reader, const zr_schema *writer,
                                      zr_compat_direction direction, const char *subject, int version,
                                      zr_compat_report **report, zr_error *err);

/**
 * @brief Check @p new_schema against @p history (oldest first, @p n entries) under @p mode.
 * Non-transitive modes compare with the last entry only. Also detects field ids reused across
 * the history. @p *report is created (possibly empty).
 */
ZR_API zr_status zr_schema_check(const zr_schema *new_schema, const zr_schema *const *history, size_t n,
                                 zr_compat_mode mode, const char *subject, zr_compat_report **report,
                                 zr_error *err);

/**
 * @brief Migrate a record (a map keyed by field name, or a list of them) written with @p writer
 * into the shape of @p reader: fields matched by id (then name, then alias); added fields take
 * their initial default (or null when nullable); removed fields are dropped; widening promotions
 * applied; narrowing range-checked (ZR_ERR_RANGE with the value path).
 * @param in the record (only read; strings of @p out may point to it).
 * @param writer,reader the schemas it was written with and is read with (only read).
 * @param doc where the migrated values are built; @p out lives as long as @p doc.
 * @param out receives the migrated record.
 * @param err NULL or filled on failure. Reentrant.
 */
ZR_API zr_status zr_schema_migrate(zr_doc *doc, const zr_value *in, const zr_schema *writer,
                                   const zr_schema *reader, zr_value *out, zr_error *err);

/**
 * @brief Migrate an Arrow table written with @p writer into the shape of @p reader (the rules of
 * zr_schema_migrate(), row by row). @p out is a new table owned by the caller (release with
 * zr_table_release()); integer and float columns come out as int64/uint64 and float64.
 */
ZR_API zr_status zr_schema_migrate_table(const zr_table *in, const zr_schema *writer, const zr_schema *reader,
                                         zr_table *out, zr_error *err);

/**
 * @brief Record a schema's identity in a table's Arrow schema metadata, so it travels in Arrow
 * IPC: `zerial.schema.fingerprint` (CRC-64-AVRO, 16 hex digits), `zerial.schema.sha256`, and
 * `zerial.schema.subject` / `zerial.schema.version` when given (@p subject NULL, @p version 0:
 * left out). Earlier `zerial.schema.*` entries are replaced; other entries are kept. The table
 * keeps owning its schema (the release callback is wrapped).
 */
ZR_API zr_status zr_schema_tag_table(zr_table *t, const zr_schema *s, const char *subject, int version, zr_error *err);

/**
 * @brief Read the identity written by zr_schema_tag_table() from a table's metadata.
 * @return ZR_ERR_NOT_FOUND when the table carries no zerial schema fingerprint.
 */
ZR_API zr_status zr_schema_table_tag(const zr_table *t, uint64_t *fingerprint, char *subject, size_t subject_cap,
                                     int *version);

/**
 * @brief Prepare envelope metadata that carries a schema's identity: sets the envelope's schema
 * fingerprint (CRC-64-AVRO) in @p meta and fills up to two user entries in @p kv
 * (`zerial.schema.subject`, `zerial.schema.version`; @p n_kv receives how many) for the caller to
 * put into meta->kv with its own entries. The entries point into @p subject and @p version_buf,
 * which must live until the envelope is written.
 */
ZR_API zr_status zr_schema_envelope_tag(const zr_schema *s, const char *subject, int version, zr_envelope_meta *meta,
                                        zr_envelope_kv kv[2], char version_buf[16], size_t *n_kv);

/**
 * @brief Read the schema identity from parsed envelope metadata (see zr_schema_envelope_tag()).
 * @return ZR_ERR_NOT_FOUND when the envelope carries no schema fingerprint.
 */
ZR_API zr_status zr_schema_envelope_read(const zr_envelope_meta *meta, uint64_t *fingerprint, char *subject,
                                         size_t subject_cap, int *version);

/** @brief Opaque registry handle. */
typedef struct zr_registry zr_registry;

/**
 * @brief Open (creating if needed) a registry stored in the SQLite file @p path (WAL mode, busy
 * timeout @p busy_ms, default 5000 when 0). Several processes may open the same file.
 */
ZR_API zr_status zr_registry_open(const char *path, int busy_ms, zr_registry **out, zr_error *err);
/** @brief Close a registry (NULL-safe). */
ZR_API void zr_registry_close(zr_registry *r);

/** @brief What zr_registry_register() did. */
typedef struct zr_register_result {
  int64_t id;      /**< global schema id */
  int version;     /**< version within the subject (from 1) */
  int existing;    /**< 1 when an identical schema was already registered (deduplicated) */
} zr_register_result;

/**
 * @brief Register @p schema under @p subject after checking compatibility with the subject's
 * mode. On incompatibility returns ZR_ERR_INCOMPATIBLE and, when @p report is not NULL, the
 * violations (caller frees).
 */
ZR_API zr_status zr_registry_register(zr_registry *r, const char *subject, const zr_schema *schema,
                                      zr_register_result *res, zr_compat_report **report, zr_error *err);

/** @brief Check @p schema against @p subject without registering. */
ZR_API zr_status zr_registry_check(zr_registry *r, const char *subject, const zr_schema *schema,
                                   zr_compat_report **report, zr_error *err);

/**
 * @brief Fetch a version of a subject (@p version -1 for the latest). @p out is a new schema;
 * @p id and @p got_version (may be NULL) receive its global id and version.
 */
ZR_API zr_status zr_registry_get(zr_registry *r, const char *subject, int version, zr_schema **out,
                                 int64_t *id, int *got_version, zr_error *err);

/** @brief Fetch a schema by global id. */
ZR_API zr_status zr_registry_get_by_id(zr_registry *r, int64_t id, zr_schema **out, zr_error *err);

/**
 * @brief List subjects (not soft-deleted unless @p include_deleted) as a malloc'd JSON array
 * text; free with zr_free().
 */
ZR_API zr_status zr_registry_subjects(zr_registry *r, int include_deleted, char **json, zr_error *err);

/** @brief Versions of a subject as a malloc'd JSON array of numbers; free with zr_free(). */
ZR_API zr_status zr_registry_versions(zr_registry *r, const char *subject, int include_deleted, char **json,
                                      zr_error *err);

/**
 * @brief Delete a version (@p version -1: the whole subject). Soft delete hides it from reads
 * and checks; permanent delete (only after a soft delete) removes it. Ids are never reused.
 */
ZR_API zr_status zr_registry_delete(zr_registry *r, const char *subject, int version, int permanent,
                                    zr_error *err);

/** @brief Compatibility mode of a subject (@p subject NULL: global); falls back to global, then BACKWARD. */
ZR_API zr_status zr_registry_get_mode(zr_registry *r, const char *subject, zr_compat_mode *mode, zr_error *err);
/** @brief Set the compatibility mode of a subject (@p subject NULL: global). */
ZR_API zr_status zr_registry_set_mode(zr_registry *r, const char *subject, zr_compat_mode mode, zr_error *err);

/**
 * @brief Serve one request of the Confluent Schema Registry REST subset against @p r.
 *
 * Transport-independent: an HTTP server (such as `zerial schema serve`) passes the method, the
 * path with its query string, and the body, and sends back the status and JSON. Supported:
 * `GET /subjects`, `GET /subjects/{s}/versions`, `GET|DELETE /subjects/{s}/versions/{v|latest}`,
 * `POST /subjects/{s}/versions`, `POST /subjects/{s}` (lookup), `DELETE /subjects/{s}`,
 * `GET /schemas/ids/{id}`, `POST /compatibility/subjects/{s}/versions/{v|latest}`,
 * `GET|PUT /config`, `GET|PUT /config/{s}`; `?permanent=true` on deletes. Errors carry the
 * registry's codes (40401 subject not found, 40402 version not found, 40403 schema not found,
 * 42201 invalid schema, 42202 invalid version, 42203 invalid compatibility level, 409
 * incompatible, 50001 store error) as `{"error_code": N, "message": "..."}`.
 * @param r the registry.
 * @param method "GET", "POST", "PUT" or "DELETE".
 * @param path the request path with its query string.
 * @param body,body_len the request body (may be NULL/0).
 * @param http_status receives the HTTP status.
 * @param body_out malloc'd NUL-terminated JSON; free with zr_free().
 * @return ZR_OK when a response was produced (whatever its HTTP status), an error otherwise.
 */
ZR_API zr_status zr_registry_http(zr_registry *r, const char *method, const char *path, const char *body,
                                  size_t body_len, int *http_status, char **body_out);

/** @brief Content type of the registry REST API responses. */
#define ZR_REGISTRY_CONTENT_TYPE "application/vnd.schemaregistry.v1+json"

/**
 * @brief Prefix @p payload with the Confluent wire header (magic byte 0, big-endian 4-byte
 * schema id) into @p sink, so zerial data travels through Kafka pipelines with registry-aware
 * clients.
 */
ZR_API zr_status zr_confluent_frame(uint32_t schema_id, const void *payload, size_t len, zr_sink *sink, zr_error *err);

/**
 * @brief Parse the Confluent wire header: @p *schema_id and the payload view (inside @p data).
 * @return ZR_ERR_MALFORMED when the magic byte is not 0, ZR_ERR_TRUNCATED when shorter than 5 bytes.
 */
ZR_API zr_status zr_confluent_unframe(const void *data, size_t len, uint32_t *schema_id, const uint8_t **payload,
                                      size_t *payload_len, zr_error *err);

#ifdef __cplusplus
}
#endif
#endif /* ZERIAL_SCHEMA_H */
