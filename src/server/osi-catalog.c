/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-server"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <sqlite3.h>

#include "osi-backup-info.h"
#include "osi-catalog.h"
#include "osi-sha256.h"

/* Durability. In WAL mode a transaction is in the WAL file once its
 * COMMIT returns: a crash of the process, even SIGKILL, loses nothing
 * that was committed, with any synchronous setting. They differ on power
 * loss: with NORMAL the WAL is synced only at checkpoints, so the last
 * commits (seconds' worth) can be lost, never the database's
 * consistency; with FULL each commit syncs the WAL. FULL it is: the
 * catalog is written rarely (a person's action, one backup or
 * verification, a run), a sync of a few appended pages is a millisecond
 * or two, and one of its facts guards backups: a protection that the
 * server acknowledged and then lost in a power cut would let the next
 * prune delete a backup the administrator was told was protected. */
#define SYNCHRONOUS         "FULL"
/* Only another process (an administrator's sqlite3 shell) can hold the
 * database locked; the main loop waits that long at most. */
#define BUSY_TIMEOUT_MS     1000
/* SQLite's page cache, in KiB (an upper bound; it grows as pages are
 * read): enough to hold the catalog of 100,000 backups (about 15 MiB),
 * so that the list reads it from memory. The quick_check at open reads
 * every page once and fills it. */
#define CACHE_KIB           "32768"
/* The WAL is truncated to this after a checkpoint. */
#define WAL_SIZE_LIMIT      "4194304"
/* PRAGMA application_id: "OSIB". Tells our catalog from another
 * program's database that would carry our file name. */
#define APPLICATION_ID      0x4f534942

/* The schema, one step per version: migrations[v] brings version v to
 * v + 1, in one transaction with the new user_version. A step is never
 * edited once released; a change is a new step. */
static const char * const migrations[] = {
  /* 0 → 1 */
  "CREATE TABLE backups ("
  "  name        TEXT PRIMARY KEY NOT NULL,"
  "  protected   INTEGER NOT NULL DEFAULT 0 CHECK (protected IN (0, 1)),"
  "  note        TEXT CHECK (note IS NULL OR length (note) BETWEEN 1 AND 500),"
  "  kind        TEXT CHECK (kind IN ('manual', 'scheduled', 'safety', 'upload')),"
  "  sha256      TEXT CHECK (sha256 IS NULL OR"
  "                          (length (sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*')),"
  "  size        INTEGER,"
  "  mtime_ns    INTEGER,"
  "  ctime_ns    INTEGER,"
  "  verdict     TEXT CHECK (verdict IN ('restorable', 'not-restorable', 'unproven')),"
  "  verified_at INTEGER,"
  "  CHECK ((verdict IS NULL) = (verified_at IS NULL))"
  ") WITHOUT ROWID;"
  "CREATE TABLE settings ("
  "  key   TEXT PRIMARY KEY NOT NULL,"
  "  value TEXT NOT NULL"
  ") WITHOUT ROWID;"
  "CREATE TABLE runs ("
  "  id     INTEGER PRIMARY KEY,"
  "  kind   TEXT NOT NULL CHECK (kind IN ('backup', 'verify', 'prune')),"
  "  at     INTEGER NOT NULL,"
  "  ok     INTEGER NOT NULL CHECK (ok IN (0, 1)),"
  "  detail TEXT NOT NULL"
  ");"
  "CREATE INDEX runs_by_kind ON runs (kind, id);",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == OSI_CATALOG_SCHEMA_VERSION);

#define ENTRY_COLUMNS "name, protected, note, kind, sha256, size, mtime_ns, ctime_ns, verdict, verified_at"
#define RUN_COLUMNS   "kind, at, ok, detail"

/* Every statement, prepared once at open. */
typedef enum
{
  STMT_BEGIN,
  STMT_COMMIT,
  STMT_ROLLBACK,
  STMT_GET_ENTRY,
  STMT_LOAD_ALL,
  STMT_SET_PROTECTED,
  STMT_SET_NOTE,
  STMT_SET_KIND,
  STMT_SET_SHA256,
  STMT_IMPORT_SHA256,
  STMT_SET_VERIFICATION,
  STMT_FORGET,
  STMT_GET_SETTING,
  STMT_SET_SETTING,
  STMT_ADD_RUN,
  STMT_PRUNE_RUNS,
  STMT_LIST_RUNS,
  STMT_LAST_RUN,
  N_STMTS
} Stmt;

#define SET_SHA256_SQL \
  "INSERT INTO backups (name, sha256, size, mtime_ns, ctime_ns) VALUES (?1, ?2, ?3, ?4, ?5)" \
  " ON CONFLICT (name) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size," \
  " mtime_ns = excluded.mtime_ns, ctime_ns = excluded.ctime_ns"

