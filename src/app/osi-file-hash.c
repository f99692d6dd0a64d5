/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-app"

#include "config.h"

#include "osi-file-hash.h"
#include "osi-sha256.h"

static void
hash_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  char hex[OSI_SHA256_HEX_LEN + 1];
  GError *error = NULL;

  if (osi_sha256_file (task_data, hex, cancellable, &error))
    g_task_return_pointer (task, g_strdup (hex), g_free);
  else
    g_task_return_error (task, error);
}

void
osi_file_hash_async (gpointer             source,
                     const char          *path,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (source == NULL || G_IS_OBJECT (source));
  g_return_if_fail (path != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (source, cancellable, callback, user_data);
  g_task_set_source_tag (task, osi_file_hash_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, hash_thread);
}

char *
osi_file_hash_finish (GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == osi_file_hash_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
