/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-client"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "osi-client-private.h"

/* The upload of a backup file (docs/api.md §3.7): streamed from the file,
 * with progress, after the server accepted its headers. */

/* upload: {"backup": {…}} ------------------------------------------------- */

static void
parse_backup (GTask    *task,
              JsonNode *root)
{
  OsiClient *self = g_task_get_source_object (task);
  JsonObject *object = _osi_client_root_object (task, root);
  g_autoptr(GError) error = NULL;
  OsiBackupInfo *info;
  JsonNode *backup;

  if (object == NULL)
    return;
  backup = json_object_get_member (object, "backup");
  if (backup == NULL || !JSON_NODE_HOLDS_OBJECT (backup))
    {
      g_task_return_error (task, _osi_client_protocol_error (self, _("no “backup” object")));
      return;
    }
  info = osi_backup_info_new_from_json (json_node_get_object (backup), self->server_tz, &error);
  if (info == NULL)
    {
      g_task_return_error (task, _osi_client_protocol_error (self, error->message));
      return;
    }
  g_task_return_pointer (task, info, g_object_unref);
}

/* The file to upload could not be opened or read: error, or a sentence. */
static void
return_read_error (GTask  *task,
                   GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, error);
  else
    {
      /* GIO's message names the file already. */
      g_task_return_new_error (task, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_LOCAL,
                               _("Cannot read the file to upload: %s"), error->message);
      g_error_free (error);
    }
}

static void
on_upload_info (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(GFileInfo) info = NULL;
  GError *error = NULL;

  info = g_file_input_stream_query_info_finish (G_FILE_INPUT_STREAM (source), result, &error);
  if (info == NULL)
    {
      return_read_error (task, error);
      return;
    }
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    {
      g_task_return_new_error (task, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_LOCAL,
                               _("%s is not a regular file: choose a backup archive."), call->upload_path);
      return;
    }

  call->upload_size = (guint64)g_file_info_get_size (info);
  if (!_osi_client_call_prepare (task, SOUP_METHOD_POST, "/api/rag/backup/upload", TRUE, TRUE))
    return;
  /* Lets the server refuse (401, 409, 413, 507) before the body is sent. */
  soup_message_headers_set_expectations (soup_message_get_request_headers (call->msg),
                                         SOUP_EXPECTATION_CONTINUE);
  soup_message_set_request_body (call->msg, "application/octet-stream", call->upload_stream,
                                 (gssize)call->upload_size);
  _osi_client_meter_start (&call->meter, 0);
  _osi_client_meter_report (&call->meter, 0, call->upload_size, TRUE);
  _osi_client_call_send (task, _osi_client_on_json_sent);
}

static void
on_upload_opened (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  GFileInputStream *stream;
  GError *error = NULL;

  stream = g_file_read_finish (G_FILE (source), result, &error);
  if (stream == NULL)
    {
      return_read_error (task, error);
      return;
    }
  call->upload_stream = G_INPUT_STREAM (stream);
  g_file_input_stream_query_info_async (stream, G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                        G_PRIORITY_DEFAULT, call->cancellable, on_upload_info,
                                        g_steal_pointer (&task));
}

static void
upload_start (GTask *task)
{
  Call *call = g_task_get_task_data (task);
  g_autoptr(GFile) file = NULL;

  if (!_osi_client_call_check_feature (task, "upload"))
    return;
  file = g_file_new_for_path (call->upload_path);
  g_file_read_async (file, G_PRIORITY_DEFAULT, call->cancellable, on_upload_opened, g_object_ref (task));
}

void
osi_client_upload_async (OsiClient           *self,
                         const char          *path,
                         OsiTransferProgress  progress,
                         gpointer             progress_data,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *basename = NULL;
  Call *call;

  g_return_if_fail (OSI_IS_CLIENT (self));
  g_return_if_fail (path != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  basename = g_path_get_basename (path);
  task = _osi_client_call_task_new (self, OP_UPLOAD, basename, cancellable, callback, user_data,
                                    osi_client_upload_async);
  call = g_task_get_task_data (task);
  call->parse = parse_backup;
  call->upload_path = g_strdup (path);
  call->meter.func = progress;
  call->meter.data = progress_data;
  if (!osi_backup_name_is_valid (basename))
    {
      g_task_return_error (task, _osi_client_invalid_name_error (basename));
      return;
    }

  _osi_client_call_with_features (task, upload_start);
}

OsiBackupInfo *
osi_client_upload_finish (OsiClient     *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  return _osi_client_propagate_pointer (self, result, osi_client_upload_async, error);
}