static const char * const stmt_sql[N_STMTS] = {
  [STMT_BEGIN] = "BEGIN IMMEDIATE",
  [STMT_COMMIT] = "COMMIT",
  [STMT_ROLLBACK] = "ROLLBACK",
  [STMT_GET_ENTRY] = "SELECT " ENTRY_COLUMNS " FROM backups WHERE name = ?1",
  [STMT_LOAD_ALL] = "SELECT " ENTRY_COLUMNS " FROM backups",
  [STMT_SET_PROTECTED] =
    "INSERT INTO backups (name, protected) VALUES (?1, ?2)"
    " ON CONFLICT (name) DO UPDATE SET protected = excluded.protected",
  [STMT_SET_NOTE] =
    "INSERT INTO backups (name, note) VALUES (?1, ?2)"
    " ON CONFLICT (name) DO UPDATE SET note = excluded.note",
  [STMT_SET_KIND] =
    "INSERT INTO backups (name, kind) VALUES (?1, ?2)"
    " ON CONFLICT (name) DO UPDATE SET kind = excluded.kind",
  [STMT_SET_SHA256] = SET_SHA256_SQL,
  /* A checksum the catalog already holds for that very file stays. */
  [STMT_IMPORT_SHA256] =
    SET_SHA256_SQL
    " WHERE NOT (backups.sha256 IS NOT NULL AND backups.size IS excluded.size"
    " AND backups.mtime_ns IS excluded.mtime_ns AND backups.ctime_ns IS excluded.ctime_ns)",
  [STMT_SET_VERIFICATION] =
    "INSERT INTO backups (name, verdict, verified_at) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (name) DO UPDATE SET verdict = excluded.verdict, verified_at = excluded.verified_at",
  [STMT_FORGET] = "DELETE FROM backups WHERE name = ?1",
  [STMT_GET_SETTING] = "SELECT value FROM settings WHERE key = ?1",
  [STMT_SET_SETTING] =
    "INSERT INTO settings (key, value) VALUES (?1, ?2)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
  [STMT_ADD_RUN] = "INSERT INTO runs (" RUN_COLUMNS ") VALUES (?1, ?2, ?3, ?4)",
  /* Everything from the (kept + 1)th newest down: usually one row. */
  [STMT_PRUNE_RUNS] =
    "DELETE FROM runs WHERE id <= (SELECT id FROM runs ORDER BY id DESC LIMIT 1 OFFSET ?1)",
  [STMT_LIST_RUNS] = "SELECT " RUN_COLUMNS " FROM runs ORDER BY id DESC LIMIT ?1",
  [STMT_LAST_RUN] = "SELECT " RUN_COLUMNS " FROM runs WHERE kind = ?1 ORDER BY id DESC LIMIT 1",
};

#define SETTING_POLICY "policy"

struct _OsiCatalog
{
  GObject       parent_instance;

  char         *dir;
  char         *path;
  char         *moved_aside;
  char         *moved_aside_reason;
  GThread      *owner;
  sqlite3      *db;
  sqlite3_stmt *stmts[N_STMTS];
};

G_DEFINE_FINAL_TYPE (OsiCatalog, osi_catalog, G_TYPE_OBJECT)

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

static gboolean
name_lookup (const char * const *names,
             guint               n_names,
             const char         *text,
             int                *value)
{
  if (text == NULL)
    return FALSE;
  for (guint i = 0; i < n_names; i++)
    if (names[i] != NULL && strcmp (names[i], text) == 0)
      {
        *value = (int)i;
        return TRUE;
      }
  return FALSE;
}

const char *
osi_catalog_kind_to_string (OsiCatalogKind kind)
{
  g_return_val_if_fail ((guint)kind < G_N_ELEMENTS (kind_names), NULL);

  return kind_names[kind];
}

gboolean
osi_catalog_kind_from_string (const char     *text,
                              OsiCatalogKind *kind)
{
  int value;

  g_return_val_if_fail (kind != NULL, FALSE);

  if (!name_lookup (kind_names, G_N_ELEMENTS (kind_names), text, &value))
    return FALSE;
  *kind = value;
  return TRUE;
}

const char *
osi_catalog_verdict_to_string (OsiCatalogVerdict verdict)
{
  g_return_val_if_fail ((guint)verdict < G_N_ELEMENTS (verdict_names), NULL);

  return verdict_names[verdict];
}

gboolean
osi_catalog_verdict_from_string (const char        *text,
                                 OsiCatalogVerdict *verdict)
{
  int value;

  g_return_val_if_fail (verdict != NULL, FALSE);

  if (!name_lookup (verdict_names, G_N_ELEMENTS (verdict_names), text, &value))
    return FALSE;
  *verdict = value;
  return TRUE;
}

const char *
osi_catalog_run_kind_to_string (OsiCatalogRunKind kind)
{
  g_return_val_if_fail ((guint)kind < G_N_ELEMENTS (run_kind_names), NULL);

  return run_kind_names[kind];
}

