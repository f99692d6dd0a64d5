/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-server"

#include "config.h"

#include <string.h>

#include "osi-backup-info.h"
#include "osi-catalog-private.h"

/* The off-site copies of docs/api.md §7, one row a backup in the table
 * "offsite" (schema version 2): the queue of copies to make, their
 * states, and what is known of each copy once its local file is gone
 * (size, checksum, date, kind, protection), so that GET /offsite, the
 * off-site retention and a fetch can do without the file. Each write is
 * one statement in its own transaction, synced before it returns
 * (synchronous=FULL, see osi-catalog.c). */

static const char * const state_names[] = {
  [OSI_COPY_PENDING] = "pending",
  [OSI_COPY_COPYING] = "copying",
  [OSI_COPY_DONE] = "done",
  [OSI_COPY_FAILED] = "failed",
};

const char *
osi_copy_state_to_string (OsiCopyState state)
{
  g_return_val_if_fail ((guint)state < G_N_ELEMENTS (state_names), NULL);

  return state_names[state];
}

gboolean
osi_copy_state_from_string (const char   *text,
                            OsiCopyState *state)
{
  g_return_val_if_fail (state != NULL, FALSE);

  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (state_names); i++)
    if (strcmp (text, state_names[i]) == 0)
      {
        *state = i;
        return TRUE;
      }
  return FALSE;
}

OsiCatalogCopy *
osi_catalog_copy_new (const char *name)
{
  OsiCatalogCopy *copy = g_new0 (OsiCatalogCopy, 1);

  copy->name = g_strdup (name);
  copy->detail = g_strdup ("");
  copy->size = -1;
  return copy;
}

OsiCatalogCopy *
osi_catalog_copy_dup (const OsiCatalogCopy *copy)
{
  OsiCatalogCopy *dup;

  g_return_val_if_fail (copy != NULL, NULL);

  dup = g_memdup2 (copy, sizeof *copy);
  dup->name = g_strdup (copy->name);
  dup->detail = g_strdup (copy->detail != NULL ? copy->detail : "");
  dup->sha256 = g_strdup (copy->sha256);
  dup->upload_id = g_strdup (copy->upload_id);
  return dup;
}

void
osi_catalog_copy_free (OsiCatalogCopy *copy)
{
  if (copy == NULL)
    return;
  g_free (copy->name);
  g_free (copy->detail);
  g_free (copy->sha256);
  g_free (copy->upload_id);
  g_free (copy);
}

static OsiCatalogCopy *
copy_from_row (sqlite3_stmt *stmt)
{
  OsiCatalogCopy *copy = osi_catalog_copy_new ((const char *)sqlite3_column_text (stmt, 0));
  OsiCatalogKind kind;

  if (!osi_copy_state_from_string ((const char *)sqlite3_column_text (stmt, 1), &copy->state))
    copy->state = OSI_COPY_PENDING;
  copy->at = sqlite3_column_int64 (stmt, 2);
  if (sqlite3_column_type (stmt, 3) != SQLITE_NULL)
    {
      g_free (copy->detail);
      copy->detail = g_strdup ((const char *)sqlite3_column_text (stmt, 3));
    }
  copy->size = sqlite3_column_type (stmt, 4) != SQLITE_NULL ? sqlite3_column_int64 (stmt, 4) : -1;
  copy->sha256 = g_strdup ((const char *)sqlite3_column_text (stmt, 5));
  copy->date_us = sqlite3_column_int64 (stmt, 6);
  if (osi_catalog_kind_from_string ((const char *)sqlite3_column_text (stmt, 7), &kind))
    copy->kind = kind;
  copy->is_protected = sqlite3_column_int (stmt, 8) != 0;
  copy->upload_id = g_strdup ((const char *)sqlite3_column_text (stmt, 9));
  copy->queued = sqlite3_column_int64 (stmt, 10);
  return copy;
}

