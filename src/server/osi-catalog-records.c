/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-server"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "osi-backup-info.h"
#include "osi-catalog-private.h"
#include "osi-names.h"
#include "osi-sha256.h"

/* What the catalog records, read and written through the statements
 * osi-catalog.c prepared: entries, the policy, the runs. */


/* ------------------------------------------------------------------------ */
/* Names of kinds, verdicts and runs                                        */

static const char * const kind_names[] = {
  [OSI_CATALOG_KIND_UNKNOWN] = NULL,
  [OSI_CATALOG_KIND_MANUAL] = "manual",
  [OSI_CATALOG_KIND_SCHEDULED] = "scheduled",
  [OSI_CATALOG_KIND_SAFETY] = "safety",
  [OSI_CATALOG_KIND_UPLOAD] = "upload",
};

static const char * const verdict_names[] = {
  [OSI_CATALOG_VERDICT_NONE] = NULL,
  [OSI_CATALOG_VERDICT_RESTORABLE] = "restorable",
  [OSI_CATALOG_VERDICT_NOT_RESTORABLE] = "not-restorable",
  [OSI_CATALOG_VERDICT_UNPROVEN] = "unproven",
};

static const char * const run_kind_names[] = {
  [OSI_CATALOG_RUN_BACKUP] = "backup",
  [OSI_CATALOG_RUN_VERIFY] = "verify",
  [OSI_CATALOG_RUN_PRUNE] = "prune",
};

/* Each enumeration's two conversions, through its table. */
#define DEFINE_NAME_CONVERSIONS(prefix, Type, names)                          \
  const char *                                                                \
  prefix##_to_string (Type value)                                             \
  {                                                                           \
    g_return_val_if_fail ((guint)value < G_N_ELEMENTS (names), NULL);         \
                                                                              \
    return names[value];                                                      \
  }                                                                           \
                                                                              \
  gboolean                                                                    \
  prefix##_from_string (const char *text,                                     \
                        Type       *value)                                    \
  {                                                                           \
    int found;                                                                \
                                                                              \
    g_return_val_if_fail (value != NULL, FALSE);                              \
                                                                              \
    if (!osi_name_lookup (names, G_N_ELEMENTS (names), text, &found))         \
      return FALSE;                                                           \
    *value = found;                                                           \
    return TRUE;                                                              \
  }

DEFINE_NAME_CONVERSIONS (osi_catalog_kind, OsiCatalogKind, kind_names)
DEFINE_NAME_CONVERSIONS (osi_catalog_verdict, OsiCatalogVerdict, verdict_names)
DEFINE_NAME_CONVERSIONS (osi_catalog_run_kind, OsiCatalogRunKind, run_kind_names)

/* ------------------------------------------------------------------------ */
/* Entries, stamps, runs, notes                                             */

void
osi_catalog_stamp_from_stat (OsiCatalogStamp   *stamp,
                             const struct stat *st)
{
  g_return_if_fail (stamp != NULL && st != NULL);

  stamp->size = st->st_size;
  stamp->mtime_ns = (gint64)st->st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + st->st_mtim.tv_nsec;
  stamp->ctime_ns = (gint64)st->st_ctim.tv_sec * G_GINT64_CONSTANT (1000000000) + st->st_ctim.tv_nsec;
}

static char *
copy_string (char       *p,
             const char *text,
             gsize       len)
{
  memcpy (p, text, len);
  p[len] = '\0';
  return p + len + 1;
}

/* An entry and its strings are one allocation: 100,000 of them are read
 * at once. All defaults but the strings; only the struct is cleared. */
static OsiCatalogEntry *
entry_new (const char *name,
           gsize       name_len,
           const char *note,
           gsize       note_len,
           const char *sha256,
           gsize       sha256_len)
{
  gsize size = sizeof (OsiCatalogEntry) + name_len + 1;
  OsiCatalogEntry *entry;
  char *p;

  if (note != NULL)
    size += note_len + 1;
  if (sha256 != NULL)
    size += sha256_len + 1;
  entry = g_malloc (size);
  *entry = (OsiCatalogEntry) { 0 };
  p = (char *)(entry + 1);
  entry->name = p;
  p = copy_string (p, name, name_len);
  if (note != NULL)
    {
      entry->note = p;
      p = copy_string (p, note, note_len);
    }
  if (sha256 != NULL)
    {
      entry->sha256 = p;
      copy_string (p, sha256, sha256_len);
    }
  return entry;
}