gboolean
osi_catalog_run_kind_from_string (const char        *text,
                                  OsiCatalogRunKind *kind)
{
  int value;

  g_return_val_if_fail (kind != NULL, FALSE);

  if (!name_lookup (run_kind_names, G_N_ELEMENTS (run_kind_names), text, &value))
    return FALSE;
  *kind = value;
  return TRUE;
}

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

/* An entry and its strings are one allocation: 100,000 of them are read
 * at once. */
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
  entry = g_malloc0 (size);
  p = (char *)(entry + 1);
  memcpy (p, name, name_len);
  p[name_len] = '\0';
  entry->name = p;
  p += name_len + 1;
  if (note != NULL)
    {
      memcpy (p, note, note_len);
      p[note_len] = '\0';
      entry->note = p;
      p += note_len + 1;
    }
  if (sha256 != NULL)
    {
      memcpy (p, sha256, sha256_len);
      p[sha256_len] = '\0';
      entry->sha256 = p;
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

/* ------------------------------------------------------------------------ */
/* Statements                                                               */

static GIOErrorEnum
io_error_from_sqlite (int rc)
{
  switch (rc & 0xff)
    {
    case SQLITE_FULL:
      return G_IO_ERROR_NO_SPACE;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return G_IO_ERROR_PERMISSION_DENIED;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return G_IO_ERROR_BUSY;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return G_IO_ERROR_INVALID_DATA;
    default:
      return G_IO_ERROR_FAILED;
    }
}

static void
set_sqlite_error (OsiCatalog  *self,
                  GError     **error,
                  int          rc,
                  gboolean     writing)
{
  const char *message = self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc);

  if (writing)
    g_set_error (error, G_IO_ERROR, io_error_from_sqlite (rc),
                 _("Cannot write the backup catalog: %s"), message);
  else
    g_set_error (error, G_IO_ERROR, io_error_from_sqlite (rc),
                 _("Cannot read the backup catalog: %s"), message);
}

/* The statement, reset and unbound, or NULL with an error when closed. */
static sqlite3_stmt *
get_stmt (OsiCatalog  *self,
          Stmt         which,
          GError     **error)
{
  if (self->db == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, _("The backup catalog is closed."));
      return NULL;
    }
  return self->stmts[which];
}

static void
finish_stmt (sqlite3_stmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

/* Runs a statement that writes and returns no row. */
static gboolean
run_stmt (OsiCatalog    *self,
          sqlite3_stmt  *stmt,
          GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, error, rc, TRUE);
      finish_stmt (stmt);
      return FALSE;
    }
  finish_stmt (stmt);
  return TRUE;
}

static gboolean
run_simple (OsiCatalog  *self,
            Stmt         which,
            GError     **error)
{
  sqlite3_stmt *stmt = get_stmt (self, which, error);

  return stmt != NULL && run_stmt (self, stmt, error);
}

/* Undoes the transaction under way, if a failed statement did not
 * already. */
static void
rollback (OsiCatalog *self)
{
  if (self->db != NULL && !sqlite3_get_autocommit (self->db))
    run_simple (self, STMT_ROLLBACK, NULL);
}

