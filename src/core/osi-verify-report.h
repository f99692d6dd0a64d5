/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  OSI_VERDICT_RESTORABLE,
  OSI_VERDICT_UNPROVEN,       /* nothing wrong found, but no manifest to prove integrity */
  OSI_VERDICT_NOT_RESTORABLE,
} OsiVerdict;

typedef enum
{
  OSI_SEVERITY_WARNING,
  OSI_SEVERITY_UNPROVEN,
  OSI_SEVERITY_ERROR,
} OsiSeverity;

/* The string ids (osi_finding_code_to_string) are part of the JSON report
 * that scripts and the server's verify endpoint use: never rename one. */
typedef enum
{
  OSI_FINDING_UNREADABLE,
  OSI_FINDING_EMPTY_FILE,
  OSI_FINDING_UNKNOWN_FORMAT,
  OSI_FINDING_TRUNCATED,
  OSI_FINDING_CORRUPT,
  OSI_FINDING_ABSOLUTE_PATH,
  OSI_FINDING_PARENT_PATH,
  OSI_FINDING_UNSAFE_PATH,
  OSI_FINDING_NAME_NOT_UTF8,
  OSI_FINDING_SYMLINK,
  OSI_FINDING_HARDLINK,
  OSI_FINDING_SPECIAL_FILE,
  OSI_FINDING_DUPLICATE_PATH,
  OSI_FINDING_MANIFEST_MISSING,
  OSI_FINDING_MANIFEST_INVALID,
  OSI_FINDING_CHECKSUM_MISMATCH,
  OSI_FINDING_SIZE_MISMATCH,
  OSI_FINDING_MISSING_FILE,
  OSI_FINDING_EXTRA_FILE,
  OSI_FINDING_RAG_MISSING,
  OSI_FINDING_RAG_INVALID_JSON,
  OSI_FINDING_RAG_INVALID_SCHEMA,
  OSI_FINDING_TOO_LARGE,
  OSI_FINDING_RATIO_EXCEEDED,
  OSI_FINDING_TOO_MANY_ENTRIES,
  OSI_FINDING_WRITE_FAILED,
  OSI_FINDING_PATHS_TOO_LARGE,
  OSI_N_FINDINGS
} OsiFindingCode;

/* A report's size is bounded whatever the archive holds. It keeps the
 * first OSI_VERIFY_REPORT_MAX_FINDINGS findings and the first of each
 * code, and only counts the others (osi_verify_report_get_omitted); a
 * finding's path and detail are cut past OSI_VERIFY_REPORT_MAX_TEXT
 * bytes. Its entries are bounded by the archive limits (entries, path
 * bytes) that the reader enforces, and its outputs list at most
 * OSI_VERIFY_REPORT_MAX_LISTED of them when a limit stopped the reading
 * (osi_verify_report_get_n_listed). */
#define OSI_VERIFY_REPORT_MAX_FINDINGS 1000
#define OSI_VERIFY_REPORT_MAX_LISTED   1000
#define OSI_VERIFY_REPORT_MAX_TEXT     4096

typedef struct
{
  OsiFindingCode  code;
  OsiSeverity     severity;
  char           *path;     /* may be NULL (the archive as a whole) */
  char           *message;  /* translated, complete sentence */
} OsiFinding;

typedef struct
{
  char    *path;
  gint64   size;
  char    *sha256;          /* NULL for directories */
  gboolean is_dir;
} OsiFileEntry;

#define OSI_TYPE_VERIFY_REPORT (osi_verify_report_get_type ())

G_DECLARE_FINAL_TYPE (OsiVerifyReport, osi_verify_report, OSI, VERIFY_REPORT, GObject)

OsiVerifyReport *osi_verify_report_new                 (const char      *file);
const char      *osi_verify_report_get_file            (OsiVerifyReport *self);
OsiVerdict       osi_verify_report_get_verdict         (OsiVerifyReport *self);
gboolean         osi_verify_report_is_restorable       (OsiVerifyReport *self);
/* Element type OsiFinding, in the order found: those kept (see
 * OSI_VERIFY_REPORT_MAX_FINDINGS). */
GPtrArray       *osi_verify_report_get_findings        (OsiVerifyReport *self);
/* Whether a finding of that code was added, kept or not. */
gboolean         osi_verify_report_has_finding         (OsiVerifyReport *self,
                                                        OsiFindingCode   code);
/* How many findings were counted but not kept: of that code, or of any
 * code when code is OSI_N_FINDINGS. */
guint64          osi_verify_report_get_omitted         (OsiVerifyReport *self,
                                                        OsiFindingCode   code);
void             osi_verify_report_add_finding         (OsiVerifyReport *self,
                                                        OsiFindingCode   code,
                                                        const char      *path,
                                                        const char      *detail);

/* What was read. Element type OsiFileEntry, in archive order. */
GPtrArray       *osi_verify_report_get_entries         (OsiVerifyReport *self);
/* How many of the entries (the first ones) outputs show: all of them,
 * unless a limit (size, ratio, entries, path bytes) stopped the reading.
 * What was read then is only the start of a bomb, and listing it whole
 * would make the report as large as the limit allows. */
guint            osi_verify_report_get_n_listed        (OsiVerifyReport *self);
/* The entry added, owned by the report: its strings live as long as the
 * report. */
const OsiFileEntry *osi_verify_report_add_entry        (OsiVerifyReport *self,
                                                        const char      *path,
                                                        gint64           size,
                                                        const char      *sha256,
                                                        gboolean         is_dir);
void             osi_verify_report_set_format          (OsiVerifyReport *self,
                                                        const char      *format);
const char      *osi_verify_report_get_format          (OsiVerifyReport *self);
void             osi_verify_report_set_totals          (OsiVerifyReport *self,
                                                        guint64          archive_bytes,
                                                        guint64          content_bytes);
guint64          osi_verify_report_get_archive_bytes   (OsiVerifyReport *self);
guint64          osi_verify_report_get_content_bytes   (OsiVerifyReport *self);
void             osi_verify_report_set_rag_entries     (OsiVerifyReport *self,
                                                        gint64           count);
gint64           osi_verify_report_get_rag_entries     (OsiVerifyReport *self);

/* The manifest as read (NULL when absent or unreadable). */
void             osi_verify_report_set_manifest        (OsiVerifyReport *self,
                                                        JsonObject      *manifest);
JsonObject      *osi_verify_report_get_manifest        (OsiVerifyReport *self);

const char      *osi_finding_code_to_string            (OsiFindingCode   code);
const char      *osi_verdict_to_string                 (OsiVerdict       verdict);
/* A translated one-line verdict for people: "restaurable", … */
const char      *osi_verdict_describe                  (OsiVerdict       verdict);

/* The report as `osi-backup-cli verify --json` prints it (docs/archive-format.md §8.4). */
JsonNode        *osi_verify_report_to_json             (OsiVerifyReport *self);

G_END_DECLS
