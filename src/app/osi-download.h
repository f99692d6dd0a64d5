/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "osi-client.h"

G_BEGIN_DECLS

/* Downloads the backup name with client into folder, which is made first
 * (0700, with its parents) in a worker, off the UI thread: a download
 * folder may be on a slow, sleeping or remote disk. With unique, into a
 * new folder of its own inside folder (as g_mkdtemp () makes it). The
 * download runs as osi_client_download_async () says; cancellable stops
 * it, but not the making of the folder, which is always handed back. */
void   osi_download_async  (OsiClient            *client,
                            const char           *name,
                            const char           *folder,
                            gboolean              unique,
                            OsiTransferProgress   progress,
                            gpointer              progress_data,
                            GCancellable         *cancellable,
                            GAsyncReadyCallback   callback,
                            gpointer              user_data);
/* The file downloaded, and in *sha256 (may be NULL) what
 * osi_client_download_finish () says of it. *made (may be NULL) is the
 * folder made, set whether the download succeeded or not, for the caller
 * to remove what it no longer wants; NULL when it could not be made, and
 * then the error is that, in the system's words alone (G_IO_ERROR, from
 * errno), for the caller's sentence about osi_download_get_folder (). */
char  *osi_download_finish (GAsyncResult         *result,
                            char                **made,
                            char                **sha256,
                            GError              **error);
/* The folder given to osi_download_async (), for that sentence; valid
 * as long as result. */
const char *osi_download_get_folder (GAsyncResult    *result);

G_END_DECLS