static void
bind_text_or_null (sqlite3_stmt *stmt,
                   int           index,
                   const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

static char *
column_strdup (sqlite3_stmt *stmt,
               int           column)
{
  return g_strdup ((const char *)sqlite3_column_text (stmt, column));
}

static OsiCatalogEntry *
entry_from_row (sqlite3_stmt *stmt)
{
  /* sqlite3_column_bytes () after sqlite3_column_text (): the length of
   * the text as returned. */
  const char *name = (const char *)sqlite3_column_text (stmt, 0);
  gsize name_len = sqlite3_column_bytes (stmt, 0);
  const char *note = (const char *)sqlite3_column_text (stmt, 2);
  gsize note_len = sqlite3_column_bytes (stmt, 2);
  const char *sha256 = (const char *)sqlite3_column_text (stmt, 4);
  gsize sha256_len = sqlite3_column_bytes (stmt, 4);
  OsiCatalogEntry *entry;
  int value;

  entry = entry_new (name != NULL ? name : "", name_len, note, note_len, sha256, sha256_len);
  entry->is_protected = sqlite3_column_int (stmt, 1) != 0;
  if (name_lookup (kind_names, G_N_ELEMENTS (kind_names), (const char *)sqlite3_column_text (stmt, 3), &value))
    entry->kind = value;
  entry->stamp.size = sqlite3_column_int64 (stmt, 5);
  entry->stamp.mtime_ns = sqlite3_column_int64 (stmt, 6);
  entry->stamp.ctime_ns = sqlite3_column_int64 (stmt, 7);
  if (name_lookup (verdict_names, G_N_ELEMENTS (verdict_names), (const char *)sqlite3_column_text (stmt, 8), &value))
    {
      entry->verdict = value;
      entry->verified_at = sqlite3_column_int64 (stmt, 9);
    }
  return entry;
}

static OsiCatalogRun *
run_from_row (sqlite3_stmt *stmt)
{
  OsiCatalogRun *run = g_new0 (OsiCatalogRun, 1);
  int value;

  /* The schema's CHECK allows only known kinds. */
  if (name_lookup (run_kind_names, G_N_ELEMENTS (run_kind_names), (const char *)sqlite3_column_text (stmt, 0), &value))
    run->kind = value;
  run->at = sqlite3_column_int64 (stmt, 1);
  run->ok = sqlite3_column_int (stmt, 2) != 0;
  run->detail = column_strdup (stmt, 3);
  if (run->detail == NULL)
    run->detail = g_strdup ("");
  return run;
}

/* ------------------------------------------------------------------------ */
/* Opening                                                                  */

typedef enum
{
  OPEN_OK,
  OPEN_UNREADABLE,   /* not a catalog we can read: move it aside */
  OPEN_FAILED,
} OpenResult;

static gboolean
is_unreadable_code (int rc)
{
  return (rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT;
}

/* The first column of the first row of sql, as text (NULL when none),
 * or the SQLite error code. */
static int
query_text (sqlite3     *db,
            const char  *sql,
            char       **text)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  *text = NULL;
  rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    return rc;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *text = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
      rc = SQLITE_OK;
    }
  else if (rc == SQLITE_DONE)
    rc = SQLITE_OK;
  sqlite3_finalize (stmt);
  return rc;
}

static int
query_int (sqlite3    *db,
           const char *sql,
           gint64     *value)
{
  g_autofree char *text = NULL;
  int rc = query_text (db, sql, &text);

  *value = text != NULL ? g_ascii_strtoll (text, NULL, 10) : 0;
  return rc;
}

/* quick_check's findings, one per line and possibly hundreds, on one
 * line short enough for a log. */
static char *
summarize_check (const char *check)
{
  g_auto(GStrv) lines = g_strsplit (check != NULL ? check : "quick_check failed", "\n", 4);
  g_autofree char *joined = NULL;

  if (g_strv_length (lines) > 3)
    {
      g_free (lines[3]);
      lines[3] = g_strdup ("…");
    }
  joined = g_strjoinv ("; ", lines);
  if (strlen (joined) > 300)
    {
      const char *cut = g_utf8_find_prev_char (joined, joined + 300);

      return g_strdup_printf ("%.*s…", (int)(cut - joined), joined);
    }
  return g_steal_pointer (&joined);
}

/* Sets *error from rc: what the reader is told when the catalog cannot
 * be opened, and (result OPEN_UNREADABLE) the reason logged when it is
 * moved aside. */
static OpenResult
open_failure (OsiCatalog  *self,
              int          rc,
              GError     **error)
{
  const char *message = self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc);

  g_set_error (error, G_IO_ERROR, io_error_from_sqlite (rc),
               _("Cannot open the backup catalog “%s”: %s"), self->path, message);
  return is_unreadable_code (rc) ? OPEN_UNREADABLE : OPEN_FAILED;
}

static OpenResult
migrate (OsiCatalog  *self,
         gint64       version,
         GError     **error)
{
  for (gint64 v = version; v < OSI_CATALOG_SCHEMA_VERSION; v++)
    {
      g_autofree char *sql = g_strdup_printf ("BEGIN IMMEDIATE;"
                                              "%s;"
                                              "PRAGMA application_id = %d;"
                                              "PRAGMA user_version = %" G_GINT64_FORMAT ";"
                                              "COMMIT;",
                                              migrations[v], APPLICATION_ID, v + 1);
      int rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);

      if (rc != SQLITE_OK)
        {
          OpenResult result = open_failure (self, rc, error);

          if (!sqlite3_get_autocommit (self->db))
            sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
          return result;
        }
    }
  return OPEN_OK;
}

/* Opens self->path, a regular file, as the catalog. On any result but
 * OPEN_OK, self->db is closed again. */
