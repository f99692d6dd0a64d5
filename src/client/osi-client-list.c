/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-client"

#include "config.h"

#include <string.h>

#include "osi-client-private.h"

/* The list of backups (docs/api.md §3.2), parsed in a worker. */

typedef struct
{
  GByteArray *data;
  GTimeZone  *naive_tz;
  guint       tz_generation;                 /* of naive_tz */
  GPtrArray  *previous;                      /* the last list, or NULL */
  guint8      previous_digest[OSI_SHA256_LEN];
  guint8      digest[OSI_SHA256_LEN];        /* of data, set by the thread */
} ListParse;

static void
list_parse_free (ListParse *parse)
{
  g_clear_pointer (&parse->data, g_byte_array_unref);
  g_clear_pointer (&parse->naive_tz, g_time_zone_unref);
  g_clear_pointer (&parse->previous, g_ptr_array_unref);
  g_free (parse);
}

static gpointer
copy_ref (gconstpointer object,
          gpointer      user_data)
{
  return g_object_ref ((gpointer)object);
}

/* A list of 100,000 backups is a 15 MB answer: reading it and making the
 * OsiBackupInfo objects takes a few tenths of a second, which a worker
 * thread does so that the caller's main loop keeps drawing. The streaming
 * reader builds no JSON tree (a tree of that answer takes ~110 MB).
 * An answer identical to the last one (same SHA-256, ~10 ms to compute)
 * gives back the same backups instead: a refresh of an unchanged list
 * then makes no new objects, and a caller that holds the old ones can
 * tell nothing changed. Another answer gives back the old objects of
 * the backups that did not change (osi_backup_info_list_parse_again):
 * the caller, which shows the old list until the new one comes, then
 * never holds two lists of 100,000 objects. */
static void
parse_list_thread (GTask        *subtask,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  ListParse *parse = task_data;
  g_autoptr(OsiSha256) sha = osi_sha256_new ();
  GError *error = NULL;
  GPtrArray *backups;

  osi_sha256_update (sha, parse->data->data, parse->data->len);
  osi_sha256_finish_raw (sha, parse->digest);
  if (parse->previous != NULL && memcmp (parse->digest, parse->previous_digest, OSI_SHA256_LEN) == 0)
    backups = g_ptr_array_copy (parse->previous, copy_ref, NULL);
  else
    backups = osi_backup_info_list_parse_again ((const char *)parse->data->data, parse->data->len, parse->naive_tz,
                                                parse->previous, &error);

  if (backups == NULL)
    g_task_return_error (subtask, error);
  else
    g_task_return_pointer (subtask, backups, (GDestroyNotify)g_ptr_array_unref);
}

static void
on_list_parsed (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  OsiClient *self = g_task_get_source_object (task);
  ListParse *parse = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  GPtrArray *backups = g_task_propagate_pointer (G_TASK (result), &error);

  /* The answer (15 MB and more for 100,000 backups) is read: freed before
   * the caller redoes its models with the list. */
  g_clear_pointer (&parse->data, g_byte_array_unref);
  if (backups == NULL)
    {
      g_task_return_error (task, _osi_client_protocol_error (self, error->message));
      return;
    }
  /* Dated in a zone that has changed since: not worth keeping. */
  if (parse->tz_generation != self->tz_generation)
    {
      g_task_return_pointer (task, backups, (GDestroyNotify)g_ptr_array_unref);
      return;
    }
  g_clear_pointer (&self->last_list, g_ptr_array_unref);
  self->last_list = g_ptr_array_copy (backups, copy_ref, NULL);
  g_ptr_array_set_free_func (self->last_list, g_object_unref);
  memcpy (self->last_list_digest, parse->digest, OSI_SHA256_LEN);
  g_task_return_pointer (task, backups, (GDestroyNotify)g_ptr_array_unref);
}

/* Returns on task the backups of the answer it read, parsed in a worker. */
void
_osi_client_list_parse (GTask *task)
{
  OsiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(GTask) subtask = g_task_new (NULL, NULL, on_list_parsed, g_object_ref (task));
  ListParse *parse = g_new0 (ListParse, 1);

  /* Nothing reads the answer after its parse. */
  parse->data = g_steal_pointer (&call->data);
  parse->naive_tz = self->server_tz != NULL ? g_time_zone_ref (self->server_tz) : NULL;
  parse->tz_generation = self->tz_generation;
  if (self->last_list != NULL)
    {
      parse->previous = g_ptr_array_ref (self->last_list);
      memcpy (parse->previous_digest, self->last_list_digest, OSI_SHA256_LEN);
    }
  g_task_set_task_data (subtask, parse, (GDestroyNotify)list_parse_free);
  g_task_run_in_thread (subtask, parse_list_thread);
}

/* list ------------------------------------------------------------------- */

void
osi_client_list_async (OsiClient           *self,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (OSI_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = _osi_client_call_task_new (self, OP_LIST, NULL, cancellable, callback, user_data, osi_client_list_async);
  _osi_client_json_call (task, NULL, SOUP_METHOD_GET, "/api/rag/backup", FALSE);
}

GPtrArray *
osi_client_list_finish (OsiClient     *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  return _osi_client_propagate_pointer (self, result, osi_client_list_async, error);
}
