/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* What changes between two backups (or data directories): A is "before",
 * B is "after". For a restore, A is the current data and B the backup. */

typedef enum
{
  OSI_CHANGE_ADDED,     /* in B, not in A */
  OSI_CHANGE_REMOVED,   /* in A, not in B */
  OSI_CHANGE_MODIFIED,
} OsiChangeKind;

typedef enum
{
  OSI_DIFF_RAG,         /* entries of rag/search.json, by key */
  OSI_DIFF_CONFIG,      /* files under config/, by path */
  OSI_DIFF_DATA,        /* files under data/, by path */
  OSI_N_DIFF_SECTIONS
} OsiDiffSection;

typedef struct
{
  OsiChangeKind  kind;
  char          *name;    /* RAG entry key, or the file's path inside the backup ("config/app.json") */
  GStrv          fields;  /* MODIFIED RAG entries: the top-level fields that differ
                           * ("description", "details", …), sorted; NULL otherwise */
  gint64         size_a;  /* files: size in A, -1 when absent; RAG entries: -1 */
  gint64         size_b;
} OsiChange;

#define OSI_TYPE_DIFF (osi_diff_get_type ())
G_DECLARE_FINAL_TYPE (OsiDiff, osi_diff, OSI, DIFF, GObject)

/* A and B: archives (any format the archive module reads, including a bare
 * .json knowledge base) or data directories holding rag/, config/, data/.
 * Blocking; bounded memory apart from the two knowledge bases' keys and
 * per-entry digests. */
OsiDiff     *osi_diff_compare           (const char           *a,
                                         const char           *b,
                                         GCancellable         *cancellable,
                                         GError              **error);
/* Runs osi_diff_compare in a worker thread. */
void         osi_diff_compare_async     (const char           *a,
                                         const char           *b,
                                         GCancellable         *cancellable,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
OsiDiff     *osi_diff_compare_finish    (GAsyncResult         *result,
                                         GError              **error);

const char  *osi_diff_get_a             (OsiDiff              *self);
const char  *osi_diff_get_b             (OsiDiff              *self);
/* Element type OsiChange, sorted by name. */
GPtrArray   *osi_diff_get_changes       (OsiDiff              *self,
                                         OsiDiffSection        section);
guint        osi_diff_count             (OsiDiff              *self,
                                         OsiDiffSection        section,
                                         OsiChangeKind         kind);
guint        osi_diff_get_unchanged     (OsiDiff              *self,
                                         OsiDiffSection        section);
gboolean     osi_diff_is_empty          (OsiDiff              *self);

/* The JSON of `osi-backup-cli diff A B --json` and of the server's
 * GET /api/rag/backup/diff (docs/api.md §3.9), and back (for the client). */
JsonNode    *osi_diff_to_json           (OsiDiff              *self);
OsiDiff     *osi_diff_new_from_json     (JsonNode             *node,
                                         GError              **error);

/* Translated one-line summaries for people, with plural forms:
 * "This restore will remove 12 entries, add 3 and modify 40." (for a
 * restore confirmation: A = current data, B = the backup), and the same
 * for configuration files. Says so when nothing changes. */
char        *osi_diff_describe_restore  (OsiDiff              *self);

const char  *osi_change_kind_to_string  (OsiChangeKind         kind);  /* "added", "removed", "modified" */
const char  *osi_diff_section_to_string (OsiDiffSection        section); /* "rag", "config", "data" */

G_END_DECLS