static OpenResult
open_database (OsiCatalog  *self,
               GError     **error)
{
  g_autofree char *mode = NULL;
  g_autofree char *check = NULL;
  OpenResult result;
  gint64 version, application_id, n_objects;
  int rc;

  rc = sqlite3_open_v2 (self->path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX |
                        SQLITE_OPEN_EXRESCODE, NULL);
  if (rc != SQLITE_OK)
    goto failed;
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);
  sqlite3_exec (self->db, "PRAGMA cache_size = -" CACHE_KIB, NULL, NULL, NULL);

  /* The first statements read the header: a file that is not a
   * database fails here (SQLITE_NOTADB). */
  rc = query_text (self->db, "PRAGMA journal_mode = WAL", &mode);
  if (rc != SQLITE_OK)
    goto failed;
  if (g_strcmp0 (mode, "wal") != 0)
    g_message ("The backup catalog %s cannot use a write-ahead log here (journal mode %s)",
               self->path, mode != NULL ? mode : "?");

  /* Corruption past the header shows only when its page is read: look
   * at every page once, now, rather than fail later on one backup. */
  rc = query_text (self->db, "PRAGMA quick_check", &check);
  if (rc != SQLITE_OK)
    goto failed;
  if (g_strcmp0 (check, "ok") != 0)
    {
      g_autofree char *summary = summarize_check (check);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("Cannot open the backup catalog “%s”: %s"), self->path, summary);
      result = OPEN_UNREADABLE;
      goto close;
    }

  if ((rc = query_int (self->db, "PRAGMA user_version", &version)) != SQLITE_OK ||
      (rc = query_int (self->db, "PRAGMA application_id", &application_id)) != SQLITE_OK ||
      (rc = query_int (self->db, "SELECT count(*) FROM sqlite_schema", &n_objects)) != SQLITE_OK)
    goto failed;
  if ((version == 0 && n_objects > 0) || (version > 0 && application_id != APPLICATION_ID))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The backup catalog “%s” is the database of another application."), self->path);
      result = OPEN_UNREADABLE;
      goto close;
    }
  if (version > OSI_CATALOG_SCHEMA_VERSION)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("The backup catalog “%s” was written by a newer version of this server "
                     "(schema %d; this one knows up to %d)."),
                   self->path, (int)version, OSI_CATALOG_SCHEMA_VERSION);
      result = OPEN_FAILED;
      goto close;
    }

  if ((rc = sqlite3_exec (self->db,
                          "PRAGMA synchronous = " SYNCHRONOUS ";"
                          "PRAGMA foreign_keys = ON;"
                          "PRAGMA trusted_schema = OFF;"
                          "PRAGMA journal_size_limit = " WAL_SIZE_LIMIT ";",
                          NULL, NULL, NULL)) != SQLITE_OK)
    goto failed;

  result = migrate (self, version, error);
  if (result != OPEN_OK)
    goto close;

  for (guint i = 0; i < N_STMTS; i++)
    {
      rc = sqlite3_prepare_v3 (self->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &self->stmts[i], NULL);
      if (rc != SQLITE_OK)
        goto failed;
    }
  return OPEN_OK;

failed:
  result = open_failure (self, rc, error);
close:
  for (guint i = 0; i < N_STMTS; i++)
    g_clear_pointer (&self->stmts[i], sqlite3_finalize);
  g_clear_pointer (&self->db, sqlite3_close_v2);
  return result;
}

static gboolean
fsync_dir (const char *dir)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = fsync (fd) == 0;
  close (fd);
  return ok;
}

/* Moves the catalog aside, with its WAL (which must never be replayed
 * into the fresh catalog) and any rollback journal, so that it can be
 * looked at later; its shared-memory index is rebuilt from the WAL and
 * is removed. */
static gboolean
move_aside (OsiCatalog  *self,
            GError     **error)
{
  static const char * const companions[] = { "-wal", "-journal" };
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");
  g_autofree char *aside = NULL;
  g_autofree char *shm = NULL;
  struct stat st;

  for (guint i = 1; i <= 1000; i++)
    {
      g_free (aside);
      if (i == 1)
        aside = g_strdup_printf ("%s.corrupt-%s", self->path, stamp);
      else
        aside = g_strdup_printf ("%s.corrupt-%s-%u", self->path, stamp, i);
      if (lstat (aside, &st) < 0 && errno == ENOENT)
        break;
    }
  if (rename (self->path, aside) < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("The backup catalog “%s” cannot be read and cannot be moved aside: %s"),
                   self->path, g_strerror (saved));
      return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (companions); i++)
    {
      g_autofree char *from = g_strconcat (self->path, companions[i], NULL);
      g_autofree char *to = g_strconcat (aside, companions[i], NULL);

      if (rename (from, to) < 0 && errno != ENOENT && unlink (from) < 0 && errno != ENOENT)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("The backup catalog “%s” cannot be read and cannot be moved aside: %s"),
                       from, g_strerror (saved));
          return FALSE;
        }
    }
  shm = g_strconcat (self->path, "-shm", NULL);
  unlink (shm);
  fsync_dir (self->dir);
  self->moved_aside = g_steal_pointer (&aside);
  return TRUE;
}

/* Makes the catalog's file, empty (an empty file is an empty database),
 * with no permission for anyone else: SQLite would use the umask's. Its
 * WAL and index get the same mode. Then checks that what carries the
 * name is a regular file. */