void
osi_catalog_entry_free (OsiCatalogEntry *entry)
{
  g_free (entry);
}

const char *
osi_catalog_entry_get_sha256 (const OsiCatalogEntry *entry,
                              const struct stat     *st)
{
  OsiCatalogStamp stamp;

  g_return_val_if_fail (entry != NULL && st != NULL, NULL);

  if (entry->sha256 == NULL)
    return NULL;
  osi_catalog_stamp_from_stat (&stamp, st);
  if (stamp.size != entry->stamp.size || stamp.mtime_ns != entry->stamp.mtime_ns ||
      stamp.ctime_ns != entry->stamp.ctime_ns)
    return NULL;
  return entry->sha256;
}

void
osi_catalog_run_free (OsiCatalogRun *run)
{
  if (run == NULL)
    return;
  g_free (run->detail);
  g_free (run);
}

gboolean
osi_catalog_note_is_valid (const char  *note,
                           GError     **error)
{
  glong n_chars;

  if (note == NULL)
    return TRUE;
  if (!g_utf8_validate (note, -1, NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The note is not valid UTF-8 text."));
      return FALSE;
    }
  n_chars = g_utf8_strlen (note, -1);
  if (n_chars > OSI_CATALOG_NOTE_MAX_CHARS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("The note has %ld characters; at most %d are allowed."),
                   n_chars, OSI_CATALOG_NOTE_MAX_CHARS);
      return FALSE;
    }
  /* A note is shown as text, in lists and in logs: line feeds and tabs
   * lay it out, other controls (carriage return, escape sequences, C1)
   * would only garble what shows it. */
  for (const char *p = note; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c != '\n' && c != '\t' && g_unichar_iscntrl (c))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("The note contains a control character; only line breaks and tabs are allowed."));
          return FALSE;
        }
    }
  return TRUE;
}

static char *
column_strdup (sqlite3_stmt *stmt,
               int           column)
{
  return g_strdup ((const char *)sqlite3_column_text (stmt, column));
}

static char *
text_from_row (sqlite3_stmt *stmt)
{
  return column_strdup (stmt, 0);
}

/* The index of the name a TEXT column holds in names (the schema's
 * CHECK allows only theirs, or NULL), 0 otherwise: compared in place,
 * no copy. */
static int
column_name_index (sqlite3_stmt       *stmt,
                   int                 column,
                   const char * const *names,
                   guint               n_names)
{
  const char *text = (const char *)sqlite3_column_text (stmt, column);
  int value;

  return osi_name_lookup (names, n_names, text, &value) ? value : 0;
}

static OsiCatalogEntry *
entry_from_row (sqlite3_stmt *stmt)
{
  /* sqlite3_column_bytes () after sqlite3_column_text (): the length of
   * the text as returned. The texts point into SQLite's row, copied once
   * into the entry's block. */
  const char *name = (const char *)sqlite3_column_text (stmt, 0);
  gsize name_len = sqlite3_column_bytes (stmt, 0);
  const char *note = (const char *)sqlite3_column_text (stmt, 2);
  gsize note_len = sqlite3_column_bytes (stmt, 2);
  const char *sha256 = (const char *)sqlite3_column_text (stmt, 4);
  gsize sha256_len = sqlite3_column_bytes (stmt, 4);
  OsiCatalogEntry *entry;

  entry = entry_new (name != NULL ? name : "", name_len, note, note_len, sha256, sha256_len);
  entry->is_protected = sqlite3_column_int (stmt, 1) != 0;
  entry->kind = column_name_index (stmt, 3, kind_names, G_N_ELEMENTS (kind_names));
  entry->stamp.size = sqlite3_column_int64 (stmt, 5);
  entry->stamp.mtime_ns = sqlite3_column_int64 (stmt, 6);
  entry->stamp.ctime_ns = sqlite3_column_int64 (stmt, 7);
  entry->verdict = column_name_index (stmt, 8, verdict_names, G_N_ELEMENTS (verdict_names));
  if (entry->verdict != OSI_CATALOG_VERDICT_NONE)
    entry->verified_at = sqlite3_column_int64 (stmt, 9);
  return entry;
}

