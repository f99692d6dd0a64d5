/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "osi-client.h"
#include "osi-test-support.h"

G_BEGIN_DECLS

/* OsiClient's calls, waited for: each starts osi_client_X_async () with
 * the same arguments (but the callback), runs the default main context
 * until its result arrives (osi_test_wait_result (), bounded by
 * OSI_TEST_WAIT_S) and returns what osi_client_X_finish () gives, with
 * the same out arguments. For calls that a test overlaps or interrupts,
 * the asynchronous API itself. */
JsonObject    *osi_test_client_health   (OsiClient            *client,
                                         GCancellable         *cancellable,
                                         GError              **error);
GPtrArray     *osi_test_client_list     (OsiClient            *client,
                                         GCancellable         *cancellable,
                                         GError              **error);
/* Asserts that it returns TRUE exactly when it sets no error. */
gboolean       osi_test_client_create   (OsiClient            *client,
                                         GCancellable         *cancellable,
                                         OsiBackupInfo       **backup,
                                         char                **message,
                                         GError              **error);
gboolean       osi_test_client_restore  (OsiClient            *client,
                                         const char           *name,
                                         GCancellable         *cancellable,
                                         char                **safety_backup,
                                         char                **message,
                                         GError              **error);
gboolean       osi_test_client_delete   (OsiClient            *client,
                                         const char           *name,
                                         GCancellable         *cancellable,
                                         GError              **error);
JsonNode      *osi_test_client_verify   (OsiClient            *client,
                                         const char           *name,
                                         GCancellable         *cancellable,
                                         GError              **error);
OsiDiff       *osi_test_client_diff     (OsiClient            *client,
                                         const char           *name,
                                         GCancellable         *cancellable,
                                         GError              **error);
OsiBackupInfo *osi_test_client_upload   (OsiClient            *client,
                                         const char           *path,
                                         OsiTransferProgress   progress,
                                         gpointer              progress_data,
                                         GCancellable         *cancellable,
                                         GError              **error);
char          *osi_test_client_download (OsiClient            *client,
                                         const char           *name,
                                         const char           *directory,
                                         OsiTransferProgress   progress,
                                         gpointer              progress_data,
                                         GCancellable         *cancellable,
                                         char                **sha256,
                                         GError              **error);

/* A create against a server that names the backup it made (ours does):
 * that backup, asserted to be there on a success; NULL on an error. */
OsiBackupInfo *osi_test_client_create_backup (OsiClient  *client,
                                              GError    **error);

G_END_DECLS