static OpenResult
ensure_file (OsiCatalog  *self,
             GError     **error)
{
  struct stat st;
  int fd;

  fd = open (self->path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0)
    {
      close (fd);
      fsync_dir (self->dir);
    }
  else if (errno != EEXIST)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot open the backup catalog “%s”: %s"), self->path, g_strerror (saved));
      return OPEN_FAILED;
    }
  if (lstat (self->path, &st) < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot open the backup catalog “%s”: %s"), self->path, g_strerror (saved));
      return OPEN_FAILED;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The backup catalog “%s” is not a regular file."), self->path);
      return OPEN_UNREADABLE;
    }
  return OPEN_OK;
}

static OpenResult
try_open (OsiCatalog  *self,
          GError     **error)
{
  OpenResult result = ensure_file (self, error);

  if (result != OPEN_OK)
    return result;
  return open_database (self, error);
}

/* ------------------------------------------------------------------------ */
/* GObject                                                                  */

static void
osi_catalog_dispose (GObject *object)
{
  OsiCatalog *self = (OsiCatalog *)object;

  osi_catalog_close (self);

  G_OBJECT_CLASS (osi_catalog_parent_class)->dispose (object);
}

static void
osi_catalog_finalize (GObject *object)
{
  OsiCatalog *self = (OsiCatalog *)object;

  g_free (self->dir);
  g_free (self->path);
  g_free (self->moved_aside);
  g_free (self->moved_aside_reason);
  g_clear_pointer (&self->owner, g_thread_unref);

  G_OBJECT_CLASS (osi_catalog_parent_class)->finalize (object);
}

static void
osi_catalog_class_init (OsiCatalogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = osi_catalog_dispose;
  object_class->finalize = osi_catalog_finalize;
}

