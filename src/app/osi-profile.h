/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "osi-client.h"

G_BEGIN_DECLS

/* A server the app can connect to: a name for people, the base URL, an
 * optional CA file for self-hosted HTTPS and the server's time zone (the
 * deployed OSI backend sends dates without an offset, docs/api.md §5.3). The
 * token is not here: it lives in the keyring (osi-secret.h), keyed by the
 * profile's id. */
#define OSI_TYPE_PROFILE (osi_profile_get_type ())

G_DECLARE_FINAL_TYPE (OsiProfile, osi_profile, OSI, PROFILE, GObject)

OsiProfile *osi_profile_new         (const char *id,
                                     const char *name,
                                     const char *url,
                                     const char *ca_file);
const char *osi_profile_get_id      (OsiProfile *self);
const char *osi_profile_get_name    (OsiProfile *self);
void        osi_profile_set_name    (OsiProfile *self,
                                     const char *name);
const char *osi_profile_get_url     (OsiProfile *self);
void        osi_profile_set_url     (OsiProfile *self,
                                     const char *url);
/* NULL when none. */
const char *osi_profile_get_ca_file (OsiProfile *self);
void        osi_profile_set_ca_file (OsiProfile *self,
                                     const char *ca_file);
/* An identifier such as "Europe/Paris"; "" (never NULL) for this
 * desktop's time zone. The setter does not check it: see
 * osi_time_zone_new (). */
const char *osi_profile_get_time_zone (OsiProfile *self);
void        osi_profile_set_time_zone (OsiProfile *self,
                                       const char *time_zone);

/* A client for this profile's server, with its CA file and time zone;
 * token may be NULL. NULL, with error set, when the CA file or the time
 * zone cannot be used. Reads both files on the calling thread: the UI
 * uses osi_profile_new_client_async (). */
OsiClient  *osi_profile_new_client  (OsiProfile  *self,
                                     const char  *token,
                                     GError     **error);
/* The same, the files read in a worker (osi_client_new_async ()): the
 * client, made on the calling thread (which then uses it), is the
 * profile's as it was at the call; osi_client_new_finish () returns it. */
void        osi_profile_new_client_async  (OsiProfile          *self,
                                           const char          *token,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);

G_END_DECLS
