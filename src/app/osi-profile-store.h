/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "osi-profile.h"

G_BEGIN_DECLS

/* The server profiles kept in GSettings ("profiles", "current-profile"),
 * as a GListModel of OsiProfile. Changes made through the store are saved
 * at once. */
#define OSI_TYPE_PROFILE_STORE (osi_profile_store_get_type ())

G_DECLARE_FINAL_TYPE (OsiProfileStore, osi_profile_store, OSI, PROFILE_STORE, GObject)

OsiProfileStore *osi_profile_store_new         (GSettings       *settings);
/* A new profile with a fresh id, appended and saved; transfer none. */
OsiProfile      *osi_profile_store_add         (OsiProfileStore *self,
                                                const char      *name,
                                                const char      *url,
                                                const char      *ca_file);
/* Saves a profile changed with its setters. */
void             osi_profile_store_save        (OsiProfileStore *self);
/* Removes the profile and forgets its token. */
void             osi_profile_store_remove      (OsiProfileStore *self,
                                                const char      *id);
OsiProfile      *osi_profile_store_lookup      (OsiProfileStore *self,
                                                const char      *id);
/* The first profile whose URL is url (trailing slash ignored), or NULL. */
OsiProfile      *osi_profile_store_find_by_url (OsiProfileStore *self,
                                                const char      *url);
/* NULL when no profile is chosen ("current" property, notified). */
OsiProfile      *osi_profile_store_get_current (OsiProfileStore *self);
void             osi_profile_store_set_current (OsiProfileStore *self,
                                                const char      *id);

G_END_DECLS
