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

#include "osi-catalog-private.h"

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
 * v + 1; the steps due run in one transaction with the new user_version
 * (migrate ()). A step is never edited once released; a change is a new
 * step. */
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
  /* 1 → 2: the off-site copies (docs/api.md §7). A row outlives the
   * backup's own record: a copy stays when the local file is deleted. */
  "CREATE TABLE offsite ("
  "  name      TEXT PRIMARY KEY NOT NULL,"
  "  state     TEXT NOT NULL CHECK (state IN ('pending', 'copying', 'done', 'failed')),"
  "  at        INTEGER NOT NULL,"
  "  detail    TEXT NOT NULL DEFAULT '',"
  "  size      INTEGER,"
  "  sha256    TEXT CHECK (sha256 IS NULL OR"
  "                        (length (sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*')),"
  "  date_us   INTEGER,"
  "  kind      TEXT CHECK (kind IN ('manual', 'scheduled', 'safety', 'upload')),"
  "  protected INTEGER NOT NULL DEFAULT 0 CHECK (protected IN (0, 1)),"
  "  upload_id TEXT,"
  "  queued    INTEGER NOT NULL DEFAULT 0"
  ") WITHOUT ROWID;",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == OSI_CATALOG_SCHEMA_VERSION);

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
  /* Every column, in ENTRY_COLUMNS's order. */
  [STMT_SET_ENTRY] =
    "INSERT OR REPLACE INTO backups (" ENTRY_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
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
  [STMT_LIST_COPIES] = "SELECT " COPY_COLUMNS " FROM offsite ORDER BY queued, name",
  [STMT_PUT_COPY] = "INSERT OR REPLACE INTO offsite (" COPY_COLUMNS ")"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
  [STMT_SET_COPY_STATE] = "UPDATE offsite SET state = ?2, at = ?3, detail = ?4 WHERE name = ?1",
  [STMT_SET_COPY_UPLOAD] = "UPDATE offsite SET upload_id = ?2 WHERE name = ?1",
  [STMT_FORGET_COPY] = "DELETE FROM offsite WHERE name = ?1",
};

G_DEFINE_FINAL_TYPE (OsiCatalog, osi_catalog, G_TYPE_OBJECT)

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

void
_osi_catalog_set_error (OsiCatalog  *self,
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
sqlite3_stmt *
_osi_catalog_get_stmt (OsiCatalog  *self,
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

void
_osi_catalog_finish_stmt (sqlite3_stmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

/* Runs a statement that writes and returns no row. */
gboolean
_osi_catalog_run_stmt (OsiCatalog    *self,
          sqlite3_stmt  *stmt,
          GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE)
    {
      _osi_catalog_set_error (self, error, rc, TRUE);
      _osi_catalog_finish_stmt (stmt);
      return FALSE;
    }
  _osi_catalog_finish_stmt (stmt);
  return TRUE;
}

gboolean
_osi_catalog_run_simple (OsiCatalog  *self,
            Stmt         which,
            GError     **error)
{
  sqlite3_stmt *stmt = _osi_catalog_get_stmt (self, which, error);

  return stmt != NULL && _osi_catalog_run_stmt (self, stmt, error);
}

/* Undoes the transaction under way, if a failed statement did not
 * already. */
void
_osi_catalog_rollback (OsiCatalog *self)
{
  if (self->db != NULL && !sqlite3_get_autocommit (self->db))
    _osi_catalog_run_simple (self, STMT_ROLLBACK, NULL);
}

/* The statement which with name bound to ?1, or NULL when closed. */
sqlite3_stmt *
_osi_catalog_get_named_stmt (OsiCatalog  *self,
                             Stmt         which,
                             const char  *name,
                             GError     **error)
{
  sqlite3_stmt *stmt = _osi_catalog_get_stmt (self, which, error);

  if (stmt != NULL)
    sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  return stmt;
}

/* One statement of a transaction already begun: rolled back on failure. */
gboolean
_osi_catalog_run_in_transaction (OsiCatalog    *self,
                                 sqlite3_stmt  *stmt,
                                 GError       **error)
{
  if (_osi_catalog_run_stmt (self, stmt, error))
    return TRUE;
  _osi_catalog_rollback (self);
  return FALSE;
}

/* Commits the transaction under way, its last statement: rolled back
 * when the commit fails. */
gboolean
_osi_catalog_commit (OsiCatalog  *self,
                     GError     **error)
{
  sqlite3_stmt *stmt = _osi_catalog_get_stmt (self, STMT_COMMIT, error);

  return stmt != NULL && _osi_catalog_run_in_transaction (self, stmt, error);
}

/* Reads the first row of a statement that reads, through from_row ():
 * *value is NULL when there is none. */
gboolean
_osi_catalog_read_one (OsiCatalog         *self,
                       sqlite3_stmt       *stmt,
                       OsiCatalogFromRow   from_row,
                       gpointer           *value,
                       GError            **error)
{
  int rc = sqlite3_step (stmt);

  *value = NULL;
  if (rc == SQLITE_ROW)
    *value = from_row (stmt);
  else if (rc != SQLITE_DONE)
    _osi_catalog_set_error (self, error, rc, FALSE);
  _osi_catalog_finish_stmt (stmt);
  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

/* Reads every row of a statement that reads, through from_row (), into
 * an array that frees them with free_func; NULL with an error when a
 * step fails. */
GPtrArray *
_osi_catalog_read_all (OsiCatalog         *self,
                       sqlite3_stmt       *stmt,
                       OsiCatalogFromRow   from_row,
                       GDestroyNotify      free_func,
                       GError            **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (free_func);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (rows, from_row (stmt));
  if (rc != SQLITE_DONE)
    _osi_catalog_set_error (self, error, rc, FALSE);
  _osi_catalog_finish_stmt (stmt);
  return rc == SQLITE_DONE ? g_steal_pointer (&rows) : NULL;
}

/* Binds text, or NULL when there is none. */
void
_osi_catalog_bind_text_or_null (sqlite3_stmt *stmt,
                                int           index,
                                const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
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

/* Every step from version up, in one transaction: a catalog is at one
 * version or the next, never between two steps; and each page is written
 * once to the WAL however many steps touch it (a new catalog's first
 * commit fits a small file system). */
static OpenResult
migrate (OsiCatalog  *self,
         gint64       version,
         GError     **error)
{
  g_autoptr(GString) sql = NULL;
  int rc;

  if (version >= OSI_CATALOG_SCHEMA_VERSION)
    return OPEN_OK;
  sql = g_string_new ("BEGIN IMMEDIATE;");
  for (gint64 v = version; v < OSI_CATALOG_SCHEMA_VERSION; v++)
    g_string_append_printf (sql, "%s;", migrations[v]);
  g_string_append_printf (sql, "PRAGMA application_id = %d;"
                               "PRAGMA user_version = %d;"
                               "COMMIT;",
                          APPLICATION_ID, OSI_CATALOG_SCHEMA_VERSION);
  rc = sqlite3_exec (self->db, sql->str, NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    {
      OpenResult result = open_failure (self, rc, error);

      if (!sqlite3_get_autocommit (self->db))
        sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      return result;
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