static void
osi_catalog_init (OsiCatalog *self)
{
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */

#define CHECK_THREAD(self, val) \
  g_return_val_if_fail ((self)->owner == g_thread_self (), (val))

OsiCatalog *
osi_catalog_open (const char  *backup_dir,
                  GError     **error)
{
  g_autoptr(OsiCatalog) self = NULL;
  g_autoptr(GError) reason = NULL;
  OpenResult result;

  g_return_val_if_fail (backup_dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (OSI_TYPE_CATALOG, NULL);
  self->owner = g_thread_ref (g_thread_self ());
  self->dir = g_strdup (backup_dir);
  self->path = g_build_filename (backup_dir, OSI_CATALOG_FILE_NAME, NULL);

  result = try_open (self, &reason);
  if (result == OPEN_UNREADABLE)
    {
      if (!move_aside (self, error))
        return NULL;
      self->moved_aside_reason = g_strdup (reason->message);
      g_clear_error (&reason);
      result = try_open (self, &reason);
    }
  if (result != OPEN_OK)
    {
      g_propagate_error (error, g_steal_pointer (&reason));
      return NULL;
    }
  return g_steal_pointer (&self);
}

const char *
osi_catalog_get_moved_aside (OsiCatalog *self)
{
  g_return_val_if_fail (OSI_IS_CATALOG (self), NULL);

  return self->moved_aside;
}

const char *
osi_catalog_get_moved_aside_reason (OsiCatalog *self)
{
  g_return_val_if_fail (OSI_IS_CATALOG (self), NULL);

  return self->moved_aside_reason;
}

const char *
osi_catalog_get_path (OsiCatalog *self)
{
  g_return_val_if_fail (OSI_IS_CATALOG (self), NULL);

  return self->path;
}

void
osi_catalog_close (OsiCatalog *self)
{
  g_return_if_fail (OSI_IS_CATALOG (self));

  if (self->db == NULL)
    return;
  for (guint i = 0; i < N_STMTS; i++)
    g_clear_pointer (&self->stmts[i], sqlite3_finalize);
  g_clear_pointer (&self->db, sqlite3_close_v2);
}

OsiCatalogEntry *
osi_catalog_get_entry (OsiCatalog  *self,
                       const char  *name,
                       GError     **error)
{
  sqlite3_stmt *stmt;
  OsiCatalogEntry *entry;
  int rc;

  g_return_val_if_fail (OSI_IS_CATALOG (self), NULL);
  g_return_val_if_fail (osi_backup_name_is_valid (name), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  CHECK_THREAD (self, NULL);

  if ((stmt = get_stmt (self, STMT_GET_ENTRY, error)) == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    entry = entry_from_row (stmt);
  else if (rc == SQLITE_DONE)
    entry = entry_new (name, strlen (name), NULL, 0, NULL, 0);
  else
    {
      set_sqlite_error (self, error, rc, FALSE);
      entry = NULL;
    }
  finish_stmt (stmt);
  return entry;
}

GHashTable *
osi_catalog_load_all (OsiCatalog  *self,
                      GError     **error)
{
  g_autoptr(GHashTable) entries = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (OSI_IS_CATALOG (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  CHECK_THREAD (self, NULL);

  if ((stmt = get_stmt (self, STMT_LOAD_ALL, error)) == NULL)
    return NULL;
  entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)osi_catalog_entry_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      OsiCatalogEntry *entry = entry_from_row (stmt);

      g_hash_table_replace (entries, (char *)entry->name, entry);
    }
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, error, rc, FALSE);
      finish_stmt (stmt);
      return NULL;
    }
  finish_stmt (stmt);
  return g_steal_pointer (&entries);
}

gboolean
osi_catalog_set_protected (OsiCatalog  *self,
                           const char  *name,
                           gboolean     is_protected,
                           GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (OSI_IS_CATALOG (self), FALSE);
  g_return_val_if_fail (osi_backup_name_is_valid (name), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  CHECK_THREAD (self, FALSE);

  if ((stmt = get_stmt (self, STMT_SET_PROTECTED, error)) == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 2, is_protected ? 1 : 0);
  return run_stmt (self, stmt, error);
}

gboolean
osi_catalog_set_note (OsiCatalog  *self,
                      const char  *name,
                      const char  *note,
                      GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (OSI_IS_CATALOG (self), FALSE);
  g_return_val_if_fail (osi_backup_name_is_valid (name), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  CHECK_THREAD (self, FALSE);

  if (!osi_catalog_note_is_valid (note, error))
    return FALSE;
  if ((stmt = get_stmt (self, STMT_SET_NOTE, error)) == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  bind_text_or_null (stmt, 2, note != NULL && note[0] != '\0' ? note : NULL);
  return run_stmt (self, stmt, error);
}

gboolean
osi_catalog_set_kind (OsiCatalog      *self,
                      const char      *name,
                      OsiCatalogKind   kind,
                      GError         **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (OSI_IS_CATALOG (self), FALSE);
  g_return_val_if_fail (osi_backup_name_is_valid (name), FALSE);
  g_return_val_if_fail ((guint)kind < G_N_ELEMENTS (kind_names), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  CHECK_THREAD (self, FALSE);

  if ((stmt = get_stmt (self, STMT_SET_KIND, error)) == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  bind_text_or_null (stmt, 2, kind_names[kind]);
  return run_stmt (self, stmt, error);
}

static void
bind_sha256 (sqlite3_stmt          *stmt,
             const char            *name,
             const char            *sha256,
             const OsiCatalogStamp *stamp)
{
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  if (sha256 == NULL)
    return;   /* all NULL */
  sqlite3_bind_text (stmt, 2, g_ascii_strdown (sha256, -1), -1, g_free);
  sqlite3_bind_int64 (stmt, 3, stamp->size);
  sqlite3_bind_int64 (stmt, 4, stamp->mtime_ns);
  sqlite3_bind_int64 (stmt, 5, stamp->ctime_ns);
}

gboolean
osi_catalog_set_sha256 (OsiCatalog             *self,
                        const char             *name,
                        const char             *sha256,
                        const OsiCatalogStamp  *stamp,
                        GError                **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (OSI_IS_CATALOG (self), FALSE);
  g_return_val_if_fail (osi_backup_name_is_valid (name), FALSE);
  g_return_val_if_fail (sha256 == NULL || (osi_sha256_is_hex (sha256) && stamp != NULL), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  CHECK_THREAD (self, FALSE);

  if ((stmt = get_stmt (self, STMT_SET_SHA256, error)) == NULL)
    return FALSE;
  bind_sha256 (stmt, name, sha256, stamp);
  return run_stmt (self, stmt, error);
}

gboolean
osi_catalog_set_verification (OsiCatalog         *self,
                              const char         *name,
                              OsiCatalogVerdict   verdict,
                              gint64              at,
                              GError            **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (OSI_IS_CATALOG (self), FALSE);
  g_return_val_if_fail (osi_backup_name_is_valid (name), FALSE);
  g_return_val_if_fail ((guint)verdict < G_N_ELEMENTS (verdict_names), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  CHECK_THREAD (self, FALSE);

  if ((stmt = get_stmt (self, STMT_SET_VERIFICATION, error)) == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  if (verdict != OSI_CATALOG_VERDICT_NONE)
    {
      sqlite3_bind_text (stmt, 2, verdict_names[verdict], -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 3, at);
    }
  return run_stmt (self, stmt, error);
}

gboolean
osi_catalog_forget (OsiCatalog  *self,
                    const char  *name,
                    GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (OSI_IS_CATALOG (self), FALSE);
  g_return_val_if_fail (osi_backup_name_is_valid (name), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  CHECK_THREAD (self, FALSE);

  if ((stmt = get_stmt (self, STMT_FORGET, error)) == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  return run_stmt (self, stmt, error);
}

gboolean
osi_catalog_import_checksums (OsiCatalog                *self,
                              const OsiCatalogChecksum  *checksums,
                              guint                      n_checksums,
                              GError                   **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (OSI_IS_CATALOG (self), FALSE);
  g_return_val_if_fail (checksums != NULL || n_checksums == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  CHECK_THREAD (self, FALSE);
  /* Checked before the transaction begins: all or none. */
  for (guint i = 0; i < n_checksums; i++)
    {
      g_return_val_if_fail (osi_backup_name_is_valid (checksums[i].name), FALSE);
      g_return_val_if_fail (osi_sha256_is_hex (checksums[i].sha256), FALSE);
    }

  if (n_checksums == 0)
    return TRUE;
  if ((stmt = get_stmt (self, STMT_IMPORT_SHA256, error)) == NULL)
    return FALSE;
  if (!run_simple (self, STMT_BEGIN, error))
    return FALSE;
  for (guint i = 0; i < n_checksums; i++)
    {
      bind_sha256 (stmt, checksums[i].name, checksums[i].sha256, &checksums[i].stamp);
      if (!run_stmt (self, stmt, error))
        {
          rollback (self);
          return FALSE;
        }
    }
  if (!run_simple (self, STMT_COMMIT, error))
    {
      rollback (self);
      return FALSE;
    }
  return TRUE;
}

gboolean
osi_catalog_get_policy (OsiCatalog  *self,
                        char       **json,
                        GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (OSI_IS_CATALOG (self), FALSE);
  g_return_val_if_fail (json != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  CHECK_THREAD (self, FALSE);

  *json = NULL;
  if ((stmt = get_stmt (self, STMT_GET_SETTING, error)) == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, SETTING_POLICY, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *json = column_strdup (stmt, 0);
  else if (rc != SQLITE_DONE)
    set_sqlite_error (self, error, rc, FALSE);
  finish_stmt (stmt);
  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

gboolean
osi_catalog_set_policy (OsiCatalog  *self,
                        const char  *json,
                        GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (OSI_IS_CATALOG (self), FALSE);
  g_return_val_if_fail (json != NULL && g_utf8_validate (json, -1, NULL), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  CHECK_THREAD (self, FALSE);

  if ((stmt = get_stmt (self, STMT_SET_SETTING, error)) == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, SETTING_POLICY, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, json, -1, SQLITE_STATIC);
  return run_stmt (self, stmt, error);
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

  if ((add = get_stmt (self, STMT_ADD_RUN, error)) == NULL)
    return FALSE;
  prune = self->stmts[STMT_PRUNE_RUNS];
  text = clean_detail (detail);

  if (!run_simple (self, STMT_BEGIN, error))
    return FALSE;
  sqlite3_bind_text (add, 1, run_kind_names[kind], -1, SQLITE_STATIC);
  sqlite3_bind_int64 (add, 2, at);
  sqlite3_bind_int (add, 3, ok ? 1 : 0);
  sqlite3_bind_text (add, 4, text, -1, SQLITE_STATIC);
  sqlite3_bind_int (prune, 1, OSI_CATALOG_RUNS_KEPT);
  if (!run_stmt (self, add, error) || !run_stmt (self, prune, error) ||
      !run_simple (self, STMT_COMMIT, error))
    {
      finish_stmt (prune);
      rollback (self);
      return FALSE;
    }
  return TRUE;
}

GPtrArray *
osi_catalog_list_runs (OsiCatalog  *self,
                       guint        n,
                       GError     **error)
{
  g_autoptr(GPtrArray) runs = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (OSI_IS_CATALOG (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  CHECK_THREAD (self, NULL);

  if ((stmt = get_stmt (self, STMT_LIST_RUNS, error)) == NULL)
    return NULL;
  runs = g_ptr_array_new_with_free_func ((GDestroyNotify)osi_catalog_run_free);
  sqlite3_bind_int64 (stmt, 1, n);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (runs, run_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, error, rc, FALSE);
      finish_stmt (stmt);
      return NULL;
    }
  finish_stmt (stmt);
  return g_steal_pointer (&runs);
}

gboolean
osi_catalog_get_last_run (OsiCatalog         *self,
                          OsiCatalogRunKind   kind,
                          OsiCatalogRun     **run,
                          GError            **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (OSI_IS_CATALOG (self), FALSE);
  g_return_val_if_fail ((guint)kind < G_N_ELEMENTS (run_kind_names), FALSE);
  g_return_val_if_fail (run != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  CHECK_THREAD (self, FALSE);

  *run = NULL;
  if ((stmt = get_stmt (self, STMT_LAST_RUN, error)) == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, run_kind_names[kind], -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *run = run_from_row (stmt);
  else if (rc != SQLITE_DONE)
    set_sqlite_error (self, error, rc, FALSE);
  finish_stmt (stmt);
  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}
