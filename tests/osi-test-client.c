/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "osi-test-client.h"

/* What a call that never answers is reported as, once OSI_TEST_WAIT_S
 * have passed. */
#define WHAT(call) "the server's answer to " call

JsonObject *
osi_test_client_health (OsiClient     *client,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  osi_client_health_async (client, cancellable, osi_test_store_result, &result);
  return osi_client_health_finish (client, osi_test_wait_result (&result, WHAT ("health")), error);
}

GPtrArray *
osi_test_client_list (OsiClient     *client,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  osi_client_list_async (client, cancellable, osi_test_store_result, &result);
  return osi_client_list_finish (client, osi_test_wait_result (&result, WHAT ("list")), error);
}

gboolean
osi_test_client_create (OsiClient      *client,
                        GCancellable   *cancellable,
                        OsiBackupInfo **backup,
                        char          **message,
                        GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  gboolean ok;

  osi_client_create_async (client, cancellable, osi_test_store_result, &result);
  ok = osi_client_create_finish (client, osi_test_wait_result (&result, WHAT ("create")), backup, message, error);
  g_assert_true (ok == (error == NULL || *error == NULL));
  return ok;
}

gboolean
osi_test_client_restore (OsiClient     *client,
                         const char    *name,
                         GCancellable  *cancellable,
                         char         **safety_backup,
                         char         **message,
                         GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  osi_client_restore_async (client, name, cancellable, osi_test_store_result, &result);
  return osi_client_restore_finish (client, osi_test_wait_result (&result, WHAT ("restore")), safety_backup,
                                    message, error);
}

gboolean
osi_test_client_delete (OsiClient     *client,
                        const char    *name,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  osi_client_delete_async (client, name, cancellable, osi_test_store_result, &result);
  return osi_client_delete_finish (client, osi_test_wait_result (&result, WHAT ("delete")), error);
}

JsonNode *
osi_test_client_verify (OsiClient     *client,
                        const char    *name,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  osi_client_verify_async (client, name, cancellable, osi_test_store_result, &result);
  return osi_client_verify_finish (client, osi_test_wait_result (&result, WHAT ("verify")), error);
}

OsiDiff *
osi_test_client_diff (OsiClient     *client,
                      const char    *name,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  osi_client_diff_async (client, name, cancellable, osi_test_store_result, &result);
  return osi_client_diff_finish (client, osi_test_wait_result (&result, WHAT ("diff")), error);
}

OsiBackupInfo *
osi_test_client_upload (OsiClient            *client,
                        const char           *path,
                        OsiTransferProgress   progress,
                        gpointer              progress_data,
                        GCancellable         *cancellable,
                        GError              **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  osi_client_upload_async (client, path, progress, progress_data, cancellable, osi_test_store_result, &result);
  return osi_client_upload_finish (client, osi_test_wait_result (&result, WHAT ("upload")), error);
}

char *
osi_test_client_download (OsiClient            *client,
                          const char           *name,
                          const char           *directory,
                          OsiTransferProgress   progress,
                          gpointer              progress_data,
                          GCancellable         *cancellable,
                          char                **sha256,
                          GError              **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  osi_client_download_async (client, name, directory, progress, progress_data, cancellable,
                             osi_test_store_result, &result);
  return osi_client_download_finish (client, osi_test_wait_result (&result, WHAT ("download")), sha256, error);
}

OsiBackupInfo *
osi_test_client_create_backup (OsiClient  *client,
                               GError    **error)
{
  OsiBackupInfo *backup = NULL;

  if (!osi_test_client_create (client, NULL, &backup, NULL, error))
    return NULL;
  g_assert_nonnull (backup);
  return backup;
}