static OsiCatalogRun *
run_from_row (sqlite3_stmt *stmt)
{
  OsiCatalogRun *run = g_new0 (OsiCatalogRun, 1);
  int value;

  /* The schema's CHECK allows only known kinds. */
  if (osi_name_lookup (run_kind_names, G_N_ELEMENTS (run_kind_names), (const char *)sqlite3_column_text (stmt, 0), &value))
    run->kind = value;
  run->at = sqlite3_column_int64 (stmt, 1);
  run->ok = sqlite3_column_int (stmt, 2) != 0;
  run->detail = column_strdup (stmt, 3);
  if (run->detail == NULL)
    run->detail = g_strdup ("");
  return run;
}

/* ------------------------------------------------------------------------ */
/* Records                                                                  */


OsiCatalogEntry *
osi_catalog_get_entry (OsiCatalog  *self,
                       const char  *name,
                       GError     **error)
{
  sqlite3_stmt *stmt;
  OsiCatalogEntry *entry;

  g_return_val_if_fail (OSI_IS_CATALOG (self), NULL);
  g_return_val_if_fail (osi_backup_name_is_valid (name), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  CHECK_THREAD (self, NULL);

  if ((stmt = _osi_catalog_get_stmt (self, STMT_GET_ENTRY, error)) == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  if (!_osi_catalog_read_one (self, stmt, (OsiCatalogFromRow)entry_from_row, (gpointer *)&entry, error))
    return NULL;
  return entry != NULL ? entry : entry_new (name, strlen (name), NULL, 0, NULL, 0);
}

GHashTable *
osi_catalog_load_all (OsiCatalog  *self,
                      GError     **error)
{
  g_autoptr(GPtrArray) rows = NULL;
  GHashTable *entries;
  sqlite3_stmt *stmt;

  g_return_val_if_fail (OSI_IS_CATALOG (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  CHECK_THREAD (self, NULL);

  if ((stmt = _osi_catalog_get_stmt (self, STMT_LOAD_ALL, error)) == NULL)
    return NULL;
  rows = _osi_catalog_read_all (self, stmt, (OsiCatalogFromRow)entry_from_row,
                                (GDestroyNotify)osi_catalog_entry_free, error);
  if (rows == NULL)
    return NULL;
  /* The table takes the entries over from the array. */
  g_ptr_array_set_free_func (rows, NULL);
  entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)osi_catalog_entry_free);
  for (guint i = 0; i < rows->len; i++)
    {
      OsiCatalogEntry *entry = g_ptr_array_index (rows, i);

      g_hash_table_replace (entries, (char *)entry->name, entry);
    }
  return entries;
}

/* What every call about many, in an array, checks first. */
#define CHECK_BATCH_CALL(self, items, n_items, error)                        \
  G_STMT_START {                                                             \
    g_return_val_if_fail (OSI_IS_CATALOG (self), FALSE);                     \
    g_return_val_if_fail ((items) != NULL || (n_items) == 0, FALSE);         \
    g_return_val_if_fail ((error) == NULL || *(error) == NULL, FALSE);       \
    CHECK_THREAD (self, FALSE);                                              \
  } G_STMT_END

/* Binds item i of an array to a statement of a batch. */
typedef void (*BindItem) (sqlite3_stmt  *stmt,
                          gconstpointer  items,
                          guint          i);

/* Runs which once for each of n_items items, all or none, in one
 * transaction: one sync. */
static gboolean
run_batch (OsiCatalog     *self,
           Stmt            which,
           BindItem        bind,
           gconstpointer   items,
           guint           n_items,
           GError        **error)
{
  sqlite3_stmt *stmt;

  if (n_items == 0)
    return TRUE;
  if ((stmt = _osi_catalog_get_stmt (self, which, error)) == NULL)
    return FALSE;
  if (!_osi_catalog_run_simple (self, STMT_BEGIN, error))
    return FALSE;
  for (guint i = 0; i < n_items; i++)
    {
      bind (stmt, items, i);
      if (!_osi_catalog_run_in_transaction (self, stmt, error))
        return FALSE;
    }
  return _osi_catalog_commit (self, error);
}

gboolean
osi_catalog_set_protected (OsiCatalog  *self,
                           const char  *name,
                           gboolean     is_protected,
                           GError     **error)
{
  sqlite3_stmt *stmt;

  CHECK_NAMED_CALL (self, name, error);

  if ((stmt = _osi_catalog_get_named_stmt (self, STMT_SET_PROTECTED, name, error)) == NULL)
    return FALSE;
  sqlite3_bind_int (stmt, 2, is_protected ? 1 : 0);
  return _osi_catalog_run_stmt (self, stmt, error);
}

gboolean
osi_catalog_set_note (OsiCatalog  *self,
                      const char  *name,
                      const char  *note,
                      GError     **error)
{
  sqlite3_stmt *stmt;

  CHECK_NAMED_CALL (self, name, error);

  if (!osi_catalog_note_is_valid (note, error))
    return FALSE;
  if ((stmt = _osi_catalog_get_named_stmt (self, STMT_SET_NOTE, name, error)) == NULL)
    return FALSE;
  _osi_catalog_bind_text_or_null (stmt, 2, note != NULL && note[0] != '\0' ? note : NULL);
  return _osi_catalog_run_stmt (self, stmt, error);
}

gboolean
osi_catalog_set_kind (OsiCatalog      *self,
                      const char      *name,
                      OsiCatalogKind   kind,
                      GError         **error)
{
  sqlite3_stmt *stmt;

  CHECK_NAMED_CALL (self, name, error);
  g_return_val_if_fail ((guint)kind < G_N_ELEMENTS (kind_names), FALSE);

  if ((stmt = _osi_catalog_get_named_stmt (self, STMT_SET_KIND, name, error)) == NULL)
    return FALSE;
  _osi_catalog_bind_text_or_null (stmt, 2, kind_names[kind]);
  return _osi_catalog_run_stmt (self, stmt, error);
}

/* ?2 to ?5 of a statement that writes a checksum (all NULL when sha256
 * is NULL), from first on. */
static void
bind_sha256 (sqlite3_stmt          *stmt,
             int                    first,
             const char            *sha256,
             const OsiCatalogStamp *stamp)
{
  if (sha256 == NULL)
    return;   /* all NULL */
  sqlite3_bind_text (stmt, first, g_ascii_strdown (sha256, -1), -1, g_free);
  sqlite3_bind_int64 (stmt, first + 1, stamp->size);
  sqlite3_bind_int64 (stmt, first + 2, stamp->mtime_ns);
  sqlite3_bind_int64 (stmt, first + 3, stamp->ctime_ns);
}

gboolean
osi_catalog_set_sha256 (OsiCatalog             *self,
                        const char             *name,
                        const char             *sha256,
                        const OsiCatalogStamp  *stamp,
                        GError                **error)
{
  sqlite3_stmt *stmt;

  CHECK_NAMED_CALL (self, name, error);
  g_return_val_if_fail (sha256 == NULL || (osi_sha256_is_hex (sha256) && stamp != NULL), FALSE);

  if ((stmt = _osi_catalog_get_named_stmt (self, STMT_SET_SHA256, name, error)) == NULL)
    return FALSE;
  bind_sha256 (stmt, 2, sha256, stamp);
  return _osi_catalog_run_stmt (self, stmt, error);
}

/* ?first (the verdict's name) and ?first + 1 (when), NULL for none. */
static void
bind_verification (sqlite3_stmt      *stmt,
                   int                first,
                   OsiCatalogVerdict  verdict,
                   gint64             at)
{
  if (verdict == OSI_CATALOG_VERDICT_NONE)
    return;
  sqlite3_bind_text (stmt, first, verdict_names[verdict], -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, first + 1, at);
}

gboolean
osi_catalog_set_verification (OsiCatalog         *self,
                              const char         *name,
                              OsiCatalogVerdict   verdict,
                              gint64              at,
                              GError            **error)
{
  sqlite3_stmt *stmt;

  CHECK_NAMED_CALL (self, name, error);
  g_return_val_if_fail ((guint)verdict < G_N_ELEMENTS (verdict_names), FALSE);

  if ((stmt = _osi_catalog_get_named_stmt (self, STMT_SET_VERIFICATION, name, error)) == NULL)
    return FALSE;
  bind_verification (stmt, 2, verdict, at);
  return _osi_catalog_run_stmt (self, stmt, error);
}

static void
bind_entry (sqlite3_stmt  *stmt,
            gconstpointer  items,
            guint          i)
{
  const OsiCatalogEntry *entry = (const OsiCatalogEntry *)items + i;

  /* The columns of ENTRY_COLUMNS, in order. */
  sqlite3_bind_text (stmt, 1, entry->name, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 2, entry->is_protected ? 1 : 0);
  _osi_catalog_bind_text_or_null (stmt, 3, entry->note != NULL && entry->note[0] != '\0' ? entry->note : NULL);
  _osi_catalog_bind_text_or_null (stmt, 4, kind_names[entry->kind]);
  bind_sha256 (stmt, 5, entry->sha256, &entry->stamp);
  bind_verification (stmt, 9, entry->verdict, entry->verified_at);
}

gboolean
osi_catalog_set_entries (OsiCatalog             *self,
                         const OsiCatalogEntry  *entries,
                         guint                   n_entries,
                         GError                **error)
{
  CHECK_BATCH_CALL (self, entries, n_entries, error);
  /* Checked before the transaction begins: all or none. */
  for (guint i = 0; i < n_entries; i++)
    {
      g_return_val_if_fail (osi_backup_name_is_valid (entries[i].name), FALSE);
      g_return_val_if_fail (entries[i].sha256 == NULL || osi_sha256_is_hex (entries[i].sha256), FALSE);
      g_return_val_if_fail ((guint)entries[i].kind < G_N_ELEMENTS (kind_names), FALSE);
      g_return_val_if_fail ((guint)entries[i].verdict < G_N_ELEMENTS (verdict_names), FALSE);
      if (!osi_catalog_note_is_valid (entries[i].note, error))
        return FALSE;
    }

  return run_batch (self, STMT_SET_ENTRY, bind_entry, entries, n_entries, error);
}

gboolean
osi_catalog_forget (OsiCatalog  *self,
                    const char  *name,
                    GError     **error)
{
  sqlite3_stmt *stmt;

  CHECK_NAMED_CALL (self, name, error);

  if ((stmt = _osi_catalog_get_named_stmt (self, STMT_FORGET, name, error)) == NULL)
    return FALSE;
  return _osi_catalog_run_stmt (self, stmt, error);
}

static void
bind_name (sqlite3_stmt  *stmt,
           gconstpointer  items,
           guint          i)
{
  sqlite3_bind_text (stmt, 1, ((const char * const *)items)[i], -1, SQLITE_STATIC);
}

gboolean
osi_catalog_forget_many (OsiCatalog          *self,
                         const char * const  *names,
                         guint                n_names,
                         GError             **error)
{
  CHECK_BATCH_CALL (self, names, n_names, error);
  for (guint i = 0; i < n_names; i++)
    g_return_val_if_fail (osi_backup_name_is_valid (names[i]), FALSE);

  return run_batch (self, STMT_FORGET, bind_name, names, n_names, error);
}

static void
bind_checksum (sqlite3_stmt  *stmt,
               gconstpointer  items,
               guint          i)
{
  const OsiCatalogChecksum *checksum = (const OsiCatalogChecksum *)items + i;

  sqlite3_bind_text (stmt, 1, checksum->name, -1, SQLITE_STATIC);
  bind_sha256 (stmt, 2, checksum->sha256, &checksum->stamp);
}

gboolean
osi_catalog_import_checksums (OsiCatalog                *self,
                              const OsiCatalogChecksum  *checksums,
                              guint                      n_checksums,
                              GError                   **error)
{
  CHECK_BATCH_CALL (self, checksums, n_checksums, error);
  /* Checked before the transaction begins: all or none. */
  for (guint i = 0; i < n_checksums; i++)
    {
      g_return_val_if_fail (osi_backup_name_is_valid (checksums[i].name), FALSE);
      g_return_val_if_fail (osi_sha256_is_hex (checksums[i].sha256), FALSE);
    }

  return run_batch (self, STMT_IMPORT_SHA256, bind_checksum, checksums, n_checksums, error);
}

gboolean
osi_catalog_get_setting (OsiCatalog  *self,
                         const char  *key,
                         char       **value,
                         GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (OSI_IS_CATALOG (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  CHECK_THREAD (self, FALSE);

  *value = NULL;
  if ((stmt = _osi_catalog_get_stmt (self, STMT_GET_SETTING, error)) == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  return _osi_catalog_read_one (self, stmt, (OsiCatalogFromRow)text_from_row, (gpointer *)value, error);
}

gboolean
osi_catalog_set_setting (OsiCatalog  *self,
                         const char  *key,
                         const char  *value,
                         GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (OSI_IS_CATALOG (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (value != NULL && g_utf8_validate (value, -1, NULL), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  CHECK_THREAD (self, FALSE);

  if ((stmt = _osi_catalog_get_stmt (self, STMT_SET_SETTING, error)) == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, value, -1, SQLITE_STATIC);
  return _osi_catalog_run_stmt (self, stmt, error);
}

gboolean
osi_catalog_get_policy (OsiCatalog  *self,
                        char       **json,
                        GError     **error)
{
  return osi_catalog_get_setting (self, SETTING_POLICY, json, error);
}

gboolean
osi_catalog_set_policy (OsiCatalog  *self,
                        const char  *json,
                        GError     **error)
{
  return osi_catalog_set_setting (self, SETTING_POLICY, json, error);
}

/* Valid UTF-8, at most OSI_CATALOG_DETAIL_MAX_CHARS characters. */
static char *
clean_detail (const char *detail)
{
  g_autofree char *valid = g_utf8_make_valid (detail != NULL ? detail : "", -1);
  const char *cut;

  if (g_utf8_strlen (valid, -1) <= OSI_CATALOG_DETAIL_MAX_CHARS)
    return g_steal_pointer (&valid);
  cut = g_utf8_offset_to_pointer (valid, OSI_CATALOG_DETAIL_MAX_CHARS - 1);
  return g_strdup_printf ("%.*s…", (int)(cut - valid), valid);
}

gboolean
osi_catalog_add_run (OsiCatalog         *self,
                     OsiCatalogRunKind   kind,
                     gint64              at,
                     gboolean            ok,
                     const char         *detail,
                     GError            **error)
{
  g_autofree char *text = NULL;
  sqlite3_stmt *add, *prune;

  g_return_val_if_fail (OSI_IS_CATALOG (self), FALSE);
  g_return_val_if_fail ((guint)kind < G_N_ELEMENTS (run_kind_names), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  CHECK_THREAD (self, FALSE);

  if ((add = _osi_catalog_get_stmt (self, STMT_ADD_RUN, error)) == NULL)
    return FALSE;
  prune = self->stmts[STMT_PRUNE_RUNS];
  text = clean_detail (detail);

  if (!_osi_catalog_run_simple (self, STMT_BEGIN, error))
    return FALSE;
  sqlite3_bind_text (add, 1, run_kind_names[kind], -1, SQLITE_STATIC);
  sqlite3_bind_int64 (add, 2, at);
  sqlite3_bind_int (add, 3, ok ? 1 : 0);
  sqlite3_bind_text (add, 4, text, -1, SQLITE_STATIC);
  if (!_osi_catalog_run_in_transaction (self, add, error))
    return FALSE;
  sqlite3_bind_int (prune, 1, OSI_CATALOG_RUNS_KEPT);
  return _osi_catalog_run_in_transaction (self, prune, error) && _osi_catalog_commit (self, error);
}

GPtrArray *
osi_catalog_list_runs (OsiCatalog  *self,
                       guint        n,
                       GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (OSI_IS_CATALOG (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  CHECK_THREAD (self, NULL);

  if ((stmt = _osi_catalog_get_stmt (self, STMT_LIST_RUNS, error)) == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, n);
  return _osi_catalog_read_all (self, stmt, (OsiCatalogFromRow)run_from_row,
                                (GDestroyNotify)osi_catalog_run_free, error);
}

gboolean
osi_catalog_get_last_run (OsiCatalog         *self,
                          OsiCatalogRunKind   kind,
                          OsiCatalogRun     **run,
                          GError            **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (OSI_IS_CATALOG (self), FALSE);
  g_return_val_if_fail ((guint)kind < G_N_ELEMENTS (run_kind_names), FALSE);
  g_return_val_if_fail (run != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  CHECK_THREAD (self, FALSE);

  *run = NULL;
  if ((stmt = _osi_catalog_get_stmt (self, STMT_LAST_RUN, error)) == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, run_kind_names[kind], -1, SQLITE_STATIC);
  return _osi_catalog_read_one (self, stmt, (OsiCatalogFromRow)run_from_row, (gpointer *)run, error);
}
