/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the files of OsiCatalog share: osi-catalog.c holds the
 * connection (open, schema and migrations, moving an unreadable catalog
 * aside, the prepared statements, close), osi-catalog-records.c what is
 * read and written through it (entries, policy, runs), and
 * osi-catalog-offsite.c the off-site copies. */

#include <sqlite3.h>

#include "osi-catalog.h"

G_BEGIN_DECLS

/* The columns entry_from_row () and run_from_row () read, in this order. */
#define ENTRY_COLUMNS "name, protected, note, kind, sha256, size, mtime_ns, ctime_ns, verdict, verified_at"
#define RUN_COLUMNS   "kind, at, ok, detail"
/* The columns of the off-site copies, osi-catalog-offsite.c. */
#define COPY_COLUMNS  "name, state, at, detail, size, sha256, date_us, kind, protected, upload_id, queued"

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
  STMT_SET_ENTRY,
  STMT_FORGET,
  STMT_GET_SETTING,
  STMT_SET_SETTING,
  STMT_ADD_RUN,
  STMT_PRUNE_RUNS,
  STMT_LIST_RUNS,
  STMT_LAST_RUN,
  STMT_LIST_COPIES,
  STMT_PUT_COPY,
  STMT_SET_COPY_STATE,
  STMT_SET_COPY_UPLOAD,
  STMT_FORGET_COPY,
  N_STMTS
} Stmt;

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

/* Every call but open is made by the thread that opened the catalog. */
#define CHECK_THREAD(self, val) \
  g_return_val_if_fail ((self)->owner == g_thread_self (), (val))

/* What every call about one backup checks first. */
#define CHECK_NAMED_CALL(self, name, error)                                  \
  G_STMT_START {                                                             \
    g_return_val_if_fail (OSI_IS_CATALOG (self), FALSE);                     \
    g_return_val_if_fail (osi_backup_name_is_valid (name), FALSE);           \
    g_return_val_if_fail ((error) == NULL || *(error) == NULL, FALSE);       \
    CHECK_THREAD (self, FALSE);                                              \
  } G_STMT_END

void          _osi_catalog_set_error          (OsiCatalog          *self,
                                               GError             **error,
                                               int                  rc,
                                               gboolean             writing);
sqlite3_stmt *_osi_catalog_get_stmt           (OsiCatalog          *self,
                                               Stmt                 which,
                                               GError             **error);
sqlite3_stmt *_osi_catalog_get_named_stmt     (OsiCatalog          *self,
                                               Stmt                 which,
                                               const char          *name,
                                               GError             **error);
void          _osi_catalog_finish_stmt        (sqlite3_stmt        *stmt);
gboolean      _osi_catalog_run_stmt           (OsiCatalog          *self,
                                               sqlite3_stmt        *stmt,
                                               GError             **error);
gboolean      _osi_catalog_run_simple         (OsiCatalog          *self,
                                               Stmt                 which,
                                               GError             **error);
void          _osi_catalog_rollback           (OsiCatalog          *self);
gboolean      _osi_catalog_run_in_transaction (OsiCatalog          *self,
                                               sqlite3_stmt        *stmt,
                                               GError             **error);
gboolean      _osi_catalog_commit             (OsiCatalog          *self,
                                               GError             **error);
void          _osi_catalog_bind_text_or_null  (sqlite3_stmt        *stmt,
                                               int                  index,
                                               const char          *text);

/* Makes a record of a row of a statement that reads. */
typedef gpointer (*OsiCatalogFromRow) (sqlite3_stmt *stmt);

gboolean      _osi_catalog_read_one           (OsiCatalog          *self,
                                               sqlite3_stmt        *stmt,
                                               OsiCatalogFromRow    from_row,
                                               gpointer            *value,
                                               GError             **error);
GPtrArray    *_osi_catalog_read_all           (OsiCatalog          *self,
                                               sqlite3_stmt        *stmt,
                                               OsiCatalogFromRow    from_row,
                                               GDestroyNotify       free_func,
                                               GError             **error);

G_END_DECLS
