/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-download"

#include "config.h"

#include <errno.h>

#include <glib/gstdio.h>

#include "osi-download.h"

typedef struct
{
  OsiClient           *client;
  char                *name;
  char                *folder;
  gboolean             unique;
  OsiTransferProgress  progress;
  gpointer             progress_data;
  char                *made;
  char                *sha256;
} Download;

static void
download_free (Download *download)
{
  g_object_unref (download->client);
  g_free (download->name);
  g_free (download->folder);
  g_free (download->made);
  g_free (download->sha256);
  g_free (download);
}

static void
make_folder_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  Download *download = task_data;
  g_autofree char *made = NULL;
  int saved_errno;

  if (g_mkdir_with_parents (download->folder, 0700) == 0)
    {
      made = download->unique ? g_build_filename (download->folder, "XXXXXX", NULL) : g_strdup (download->folder);
      if (!download->unique || g_mkdtemp_full (made, 0700) != NULL)
        {
          g_task_return_pointer (task, g_steal_pointer (&made), g_free);
          return;
        }
    }
  saved_errno = errno;
  g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s", g_strerror (saved_errno));
}

static void
on_downloaded (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Download *download = g_task_get_task_data (task);
  GError *error = NULL;
  char *path;

  path = osi_client_download_finish (OSI_CLIENT (source), result, &download->sha256, &error);
  if (path != NULL)
    g_task_return_pointer (task, path, g_free);
  else
    g_task_return_error (task, error);
}

static void
on_folder_made (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Download *download = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  download->made = g_task_propagate_pointer (G_TASK (result), &error);
  if (download->made == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* Cancelled while the folder was made: the download never starts. */
  if (g_task_return_error_if_cancelled (task))
    return;
  osi_client_download_async (download->client, download->name, download->made, download->progress,
                             download->progress_data, cancellable, on_downloaded, g_steal_pointer (&task));
}

void
osi_download_async (OsiClient           *client,
                    const char          *name,
                    const char          *folder,
                    gboolean             unique,
                    OsiTransferProgress  progress,
                    gpointer             progress_data,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) make = NULL;
  Download *download;

  g_return_if_fail (OSI_IS_CLIENT (client));
  g_return_if_fail (name != NULL);
  g_return_if_fail (folder != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, osi_download_async);
  /* The error says what failed; the folder made is handed back anyway. */
  g_task_set_check_cancellable (task, FALSE);
  download = g_new0 (Download, 1);
  download->client = g_object_ref (client);
  download->name = g_strdup (name);
  download->folder = g_strdup (folder);
  download->unique = unique;
  download->progress = progress;
  download->progress_data = progress_data;
  g_task_set_task_data (task, download, (GDestroyNotify)download_free);

  /* Not cancellable: what is made is returned, for the caller to remove. */
  make = g_task_new (NULL, NULL, on_folder_made, g_steal_pointer (&task));
  g_task_set_source_tag (make, make_folder_thread);
  g_task_set_task_data (make, download, NULL);
  g_task_run_in_thread (make, make_folder_thread);
}

char *
osi_download_finish (GAsyncResult  *result,
                     char         **made,
                     char         **sha256,
                     GError       **error)
{
  Download *download;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == osi_download_async, NULL);

  download = g_task_get_task_data (G_TASK (result));
  if (made != NULL)
    *made = g_steal_pointer (&download->made);
  if (sha256 != NULL)
    *sha256 = g_steal_pointer (&download->sha256);
  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *
osi_download_get_folder (GAsyncResult *result)
{
  Download *download;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == osi_download_async, NULL);

  download = g_task_get_task_data (G_TASK (result));
  return download->folder;
}
