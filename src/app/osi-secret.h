/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* API tokens, one per server profile, in the Secret Service keyring
 * (libsecret). When no keyring service runs (no session bus, no
 * org.freedesktop.secrets), or when $OSI_BACKUP_NO_KEYRING is set, they go
 * to $XDG_CONFIG_HOME/osi-backup/tokens/PROFILE_ID instead: a file of mode
 * 0600 in a folder of mode 0700, written to a temporary name and renamed.
 * Tokens never go to GSettings or to logs. */
typedef enum
{
  OSI_SECRET_BACKEND_KEYRING,
  OSI_SECRET_BACKEND_FILE,
} OsiSecretBackend;

void      osi_secret_store_async   (const char           *profile_id,
                                    const char           *label,
                                    const char           *token,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
/* Which backend kept the token, through *backend (may be NULL). */
gboolean  osi_secret_store_finish  (GAsyncResult         *result,
                                    OsiSecretBackend     *backend,
                                    GError              **error);
void      osi_secret_lookup_async  (const char           *profile_id,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
/* NULL without an error when no token is stored. */
char     *osi_secret_lookup_finish (GAsyncResult         *result,
                                    GError              **error);
void      osi_secret_clear_async   (const char           *profile_id,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
gboolean  osi_secret_clear_finish  (GAsyncResult         *result,
                                    GError              **error);

G_END_DECLS