GPtrArray *
osi_catalog_list_copies (OsiCatalog  *self,
                         GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (OSI_IS_CATALOG (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  CHECK_THREAD (self, NULL);

  if ((stmt = _osi_catalog_get_stmt (self, STMT_LIST_COPIES, error)) == NULL)
    return NULL;
  return _osi_catalog_read_all (self, stmt, (OsiCatalogFromRow)copy_from_row,
                                (GDestroyNotify)osi_catalog_copy_free, error);
}

static void
bind_copy (sqlite3_stmt         *stmt,
           const OsiCatalogCopy *copy)
{
  sqlite3_bind_text (stmt, 1, copy->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, osi_copy_state_to_string (copy->state), -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, copy->at);
  sqlite3_bind_text (stmt, 4, copy->detail != NULL ? copy->detail : "", -1, SQLITE_STATIC);
  if (copy->size >= 0)
    sqlite3_bind_int64 (stmt, 5, copy->size);
  else
    sqlite3_bind_null (stmt, 5);
  _osi_catalog_bind_text_or_null (stmt, 6, copy->sha256);
  sqlite3_bind_int64 (stmt, 7, copy->date_us);
  _osi_catalog_bind_text_or_null (stmt, 8, osi_catalog_kind_to_string (copy->kind));
  sqlite3_bind_int (stmt, 9, copy->is_protected ? 1 : 0);
  _osi_catalog_bind_text_or_null (stmt, 10, copy->upload_id);
  sqlite3_bind_int64 (stmt, 11, copy->queued);
}

gboolean
osi_catalog_put_copy (OsiCatalog            *self,
                      const OsiCatalogCopy  *copy,
                      GError               **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (copy != NULL, FALSE);
  CHECK_NAMED_CALL (self, copy->name, error);

  if ((stmt = _osi_catalog_get_stmt (self, STMT_PUT_COPY, error)) == NULL)
    return FALSE;
  bind_copy (stmt, copy);
  return _osi_catalog_run_stmt (self, stmt, error);
}

gboolean
osi_catalog_update_copies (OsiCatalog                   *self,
                           const OsiCatalogCopy * const *put,
                           guint                         n_put,
                           const char * const           *forget,
                           guint                         n_forget,
                           GError                      **error)
{
  sqlite3_stmt *put_stmt;
  sqlite3_stmt *forget_stmt;

  g_return_val_if_fail (OSI_IS_CATALOG (self), FALSE);
  g_return_val_if_fail (put != NULL || n_put == 0, FALSE);
  g_return_val_if_fail (forget != NULL || n_forget == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  CHECK_THREAD (self, FALSE);
  /* Checked before the transaction begins: all or none. */
  for (guint i = 0; i < n_put; i++)
    g_return_val_if_fail (put[i] != NULL && osi_backup_name_is_valid (put[i]->name), FALSE);
  for (guint i = 0; i < n_forget; i++)
    g_return_val_if_fail (osi_backup_name_is_valid (forget[i]), FALSE);

  if (n_put == 0 && n_forget == 0)
    return TRUE;
  if ((put_stmt = _osi_catalog_get_stmt (self, STMT_PUT_COPY, error)) == NULL ||
      (forget_stmt = _osi_catalog_get_stmt (self, STMT_FORGET_COPY, error)) == NULL)
    return FALSE;
  if (!_osi_catalog_run_simple (self, STMT_BEGIN, error))
    return FALSE;
  for (guint i = 0; i < n_put; i++)
    {
      bind_copy (put_stmt, put[i]);
      if (!_osi_catalog_run_in_transaction (self, put_stmt, error))
        return FALSE;
    }
  for (guint i = 0; i < n_forget; i++)
    {
      sqlite3_bind_text (forget_stmt, 1, forget[i], -1, SQLITE_STATIC);
      if (!_osi_catalog_run_in_transaction (self, forget_stmt, error))
        return FALSE;
    }
  return _osi_catalog_commit (self, error);
}

gboolean
osi_catalog_set_copy_state (OsiCatalog    *self,
                            const char    *name,
                            OsiCopyState   state,
                            gint64         at,
                            const char    *detail,
                            GError       **error)
{
  sqlite3_stmt *stmt;

  CHECK_NAMED_CALL (self, name, error);

  if ((stmt = _osi_catalog_get_named_stmt (self, STMT_SET_COPY_STATE, name, error)) == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 2, osi_copy_state_to_string (state), -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, at);
  sqlite3_bind_text (stmt, 4, detail != NULL ? detail : "", -1, SQLITE_STATIC);
  return _osi_catalog_run_stmt (self, stmt, error);
}

gboolean
osi_catalog_set_copy_upload_id (OsiCatalog  *self,
                                const char  *name,
                                const char  *upload_id,
                                GError     **error)
{
  sqlite3_stmt *stmt;

  CHECK_NAMED_CALL (self, name, error);

  if ((stmt = _osi_catalog_get_named_stmt (self, STMT_SET_COPY_UPLOAD, name, error)) == NULL)
    return FALSE;
  _osi_catalog_bind_text_or_null (stmt, 2, upload_id);
  return _osi_catalog_run_stmt (self, stmt, error);
}

gboolean
osi_catalog_forget_copy (OsiCatalog  *self,
                         const char  *name,
                         GError     **error)
{
  sqlite3_stmt *stmt;

  CHECK_NAMED_CALL (self, name, error);

  if ((stmt = _osi_catalog_get_named_stmt (self, STMT_FORGET_COPY, name, error)) == NULL)
    return FALSE;
  return _osi_catalog_run_stmt (self, stmt, error);
}
