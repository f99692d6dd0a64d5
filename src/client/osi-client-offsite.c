/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-client"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "osi-client-private.h"

/* Off-site copies (docs/api.md §7.3, §7.4), on servers that offer
 * "offsite": the copies, and bringing one back. Each asks first what the
 * server offers, and sends nothing to a server without "offsite". */

/* What the list of copies returns: the copies, and the answer as it came
 * (offsite list --json prints it). */
typedef struct
{
  GPtrArray *copies;
  GBytes    *body;
} Copies;

static void
copies_free (Copies *copies)
{
  g_clear_pointer (&copies->copies, g_ptr_array_unref);
  g_clear_pointer (&copies->body, g_bytes_unref);
  g_free (copies);
}

typedef struct
{
  GBytes    *body;
  GTimeZone *naive_tz;
} CopiesParse;

static void
copies_parse_free (CopiesParse *parse)
{
  g_clear_pointer (&parse->body, g_bytes_unref);
  g_clear_pointer (&parse->naive_tz, g_time_zone_unref);
  g_free (parse);
}

/* The list's own reader, in a worker as the list is: a server that has
 * made copies for years can hold as many as it has backups. */
static void
parse_copies_thread (GTask        *subtask,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  CopiesParse *parse = task_data;
  GError *error = NULL;
  gsize length;
  const char *data = g_bytes_get_data (parse->body, &length);
  GPtrArray *copies = osi_backup_info_offsite_parse (data, length, parse->naive_tz, &error);

  if (copies == NULL)
    g_task_return_error (subtask, error);
  else
    g_task_return_pointer (subtask, copies, (GDestroyNotify)g_ptr_array_unref);
}

static void
on_copies_parsed (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CopiesParse *parse = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  GPtrArray *list = g_task_propagate_pointer (G_TASK (result), &error);
  Copies *copies;

  if (list == NULL)
    {
      g_task_return_error (task, _osi_client_protocol_error (g_task_get_source_object (task), error->message));
      return;
    }
  copies = g_new0 (Copies, 1);
  copies->copies = list;
  copies->body = g_bytes_ref (parse->body);
  g_task_return_pointer (task, copies, (GDestroyNotify)copies_free);
}

static void
parse_copies (GTask    *task,
              JsonNode *unused)
{
  OsiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(GTask) subtask = g_task_new (NULL, NULL, on_copies_parsed, g_object_ref (task));
  CopiesParse *parse = g_new0 (CopiesParse, 1);

  parse->body = g_byte_array_free_to_bytes (g_steal_pointer (&call->data));
  parse->naive_tz = self->server_tz != NULL ? g_time_zone_ref (self->server_tz) : NULL;
  g_task_set_task_data (subtask, parse, (GDestroyNotify)copies_parse_free);
  g_task_run_in_thread (subtask, parse_copies_thread);
}

static void
list_offsite_start (GTask *task)
{
  Call *call = g_task_get_task_data (task);

  if (_osi_client_call_check_feature (task, "offsite"))
    _osi_client_json_call (task, parse_copies, SOUP_METHOD_GET, call->request_path, FALSE);
}

void
osi_client_list_offsite_async (OsiClient           *self,
                               gboolean             refresh,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Call *call;

  g_return_if_fail (OSI_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = _osi_client_call_task_new (self, OP_OFFSITE_LIST, NULL, cancellable, callback, user_data,
                                    osi_client_list_offsite_async);
  call = g_task_get_task_data (task);
  call->raw_body = TRUE;
  call->request_path = refresh ? "/api/rag/backup/offsite?refresh=1" : "/api/rag/backup/offsite";
  _osi_client_call_with_features (task, list_offsite_start);
}

GPtrArray *
osi_client_list_offsite_finish (OsiClient     *self,
                                GAsyncResult  *result,
                                GBytes       **body,
                                GError       **error)
{
  Copies *copies = _osi_client_propagate_pointer (self, result, osi_client_list_offsite_async, error);
  GPtrArray *list;

  if (copies == NULL)
    return NULL;
  if (body != NULL)
    *body = g_steal_pointer (&copies->body);
  list = g_steal_pointer (&copies->copies);
  copies_free (copies);
  return list;
}

/* fetch ------------------------------------------------------------------ */

/* The 201 without the backup that docs/api.md §7.4 says it holds: the
 * backup is there all the same, and the list says what it is. Also a
 * fetch whose answer was lost (osi-client-call.c): brought back only if
 * the list says so. */
void
_osi_client_fetched_listed (GTask      *task,
                            GPtrArray  *backups,
                            GError    **error)
{
  Call *call = g_task_get_task_data (task);

  for (guint i = 0; backups != NULL && i < backups->len; i++)
    if (g_str_equal (osi_backup_info_get_name (backups->pdata[i]), call->name))
      {
        call->outcome->backup = g_object_ref (backups->pdata[i]);
        g_task_return_pointer (task, g_steal_pointer (&call->outcome), (GDestroyNotify)_osi_client_outcome_free);
        return;
      }
  if (call->unsure != NULL)
    g_task_return_error (task, g_steal_pointer (&call->unsure));
  else if (backups != NULL)
    g_task_return_error (task, _osi_client_protocol_error (g_task_get_source_object (task),
                                                           _("the backup brought back is not listed")));
  else
    g_task_return_error (task, g_steal_pointer (error));
}

/* Success is the 2xx; the backup is in its "backup", or found in the list. */
static void
parse_fetch (GTask    *task,
             JsonNode *unused)
{
  Call *call = g_task_get_task_data (task);

  call->outcome = _osi_client_outcome_new (task, NULL);
  if (call->outcome->backup != NULL &&
      g_str_equal (osi_backup_info_get_name (call->outcome->backup), call->name))
    {
      g_task_return_pointer (task, g_steal_pointer (&call->outcome), (GDestroyNotify)_osi_client_outcome_free);
      return;
    }
  g_clear_object (&call->outcome->backup);
  _osi_client_call_list (task, NULL, _osi_client_fetched_listed);
}

static void
fetch_start (GTask *task)
{
  Call *call = g_task_get_task_data (task);

  if (_osi_client_call_check_feature (task, "offsite"))
    _osi_client_json_call_with_body (task, parse_fetch, SOUP_METHOD_POST, "/api/rag/backup/offsite/fetch", FALSE,
                                     call->request_json);
}

void
osi_client_fetch_offsite_async (OsiClient           *self,
                                const char          *name,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Call *call;

  g_return_if_fail (OSI_IS_CLIENT (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = _osi_client_call_task_new (self, OP_OFFSITE_FETCH, name, cancellable, callback, user_data,
                                    osi_client_fetch_offsite_async);
  call = g_task_get_task_data (task);
  call->request_json = _osi_client_backup_file_body (task);
  if (call->request_json != NULL)
    _osi_client_call_with_features (task, fetch_start);
}

OsiBackupInfo *
osi_client_fetch_offsite_finish (OsiClient     *self,
                                 GAsyncResult  *result,
                                 char         **message,
                                 GError       **error)
{
  OsiBackupInfo *backup = NULL;

  g_return_val_if_fail (_osi_client_check_result (self, result, osi_client_fetch_offsite_async), NULL);

  if (!_osi_client_propagate_outcome (result, &backup, NULL, message, error))
    return NULL;
  return backup;
}
